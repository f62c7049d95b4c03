package storage

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/heraldhq/herald"
	"github.com/jmoiron/sqlx"
)

type deliveryRow struct {
	ID             int64         `db:"id"`
	WorkspaceID    int64         `db:"workspace_id"`
	PostID         int64         `db:"post_id"`
	ChannelID      int64         `db:"channel_id"`
	Workspace      string        `db:"workspace"`
	PlanKey        string        `db:"plan_key"`
	PostKey        string        `db:"post_key"`
	Row            int           `db:"row_num"`
	ChannelName    string        `db:"channel_name"`
	Platform       string        `db:"platform"`
	Status         string        `db:"status"`
	DueAt          int64         `db:"due_at"`
	NextAttemptAt  int64         `db:"next_attempt_at"`
	RetriedAt      sql.NullInt64 `db:"retried_at"`
	Attempts       int           `db:"attempts"`
	IdempotencyKey string        `db:"idempotency_key"`
	RemoteID       string        `db:"remote_id"`
	URL            string        `db:"url"`
	PublishedAt    sql.NullInt64 `db:"published_at"`
	Error          string        `db:"error"`
	LeaseOwner     string        `db:"lease_owner"`
	LeaseUntil     sql.NullInt64 `db:"lease_until"`
	CreatedAt      int64         `db:"created_at"`
	UpdatedAt      int64         `db:"updated_at"`
	ChannelDeleted sql.NullInt64 `db:"channel_deleted_at"`
	PostRemoved    bool          `db:"post_removed"`
	PlatformState  string        `db:"platform_state"` // JSON object; read by ClaimDue and UnknownDeliveries only
}

// deliveryCols are the deliveries table's own columns.
const deliveryCols = `id, workspace_id, post_id, channel_id, status, due_at, next_attempt_at, retried_at, attempts, idempotency_key,
	remote_id, url, published_at, error, lease_owner, lease_until, created_at, updated_at, platform_state`

// deliverySelect reads deliveries with what names them; callers add WHERE.
const deliverySelect = `SELECT d.id, d.workspace_id, d.post_id, d.channel_id, w.slug AS workspace, pl.key AS plan_key,
	p.key AS post_key, p.row_num, c.name AS channel_name, c.platform, d.status, d.due_at, d.next_attempt_at, d.retried_at,
	d.attempts, d.idempotency_key, d.remote_id, d.url, d.published_at, d.error, d.lease_owner, d.lease_until,
	d.created_at, d.updated_at, c.deleted_at AS channel_deleted_at, p.removed AS post_removed
FROM deliveries d
JOIN posts p ON p.id = d.post_id
JOIN plans pl ON pl.id = p.plan_id
JOIN channels c ON c.id = d.channel_id
JOIN workspaces w ON w.id = d.workspace_id`

func (r deliveryRow) delivery() *herald.Delivery {
	return &herald.Delivery{ID: r.ID, WorkspaceID: r.WorkspaceID, PostID: r.PostID, ChannelID: r.ChannelID,
		Workspace: r.Workspace, PlanKey: r.PlanKey, PostKey: r.PostKey, Row: r.Row, ChannelName: r.ChannelName,
		Platform: r.Platform, Status: herald.DeliveryStatus(r.Status), DueAt: fromMs(r.DueAt),
		NextAttemptAt: fromMs(r.NextAttemptAt), RetriedAt: fromNullMs(r.RetriedAt), Attempts: r.Attempts, IdempotencyKey: r.IdempotencyKey,
		RemoteID: r.RemoteID, URL: r.URL, PublishedAt: fromNullMs(r.PublishedAt), Error: r.Error,
		LeaseOwner: r.LeaseOwner, LeaseUntil: fromNullMs(r.LeaseUntil),
		CreatedAt: fromMs(r.CreatedAt), UpdatedAt: fromMs(r.UpdatedAt), PlatformState: platformState(r.PlatformState)}
}

func getDelivery(ctx context.Context, q sqlx.ExtContext, wsID, id int64) (deliveryRow, error) {
	var r deliveryRow
	err := get(ctx, q, &r, deliverySelect+` WHERE d.id = ? AND d.workspace_id = ?`, id, wsID)
	if notFound(err) {
		return r, herald.Errorf(herald.ENOTFOUND, "delivery %d not found", id)
	} else if err != nil {
		return r, fmt.Errorf("delivery: %w", err)
	}
	return r, nil
}

// Delivery returns a delivery of the workspace; an unknown id, or another
// workspace's, gives ENOTFOUND.
func (db *DB) Delivery(ctx context.Context, wsID, id int64) (*herald.Delivery, error) {
	r, err := getDelivery(ctx, db.r, wsID, id)
	if err != nil {
		return nil, err
	}
	return r.delivery(), nil
}

