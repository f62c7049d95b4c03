package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/heraldhq/herald"
	"github.com/jmoiron/sqlx"
)

type planRow struct {
	ID          int64         `db:"id"`
	WorkspaceID int64         `db:"workspace_id"`
	Key         string        `db:"key"`
	Title       string        `db:"title"`
	Timezone    string        `db:"timezone"`
	StartAt     sql.NullInt64 `db:"start_at"`
	CreatedAt   int64         `db:"created_at"`
	UpdatedAt   int64         `db:"updated_at"`
	DeletedAt   sql.NullInt64 `db:"deleted_at"`
}

const planCols = `id, workspace_id, key, title, timezone, start_at, created_at, updated_at, deleted_at`

func (r planRow) plan() herald.Plan {
	return herald.Plan{ID: r.ID, WorkspaceID: r.WorkspaceID, Key: r.Key, Title: r.Title, Timezone: r.Timezone, Start: fromNullMs(r.StartAt),
		CreatedAt: fromMs(r.CreatedAt), UpdatedAt: fromMs(r.UpdatedAt), DeletedAt: fromNullMs(r.DeletedAt)}
}

// reportedPost is true for the posts a plan's report lists: its live rows,
// or for a deleted plan the rows it had when it was deleted.
const reportedPost = `(p.removed = 0 OR p.plan_deleted = 1)`

// getPlan reads the workspace's plan with this key, deleted or not; lock
// ends the query ("" or the dialect's forUpdate).
func getPlan(ctx context.Context, q sqlx.ExtContext, wsID int64, key, lock string) (planRow, error) {
	var r planRow
	err := get(ctx, q, &r, `SELECT `+planCols+` FROM plans WHERE workspace_id = ? AND key = ?`+lock, wsID, key)
	if notFound(err) {
		return r, herald.Errorf(herald.ENOTFOUND, "plan %q not found", key)
	} else if err != nil {
		return r, fmt.Errorf("plan: %w", err)
	}
	return r, nil
}

// Plan returns the workspace's plan with this key; a deleted plan has
// DeletedAt set. An unknown plan gives ENOTFOUND.
func (db *DB) Plan(ctx context.Context, wsID int64, key string) (*herald.Plan, error) {
	r, err := getPlan(ctx, db.r, wsID, key, "")
	if err != nil {
		return nil, err
	}
	p := r.plan()
	return &p, nil
}

