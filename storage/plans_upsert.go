package storage

import (
	"database/sql"
	"fmt"

	"github.com/heraldhq/herald"
)

// upsertPlan creates the plan of an apply, or updates the existing one —
// reviving it when it was deleted.
func (a *applier) upsertPlan(plan herald.Plan) error {
	var start sql.NullInt64
	if plan.Start != nil {
		start = sql.NullInt64{Int64: ms(*plan.Start), Valid: true}
	}
	var row struct {
		ID      int64         `db:"id"`
		Deleted sql.NullInt64 `db:"deleted_at"`
	}
	err := get(a.ctx, a.tx, &row, `SELECT id, deleted_at FROM plans WHERE workspace_id = ? AND key = ?`, a.wsID, plan.Key)
	a.planID = row.ID
	if notFound(err) {
		a.planID, err = insertID(a.ctx, a.tx, `INSERT INTO plans (workspace_id, key, title, timezone, start_at, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, a.wsID, plan.Key, plan.Title, plan.Timezone, start, a.now, a.now)
	} else if err == nil {
		_, err = exec(a.ctx, a.tx, `UPDATE plans SET title = ?, timezone = ?, start_at = ?, deleted_at = NULL, updated_at = ? WHERE id = ?`,
			plan.Title, plan.Timezone, start, a.now, a.planID)
		if err == nil && row.Deleted.Valid {
			err = a.revive()
		}
	}
	if err != nil {
		return fmt.Errorf("apply plan: save plan: %w", err)
	}
	return nil
}

// planDeletedReason is the error of a delivery that deleting its plan
// cancelled while it was still to go out: only those are revived.
const planDeletedReason = "cancelled: the plan was deleted"

// revive brings back, for an upload under a deleted plan's key, the rows the
// plan had when it was deleted, as the state the upload is diffed against:
// the deliveries the deletion cancelled (planDeletedReason) on live channels
// are scheduled again at their
// due time (the lateness window decides whether a past one still goes out);
// a "next free slot" row whose slot was taken since is placed again. Published
// deliveries stay as they are and are never published again; a row the
// upload edits or drops is then updated, a conflict, or cancelled as usual.
func (a *applier) revive() error {
	a.revived = true
	// A "next free slot" row whose slot another delivery took since is to be
	// placed again: an empty hash makes the diff update it.
	if _, err := exec(a.ctx, a.tx, `UPDATE posts SET hash = '' WHERE plan_id = ? AND plan_deleted = 1 AND id IN (
		SELECT d.post_id FROM deliveries d WHERE d.status = 'cancelled' AND d.slot_at IS NOT NULL AND EXISTS (
			SELECT 1 FROM deliveries o WHERE o.channel_id = d.channel_id AND o.slot_at = d.slot_at AND o.id <> d.id
			AND o.status NOT IN `+slotFreeingIn+`))`, a.planID); err != nil {
		return fmt.Errorf("revive: %w", err)
	}
	var ids []int64
	if err := sel(a.ctx, a.tx, &ids, `SELECT id FROM deliveries WHERE status = 'cancelled' AND error = ?
		AND post_id IN (SELECT id FROM posts WHERE plan_id = ? AND plan_deleted = 1)
		AND channel_id IN (SELECT id FROM channels WHERE deleted_at IS NULL) ORDER BY id`, planDeletedReason, a.planID); err != nil {
		return fmt.Errorf("revive: %w", err)
	}
	if _, err := a.db.moveDeliveries(a.ctx, a.tx, ids, move{from: herald.StatusSet{herald.StatusCancelled}, to: to(herald.StatusScheduled),
		set: `next_attempt_at = due_at, retried_at = NULL, error = '',
		slot_at = CASE WHEN NOT EXISTS (SELECT 1 FROM deliveries o WHERE o.channel_id = deliveries.channel_id
			AND o.slot_at = deliveries.slot_at AND o.id <> deliveries.id AND o.status NOT IN ` + slotFreeingIn + `)
			THEN slot_at END`, reason: "revived with plan " + a.planKey}); err != nil {
		return fmt.Errorf("revive: %w", err)
	}
	if _, err := exec(a.ctx, a.tx, `UPDATE posts SET removed = 0, plan_deleted = 0, updated_at = ? WHERE plan_id = ? AND plan_deleted = 1`,
		a.now, a.planID); err != nil {
		return fmt.Errorf("revive: %w", err)
	}
	return nil
}