type attemptRow struct {
	ID         int64         `db:"id"`
	DeliveryID int64         `db:"delivery_id"`
	Number     int           `db:"number"`
	StartedAt  int64         `db:"started_at"`
	FinishedAt sql.NullInt64 `db:"finished_at"`
	Outcome    string        `db:"outcome"`
	Request    string        `db:"request"`
	Response   string        `db:"response"`
	Error      string        `db:"error"`
	RemoteID   string        `db:"remote_id"`
	URL        string        `db:"url"`
	RetryAt    sql.NullInt64 `db:"retry_at"`
	Node       string        `db:"node"`
}

// Attempts returns the attempts of a delivery of the workspace ordered by
// number; an unknown delivery, or another workspace's, gives ENOTFOUND. An
// attempt still running has a zero FinishedAt and an empty Outcome.
func (db *DB) Attempts(ctx context.Context, wsID, deliveryID int64) ([]herald.Attempt, error) {
	var n int
	if err := get(ctx, db.r, &n, `SELECT COUNT(*) FROM deliveries WHERE id = ? AND workspace_id = ?`, deliveryID, wsID); err != nil {
		return nil, fmt.Errorf("attempts: %w", err)
	} else if n == 0 {
		return nil, herald.Errorf(herald.ENOTFOUND, "delivery %d not found", deliveryID)
	}
	var rows []attemptRow
	if err := sel(ctx, db.r, &rows, `SELECT id, delivery_id, number, started_at, finished_at, outcome, request, response,
		error, remote_id, url, retry_at, node FROM attempts WHERE delivery_id = ? ORDER BY number`, deliveryID); err != nil {
		return nil, fmt.Errorf("attempts: %w", err)
	}
	out := make([]herald.Attempt, len(rows))
	for i, r := range rows {
		out[i] = herald.Attempt{ID: r.ID, DeliveryID: r.DeliveryID, Number: r.Number, StartedAt: fromMs(r.StartedAt),
			Outcome: herald.Outcome(r.Outcome), Request: r.Request, Response: r.Response, Error: r.Error,
			RemoteID: r.RemoteID, URL: r.URL, RetryAt: fromNullMs(r.RetryAt), Node: r.Node}
		if r.FinishedAt.Valid {
			out[i].FinishedAt = fromMs(r.FinishedAt.Int64)
		}
	}
	return out, nil
}

// RetryDelivery schedules a failed, unknown, missed or cancelled delivery
// again (recorded in the audit log: delivery.retried): status scheduled,
// error cleared, attempts kept, next_attempt_at =
// now — or its due time while that is still ahead, so a retry never publishes
// early. Its due_at, the planned time, never changes: when its lateness
// window has already passed, retried_at = now records the retry, and the
// window counts from then (see markMissed), so it is not marked missed
// again at once. It gives ENOTFOUND for an unknown delivery (or another
// workspace's) and ECONFLICT, saying why, for any other status or when the
// channel was deleted, the row removed or its post not approved.
func (db *DB) RetryDelivery(ctx context.Context, wsID, id int64) (*herald.Delivery, error) {
	return db.changeDelivery(ctx, wsID, id, func(tx *sqlx.Tx, r deliveryRow) error {
		switch s := herald.DeliveryStatus(r.Status); {
		case herald.Retryable.Has(s):
		case s == herald.StatusPublished:
			return herald.Errorf(herald.ECONFLICT, "delivery %d is already published (remote id %q); it is not published again", id, r.RemoteID)
		case s == herald.StatusPublishing:
			return herald.Errorf(herald.ECONFLICT, "delivery %d is being published right now", id)
		default:
			return herald.Errorf(herald.ECONFLICT, "delivery %d is %s: it is already waiting to be published", id, r.Status)
		}
		if r.ChannelDeleted.Valid {
			return herald.Errorf(herald.ECONFLICT, "delivery %d cannot be retried: its channel %q was deleted", id, r.ChannelName)
		}
		if r.PostRemoved {
			return herald.Errorf(herald.ECONFLICT, "delivery %d cannot be retried: its row %q was removed from plan %q", id, r.PostKey, r.PlanKey)
		}
		var approval string
		if err := get(ctx, tx, &approval, `SELECT approval_state FROM posts WHERE id = ?`, r.PostID); err != nil {
			return fmt.Errorf("retry delivery: %w", err)
		}
		switch approval {
		case herald.ApprovalPending:
			return herald.Errorf(herald.ECONFLICT, "delivery %d cannot be retried: its post %q still waits for approval; it goes out once approved (POST …/plans/%s/approve)",
				id, r.PostKey, r.PlanKey)
		case herald.ApprovalRejected:
			return herald.Errorf(herald.ECONFLICT, "delivery %d cannot be retried: its post %q was rejected; change its row and upload plan %q again",
				id, r.PostKey, r.PlanKey)
		}
		var lateness int64
		if err := get(ctx, tx, &lateness, `SELECT max_lateness_ms FROM workspaces WHERE id = ?`, wsID); err != nil {
			return fmt.Errorf("retry delivery: %w", err)
		}
		if lateness <= 0 {
			lateness = herald.DefaultMaxLateness.Milliseconds()
		}
		now := db.nowMs()
		next, retried := max(now, r.DueAt), r.RetriedAt
		if effectiveDue(r)+lateness < now {
			retried = sql.NullInt64{Int64: now, Valid: true}
		}
		// A slotted delivery keeps its slot only while it is still due then
		// (never retried late) and no other live delivery took the slot in the
		// meantime (see slots.go).
		if _, err := db.moveDeliveries(ctx, tx, []int64{id}, move{from: herald.StatusSet{herald.DeliveryStatus(r.Status)},
			to: to(herald.StatusScheduled), set: `retried_at = ?, next_attempt_at = ?, error = '', lease_owner = '', lease_until = NULL,
			slot_at = CASE WHEN CAST(? AS INTEGER) = 0 AND NOT EXISTS (SELECT 1 FROM deliveries o WHERE o.channel_id = deliveries.channel_id
				AND o.slot_at = deliveries.slot_at AND o.id <> deliveries.id AND o.status NOT IN ` + slotFreeingIn + `)
				THEN slot_at END`, args: []any{retried, next, boolInt(retried.Valid)},
			reason: "retried", strict: true}); err != nil {
			return fmt.Errorf("retry delivery: %w", err)
		}
		return db.auditDelivery(ctx, tx, herald.AuditDeliveryRetried, r)
	})
}