// ListPlans returns up to limit (100 when <= 0) of the workspace's plans whose
// key sorts after after, ordered by key, each with its row count and its
// deliveries counted by status; deleted plans too, with DeletedAt set and
// the rows they had when deleted. Errors are wrapped.
func (db *DB) ListPlans(ctx context.Context, wsID int64, after string, limit int) ([]*herald.PlanSummary, error) {
	if limit <= 0 {
		limit = 100
	}
	var rows []planRow
	if err := sel(ctx, db.r, &rows, `SELECT `+planCols+` FROM plans WHERE workspace_id = ? AND key > ?
		ORDER BY key LIMIT ?`, wsID, after, limit); err != nil {
		return nil, fmt.Errorf("list plans: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	out := make([]*herald.PlanSummary, len(rows))
	byID := make(map[int64]*herald.PlanSummary, len(rows))
	ids := make([]int64, len(rows))
	for i, r := range rows {
		out[i] = &herald.PlanSummary{Plan: r.plan(), Statuses: map[herald.DeliveryStatus]int{}}
		byID[r.ID], ids[i] = out[i], r.ID
	}
	var counts []struct {
		PlanID int64  `db:"plan_id"`
		Status string `db:"status"`
		N      int    `db:"n"`
	}
	q, args, err := in(db.r, `SELECT p.plan_id, '' AS status, COUNT(*) AS n FROM posts p
		WHERE p.workspace_id = ? AND p.plan_id IN (?) AND `+reportedPost+` GROUP BY p.plan_id`, wsID, ids)
	if err == nil {
		err = sqlx.SelectContext(ctx, db.r, &counts, q, args...)
	}
	if err != nil {
		return nil, fmt.Errorf("list plans: %w", err)
	}
	for _, c := range counts {
		byID[c.PlanID].Posts = c.N
	}
	counts = counts[:0]
	q, args, err = in(db.r, `SELECT p.plan_id, d.status, COUNT(*) AS n FROM deliveries d JOIN posts p ON p.id = d.post_id
		WHERE d.workspace_id = ? AND p.plan_id IN (?) AND `+reportedPost+` GROUP BY p.plan_id, d.status`, wsID, ids)
	if err == nil {
		err = sqlx.SelectContext(ctx, db.r, &counts, q, args...)
	}
	if err != nil {
		return nil, fmt.Errorf("list plans: %w", err)
	}
	for _, c := range counts {
		byID[c.PlanID].Statuses[herald.DeliveryStatus(c.Status)] = c.N
	}
	return out, nil
}

// DeletePlan cancels the unpublished deliveries of the plan, marks its rows
// removed (and plan_deleted) and the plan deleted, and returns how many
// deliveries it cancelled. Published history stays in the calendar, and the
// plan stays readable: Plan and ListPlans show it with DeletedAt, PlanReport
// lists the rows it had. An upload under its key revives it (see ApplyPlan).
// The deletion is recorded in the audit log (plan.deleted). Deleting a
// deleted plan changes nothing and cancels 0; an unknown plan gives
// ENOTFOUND.
func (db *DB) DeletePlan(ctx context.Context, wsID int64, key string) (int, error) {
	var cancelled int64
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := db.lockWorkspace(ctx, tx, wsID); herald.ErrorCode(err) == herald.ENOTFOUND {
			return herald.Errorf(herald.ENOTFOUND, "plan %q not found", key)
		} else if err != nil {
			return fmt.Errorf("delete plan: %w", err)
		}
		p, err := getPlan(ctx, tx, wsID, key, db.d.forUpdate)
		if err != nil || p.DeletedAt.Valid {
			return err
		}
		now := db.nowMs()
		// What was still to go out is marked as cancelled by the deletion, so
		// that a re-upload revives it and nothing else (not what an operator
		// cancelled, nor what had failed).
		var toGo, done []int64 // still to go out; failed or missed
		for _, q := range []struct {
			ids *[]int64
			set herald.StatusSet
		}{{&toGo, stillToGo}, {&done, herald.StatusSet{herald.StatusFailed, herald.StatusMissed}}} {
			if err == nil {
				err = sel(ctx, tx, q.ids, `SELECT id FROM deliveries WHERE workspace_id = ? AND status IN `+sqlSet(q.set)+`
					AND post_id IN (SELECT id FROM posts WHERE plan_id = ? AND removed = 0)`, wsID, p.ID)
			}
		}
		var moved []int64
		if err == nil {
			moved, err = db.moveDeliveries(ctx, tx, toGo, move{from: stillToGo, to: to(herald.StatusCancelled),
				set: "error = ?", args: []any{planDeletedReason}, reason: "plan deleted"})
			cancelled = int64(len(moved))
		}
		if err == nil {
			moved, err = db.moveDeliveries(ctx, tx, done, move{from: herald.StatusSet{herald.StatusFailed, herald.StatusMissed},
				to: to(herald.StatusCancelled), reason: "plan deleted"})
			cancelled += int64(len(moved))
		}
		if err == nil {
			_, err = exec(ctx, tx, `UPDATE posts SET removed = 1, plan_deleted = 1, updated_at = ? WHERE plan_id = ? AND removed = 0`, now, p.ID)
		}
		if err == nil {
			_, err = exec(ctx, tx, `UPDATE plans SET deleted_at = ?, updated_at = ? WHERE id = ?`, now, now, p.ID)
		}
		if err == nil {
			err = db.audit(ctx, tx, wsID, herald.AuditPlanDeleted, "plan "+key, map[string]any{"cancelled": cancelled})
		}
		if err != nil {
			return fmt.Errorf("delete plan: %w", err)
		}
		return nil
	})
	return int(cancelled), err
}

