package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/heraldhq/herald"
	"github.com/jmoiron/sqlx"
)

// ReconcileWindow is how far back UnknownDeliveries looks: platforms list
// only an account's recent posts, so older unknowns are left to a person
// (and must not crowd newer ones out of every pass).
const ReconcileWindow = 72 * time.Hour

// UnknownDeliveries returns at most limit unknown deliveries on live
// channels that are not needs_reauth, due (or retried late) within
// ReconcileWindow before now:
// the newest ones when there are more (returned in due order), as jobs
// a reconciler can look up: each with its channel's credentials decrypted,
// the post's content for the platform, and Attempt = the delivery's
// attempts. A limit below 1 gives none. Database errors are wrapped.
func (db *DB) UnknownDeliveries(ctx context.Context, limit int) ([]herald.Job, error) {
	if limit < 1 {
		return nil, nil
	}
	var ds []deliveryRow
	if err := sel(ctx, db.r, &ds, `SELECT `+deliveryCols+` FROM deliveries
		WHERE status = 'unknown' AND COALESCE(retried_at, due_at) >= ?
		AND channel_id IN (SELECT id FROM channels WHERE deleted_at IS NULL AND status <> 'needs_reauth')
		ORDER BY COALESCE(retried_at, due_at) DESC, id LIMIT ?`, ms(db.now().Add(-ReconcileWindow)), limit); err != nil {
		return nil, fmt.Errorf("unknown deliveries: %w", err)
	}
	if len(ds) == 0 {
		return nil, nil
	}
	jobs, err := db.loadJobs(ctx, db.r, ds)
	if err != nil {
		return nil, fmt.Errorf("unknown deliveries: %w", err)
	}
	return jobs, nil
}

// ResolveUnknown marks the unknown delivery id published with res.RemoteID
// and res.URL (published_at = at, error cleared), as a reconciler found it
// among the channel's posts, and appends an attempt row (the delivery's
// attempt count goes up by one) with outcome published, the request noted
// as reconciled and res.Response, and records delivery.resolved in the audit
// log (by a person through the API, or the reconciler). It gives EINVALID when res.Outcome is
// neither empty nor published, ENOTFOUND for an unknown id, ECONFLICT when
// the delivery is no longer unknown (a person retried or resolved it), and
// wraps database errors.
func (db *DB) ResolveUnknown(ctx context.Context, id int64, res herald.Result, at time.Time) error {
	if res.Outcome != "" && res.Outcome != herald.OutcomePublished {
		return herald.Errorf(herald.EINVALID, "a reconciled delivery is published, not %q", res.Outcome)
	}
	note := "reconciled: found among the channel's recent posts"
	if res.Request != "" {
		note += "; " + res.Request
	}
	return db.inTx(ctx, func(tx *sqlx.Tx) error {
		moved, err := db.moveDeliveries(ctx, tx, []int64{id}, move{from: herald.StatusSet{herald.StatusUnknown},
			to: to(herald.StatusPublished), set: `remote_id = ?, url = ?, published_at = ?, error = '', attempts = attempts + 1`,
			args: []any{res.RemoteID, res.URL, ms(at)}, reason: truncateReason(note)})
		if err != nil {
			return fmt.Errorf("resolve unknown %d: %w", id, err)
		}
		if len(moved) == 0 {
			var status string
			if err := get(ctx, tx, &status, `SELECT status FROM deliveries WHERE id = ?`, id); notFound(err) {
				return herald.Errorf(herald.ENOTFOUND, "delivery %d not found", id)
			} else if err != nil {
				return fmt.Errorf("resolve unknown %d: %w", id, err)
			}
			return herald.Errorf(herald.ECONFLICT, "delivery %d is %s, no longer unknown", id, status)
		}
		var wsID int64
		if err := get(ctx, tx, &wsID, `SELECT workspace_id FROM deliveries WHERE id = ?`, id); err != nil {
			return fmt.Errorf("resolve unknown %d: %w", id, err)
		}
		if err := db.audit(ctx, tx, wsID, herald.AuditDeliveryResolved, fmt.Sprintf("delivery %d", id),
			map[string]any{"remote_id": res.RemoteID, "url": res.URL}); err != nil {
			return err
		}
		if _, err := exec(ctx, tx, `INSERT INTO attempts (delivery_id, number, started_at, finished_at, outcome, request, response,
			remote_id, url, node) SELECT id, attempts, CAST(? AS BIGINT), CAST(? AS BIGINT), 'published', CAST(? AS TEXT), CAST(? AS TEXT),
			CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT) FROM deliveries WHERE id = ?`,
			ms(at), ms(at), note, res.Response, res.RemoteID, res.URL, db.node, id); err != nil {
			return fmt.Errorf("resolve unknown %d: attempt: %w", id, err)
		}
		return nil
	})
}

// ThrottledAttempts returns how many attempts of the delivery ended in a
// throttled retry (rate limiting), which the scheduler does not count toward
// its attempt limit. An unknown id has none. Database errors are wrapped.
func (db *DB) ThrottledAttempts(ctx context.Context, deliveryID int64) (int, error) {
	var n int
	if err := get(ctx, db.r, &n, `SELECT COUNT(*) FROM attempts WHERE delivery_id = ? AND throttled = 1`, deliveryID); err != nil {
		return 0, fmt.Errorf("throttled attempts: %w", err)
	}
	return n, nil
}