// effectiveDue is when a delivery's lateness window starts: its retry time
// when an operator retried it past its window, else its planned due_at.
func effectiveDue(r deliveryRow) int64 {
	if r.RetriedAt.Valid {
		return r.RetriedAt.Int64
	}
	return r.DueAt
}

// CancelDelivery cancels a scheduled, retrying, failed, unknown, missed or
// pending_approval delivery (recorded in the audit log: delivery.cancelled).
// It gives ENOTFOUND for an unknown delivery (or
// another workspace's) and ECONFLICT for one publishing, published or
// already cancelled.
func (db *DB) CancelDelivery(ctx context.Context, wsID, id int64) (*herald.Delivery, error) {
	return db.changeDelivery(ctx, wsID, id, func(tx *sqlx.Tx, r deliveryRow) error {
		switch s := herald.DeliveryStatus(r.Status); {
		case s == herald.StatusPublishing:
			return herald.Errorf(herald.ECONFLICT, "delivery %d is being published right now and cannot be cancelled", id)
		case s == herald.StatusPublished:
			return herald.Errorf(herald.ECONFLICT, "delivery %d is already published (remote id %q); delete it on the platform", id, r.RemoteID)
		case !herald.Cancellable.Has(s):
			return herald.Errorf(herald.ECONFLICT, "delivery %d is already %s", id, s)
		}
		if _, err := db.moveDeliveries(ctx, tx, []int64{id}, move{from: herald.StatusSet{herald.DeliveryStatus(r.Status)},
			to: to(herald.StatusCancelled), set: `lease_owner = '', lease_until = NULL`, reason: "cancelled", strict: true}); err != nil {
			return fmt.Errorf("cancel delivery: %w", err)
		}
		return db.auditDelivery(ctx, tx, herald.AuditDeliveryCancelled, r)
	})
}

// auditDelivery records an operator's action on the delivery r (as it was
// before) in the audit log.
func (db *DB) auditDelivery(ctx context.Context, tx *sqlx.Tx, action string, r deliveryRow) error {
	return db.audit(ctx, tx, r.WorkspaceID, action, fmt.Sprintf("delivery %d", r.ID), map[string]any{
		"plan": r.PlanKey, "post": r.PostKey, "channel": r.ChannelName, "from": r.Status})
}

// changeDelivery runs change on the workspace's delivery id in a write
// transaction and returns the delivery as it then is. An unknown id, or
// another workspace's, gives ENOTFOUND; change's error is returned as is.
func (db *DB) changeDelivery(ctx context.Context, wsID, id int64, change func(tx *sqlx.Tx, r deliveryRow) error) (*herald.Delivery, error) {
	var out *herald.Delivery
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		r, err := getDelivery(ctx, tx, wsID, id)
		if err != nil {
			return err
		}
		if err := change(tx, r); err != nil {
			return err
		}
		if r, err = getDelivery(ctx, tx, wsID, id); err != nil {
			return err
		}
		out = r.delivery()
		return nil
	})
	return out, err
}