// stillToGo are the unpublished statuses of deliveries that were still to go
// out: deleting their plan marks them planDeletedReason, for a revival.
var stillToGo = herald.StatusSet{herald.StatusScheduled, herald.StatusRetrying, herald.StatusPendingApproval}

// PlanReport returns every delivery of the plan's live rows — for a deleted
// plan, of the rows it had when deleted — (row × channel, including
// cancelled ones), ordered by row then channel name, with the row's rubric,
// the text as sent to that channel (the platform's variant, as the scheduler
// picks it) and the delivery's last error. An unknown plan gives ENOTFOUND.
func (db *DB) PlanReport(ctx context.Context, wsID int64, key string) ([]herald.ReportRow, error) {
	p, err := getPlan(ctx, db.r, wsID, key, "")
	if err != nil {
		return nil, err
	}
	var rows []struct {
		Key         string        `db:"key"`
		Row         int           `db:"row_num"`
		Channel     string        `db:"channel"`
		Platform    string        `db:"platform"`
		Config      string        `db:"config"`
		Rubric      string        `db:"rubric"`
		Content     string        `db:"content"`
		DueAt       int64         `db:"due_at"`
		Status      string        `db:"status"`
		RemoteID    string        `db:"remote_id"`
		URL         string        `db:"url"`
		PublishedAt sql.NullInt64 `db:"published_at"`
		Attempts    int           `db:"attempts"`
		Error       string        `db:"error"`
		ID          int64         `db:"id"`
		approvalRow
	}
	if err := sel(ctx, db.r, &rows, `SELECT p.key, p.row_num, c.name AS channel, c.platform, c.config, p.rubric, p.content, d.due_at, d.status,
		d.remote_id, d.url, d.published_at, d.attempts, d.error, d.id, `+approvalReadCols+`
		FROM deliveries d JOIN posts p ON p.id = d.post_id JOIN channels c ON c.id = d.channel_id
		WHERE d.workspace_id = ? AND p.plan_id = ? AND `+reportedPost+`
		ORDER BY p.row_num, c.name, d.id`, wsID, p.ID); err != nil {
		return nil, fmt.Errorf("plan report: %w", err)
	}
	ap, err := loadApprovals(ctx, db.r, wsID, `p.plan_id = ? AND `+reportedPost, p.ID)
	if err != nil {
		return nil, fmt.Errorf("plan report: %w", err)
	}
	out := make([]herald.ReportRow, len(rows))
	for i, r := range rows {
		var c postContent
		if err := json.Unmarshal([]byte(r.Content), &c); err != nil {
			return nil, fmt.Errorf("plan report: post %q: %w", r.Key, err)
		}
		post := c.post()
		out[i] = herald.ReportRow{Key: r.Key, Row: r.Row, Channel: r.Channel, Platform: r.Platform, Rubric: r.Rubric,
			Text: post.Message(textPlatform(r.Platform, r.Config)).Text, DueAt: fromMs(r.DueAt),
			Status: herald.DeliveryStatus(r.Status), RemoteID: r.RemoteID, URL: r.URL, PublishedAt: fromNullMs(r.PublishedAt),
			Attempts: r.Attempts, Error: r.Error, DeliveryID: r.ID, Approval: ap.of(r.approvalRow)}
	}
	return out, nil
}

