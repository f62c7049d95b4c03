package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/heraldhq/herald"
	"github.com/jmoiron/sqlx"
)

// notApprovedReason is the error and event reason of a delivery whose post
// was still not approved at the end of its lateness window.
const notApprovedReason = "not approved in time"

// markUnapproved moves to missed, "not approved in time", the deliveries
// still pending_approval (their post waits for approval, or was rejected)
// whose due time plus their workspace's lateness window is before now: such
// a post is never published late by surprise. It runs with markMissed, in
// the claim's transaction; the deliveries_pending_due index keeps its cost
// to the overdue ones.
func (db *DB) markUnapproved(ctx context.Context, tx *sqlx.Tx, now int64) error {
	def := herald.DefaultMaxLateness.Milliseconds()
	var late []struct {
		ID       int64  `db:"id"`
		DueAt    int64  `db:"due_at"`
		Lateness int64  `db:"lateness"`
		State    string `db:"approval_state"`
		Slug     string `db:"slug"`
	}
	if err := sel(ctx, tx, &late, `SELECT d.id, d.due_at, p.approval_state, w.slug,
		CASE WHEN w.max_lateness_ms > 0 THEN w.max_lateness_ms ELSE CAST(? AS BIGINT) END AS lateness
		FROM deliveries d JOIN workspaces w ON w.id = d.workspace_id JOIN posts p ON p.id = d.post_id
		WHERE d.status = 'pending_approval'
		AND d.due_at < CAST(? AS BIGINT) - (SELECT MIN(CASE WHEN max_lateness_ms > 0 THEN max_lateness_ms ELSE CAST(? AS BIGINT) END) FROM workspaces)
		AND d.due_at + CASE WHEN w.max_lateness_ms > 0 THEN w.max_lateness_ms ELSE CAST(? AS BIGINT) END < ?
		ORDER BY d.id`, def, now, def, def, now); err != nil {
		return fmt.Errorf("mark unapproved: %w", err)
	}
	for _, d := range late {
		msg := fmt.Sprintf("%s: due at %s and still waiting for approval at the end of its lateness window (%s)",
			notApprovedReason, fromMs(d.DueAt).Format(time.RFC3339), time.Duration(d.Lateness)*time.Millisecond)
		if d.State == herald.ApprovalRejected {
			msg = fmt.Sprintf("%s: due at %s, and its post was rejected", notApprovedReason, fromMs(d.DueAt).Format(time.RFC3339))
		}
		moved, err := db.moveDeliveries(ctx, tx, []int64{d.ID}, move{from: herald.StatusSet{herald.StatusPendingApproval},
			to: to(herald.StatusMissed), set: "error = ?", args: []any{msg}, reason: notApprovedReason})
		if err != nil {
			return fmt.Errorf("mark unapproved: %w", err)
		}
		if len(moved) > 0 {
			db.missed.Add(1)
			db.log.Warn().Int64("delivery", d.ID).Str("workspace", d.Slug).Time("due_at", fromMs(d.DueAt)).
				Msg("delivery missed: not approved in time")
		}
	}
	return nil
}