// Calendar returns the workspace's deliveries ordered by (due_at, delivery
// id), filtered by f (From inclusive, To exclusive, channel name, status,
// rubric; zero values mean any) and starting strictly after the cursor
// (AfterDue, AfterID) when one is set; at most f.Limit (100 when <= 0).
// Deliveries of removed rows show only when published. An unknown status
// gives EINVALID.
func (db *DB) Calendar(ctx context.Context, wsID int64, f herald.CalendarFilter) ([]herald.CalendarEntry, error) {
	if f.Status != "" && !f.Status.Valid() {
		return nil, herald.Errorf(herald.EINVALID, "unknown status %q", f.Status)
	}
	q := `SELECT d.id, pl.key AS plan_key, p.key AS post_key, p.row_num, c.name AS channel, c.platform, c.config AS channel_config, d.due_at, d.status,
		p.content, p.rubric, d.remote_id, d.url, d.published_at, d.error, ` + approvalReadCols + `
		FROM deliveries d JOIN posts p ON p.id = d.post_id JOIN plans pl ON pl.id = p.plan_id JOIN channels c ON c.id = d.channel_id
		WHERE d.workspace_id = ? AND (p.removed = 0 OR d.status = 'published')`
	args := []any{wsID}
	if !f.From.IsZero() {
		q += ` AND d.due_at >= ?`
		args = append(args, ms(f.From))
	}
	if !f.To.IsZero() {
		q += ` AND d.due_at < ?`
		args = append(args, ms(f.To))
	}
	if f.Channel != "" {
		q += ` AND c.name = ?`
		args = append(args, f.Channel)
	}
	if f.Status != "" {
		q += ` AND d.status = ?`
		args = append(args, string(f.Status))
	}
	if f.Rubric != "" {
		q += ` AND p.rubric = ?`
		args = append(args, f.Rubric)
	}
	if !f.AfterDue.IsZero() || f.AfterID != 0 {
		q += ` AND (d.due_at > ? OR (d.due_at = ? AND d.id > ?))`
		args = append(args, ms(f.AfterDue), ms(f.AfterDue), f.AfterID)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	q += ` ORDER BY d.due_at, d.id LIMIT ?`
	args = append(args, limit)
	var rows []struct {
		ID          int64         `db:"id"`
		PlanKey     string        `db:"plan_key"`
		PostKey     string        `db:"post_key"`
		Row         int           `db:"row_num"`
		Channel     string        `db:"channel"`
		Platform    string        `db:"platform"`
		Config      string        `db:"channel_config"`
		DueAt       int64         `db:"due_at"`
		Status      string        `db:"status"`
		Content     string        `db:"content"`
		Rubric      string        `db:"rubric"`
		RemoteID    string        `db:"remote_id"`
		URL         string        `db:"url"`
		PublishedAt sql.NullInt64 `db:"published_at"`
		Error       string        `db:"error"`
		approvalRow
	}
	if err := sel(ctx, db.r, &rows, q, args...); err != nil {
		return nil, fmt.Errorf("calendar: %w", err)
	}
	postIDs := make([]int64, 0, len(rows))
	for _, r := range rows {
		postIDs = append(postIDs, r.PostID)
	}
	if len(postIDs) == 0 {
		postIDs = append(postIDs, 0) // IN () is not SQL
	}
	ap, err := loadApprovals(ctx, db.r, wsID, `p.id IN (?)`, postIDs)
	if err != nil {
		return nil, fmt.Errorf("calendar: %w", err)
	}
	out := make([]herald.CalendarEntry, len(rows))
	for i, r := range rows {
		var c postContent
		if err := json.Unmarshal([]byte(r.Content), &c); err != nil {
			return nil, fmt.Errorf("calendar: post %q: %w", r.PostKey, err)
		}
		post := c.post()
		out[i] = herald.CalendarEntry{DeliveryID: r.ID, Plan: r.PlanKey, Key: r.PostKey, Row: r.Row, Channel: r.Channel,
			Platform: r.Platform, DueAt: fromMs(r.DueAt), Status: herald.DeliveryStatus(r.Status),
			Text: post.Message(textPlatform(r.Platform, r.Config)).Text, Rubric: r.Rubric, Tags: c.Tags, RemoteID: r.RemoteID, URL: r.URL,
			PublishedAt: fromNullMs(r.PublishedAt), Error: r.Error, Approval: ap.of(r.approvalRow)}
	}
	return out, nil
}
