package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/jmoiron/sqlx"
)

// The crisis stop (migration 0011): a row of pauses holds its scope's
// deliveries; the claim (headsSQL), missed-marking and NextDue pass over
// what a pause holds.
//
// The promise is that once Pause has answered, no delivery it holds is
// claimed, by any process. On SQLite a claim is a write transaction, so it
// runs wholly before or wholly after the pause's. On PostgreSQL (READ
// COMMITTED) a claim statement that started before the pause committed
// works from a snapshot without it, and could commit its claim after the
// pause's answer. So pause and claim conflict on an advisory lock: every
// claim first takes it shared (claimGate), held to its commit; Pause takes
// it exclusive before it writes. Pause therefore waits for the claims
// running, then reads what is in flight (their claims are committed and
// visible to its next statement), and claims starting meanwhile wait for it
// to commit, after which their claim statement — a later statement, with a
// later snapshot — sees the pause. Claims do not conflict with each other
// (shared), so the cost of a claim is one statement, which also tells
// whether a pause's until has come (resumeExpired). The lock is one for
// the instance: a pause is rare and holds it only for its short
// transaction, and the claim cannot know which workspaces it will touch
// before it reads them. Locking workspace or channel rows instead would
// cost a claim a lock per channel it looks at.

// pauseLockKey is the advisory lock pauses and claims share on PostgreSQL.
const pauseLockKey = 0x68657261_6c640003 // "herald", 3

// pausedSQL is the condition that a pause holds the delivery (or channel)
// whose workspace and channel ids are the columns ws and ch: the instance,
// its workspace or its channel is paused. Each subquery is uncorrelated and
// read once per statement; with no pause in force they find nothing at
// once. The IS NOT NULL keeps NULL out of IN.
func pausedSQL(ws, ch string) string {
	return `(EXISTS (SELECT 1 FROM pauses WHERE workspace_id IS NULL)
		OR ` + ws + ` IN (SELECT workspace_id FROM pauses WHERE channel_id IS NULL AND workspace_id IS NOT NULL)
		OR ` + ch + ` IN (SELECT channel_id FROM pauses WHERE channel_id IS NOT NULL))`
}

// notPausedSQL is pausedSQL's negation.
func notPausedSQL(ws, ch string) string { return "NOT " + pausedSQL(ws, ch) }

type pauseRow struct {
	ID          int64         `db:"id"`
	Scope       string        `db:"scope"`
	WorkspaceID sql.NullInt64 `db:"workspace_id"`
	ChannelID   sql.NullInt64 `db:"channel_id"`
	PausedAt    int64         `db:"paused_at"`
	Reason      string        `db:"reason"`
	By          string        `db:"paused_by"`
	ByName      string        `db:"paused_by_name"`
	Until       sql.NullInt64 `db:"until_at"`
	Workspace   string        `db:"workspace"` // the slug, '' for the instance
	Channel     string        `db:"channel"`   // the name, '' unless a channel's
}

const pauseCols = `p.id, p.scope, p.workspace_id, p.channel_id, p.paused_at, p.reason, p.paused_by, p.paused_by_name, p.until_at,
	COALESCE(w.slug, '') AS workspace, COALESCE(c.name, '') AS channel`

const pauseFrom = ` FROM pauses p LEFT JOIN workspaces w ON w.id = p.workspace_id LEFT JOIN channels c ON c.id = p.channel_id`

func (r pauseRow) pause() herald.Pause {
	return herald.Pause{Scope: herald.PauseScope(r.Scope), Workspace: r.Workspace, Channel: r.Channel, At: fromMs(r.PausedAt),
		Reason: r.Reason, By: r.By, ByName: r.ByName, Until: fromNullMs(r.Until)}
}

func (r pauseRow) target() herald.PauseTarget {
	return herald.PauseTarget{WorkspaceID: r.WorkspaceID.Int64, Workspace: r.Workspace, ChannelID: r.ChannelID.Int64, Channel: r.Channel}
}

// scopeSQL is the condition that delivery d is in t's scope, with its binds.
func scopeSQL(t herald.PauseTarget) (string, []any) {
	switch t.Scope() {
	case herald.ScopeChannel:
		return "d.channel_id = ?", []any{t.ChannelID}
	case herald.ScopeWorkspace:
		return "d.workspace_id = ?", []any{t.WorkspaceID}
	}
	return "1 = 1", nil
}

// Pause holds every delivery of t's scope — the instance, a workspace or a
// channel — from its commit on: no process claims one of them, nor marks
// one missed, until Resume (or until req.Until, when the first claim after
// it resumes the scope). Pausing a scope already paused keeps its first
// paused_at and updates the reason, until and who paused it
// (Already true). The answer lists the scope's deliveries that were
// publishing when the pause took effect: those may still appear on their
// platforms. req must have been validated (herald.PauseRequest.Validate);
// an empty reason gives EINVALID, a workspace or channel that does not
// exist ENOTFOUND; database errors are wrapped.
func (db *DB) Pause(ctx context.Context, t herald.PauseTarget, req herald.PauseRequest) (*herald.PauseResult, error) {
	req.Reason = strings.TrimSpace(req.Reason)
	if req.Reason == "" {
		return nil, herald.Errorf(herald.EINVALID, "a pause needs a reason")
	}
	actor := herald.ActorOf(ctx)
	var until sql.NullInt64
	if req.Until != nil {
		until = sql.NullInt64{Int64: ms(*req.Until), Valid: true}
	}
	var res *herald.PauseResult
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		if db.d.lockPause != "" {
			// Wait for the claims running now; hold new ones until commit.
			if _, err := tx.ExecContext(ctx, db.d.lockPause); err != nil {
				return fmt.Errorf("wait for running claims: %w", busy(err))
			}
		}
		if err := db.checkTarget(ctx, tx, t); err != nil {
			return err
		}
		now := db.nowMs()
		var old pauseRow
		err := get(ctx, tx, &old, `SELECT `+pauseCols+pauseFrom+` WHERE COALESCE(p.workspace_id, 0) = ? AND COALESCE(p.channel_id, 0) = ?`,
			t.WorkspaceID, t.ChannelID)
		already := err == nil
		switch {
		case already:
			_, err = exec(ctx, tx, `UPDATE pauses SET reason = ?, paused_by = ?, paused_by_name = ?, until_at = ?, updated_at = ? WHERE id = ?`,
				req.Reason, actor.String(), actor.Name, until, now, old.ID)
		case notFound(err):
			old.PausedAt = now
			_, err = exec(ctx, tx, `INSERT INTO pauses (scope, workspace_id, channel_id, paused_at, reason, paused_by, paused_by_name, until_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, string(t.Scope()), nullID(t.WorkspaceID), nullID(t.ChannelID), now,
				req.Reason, actor.String(), actor.Name, until, now)
		}
		if err != nil {
			return fmt.Errorf("pause: %w", err)
		}
		details := map[string]any{"reason": req.Reason, "already_paused": already}
		if until.Valid {
			details["until"] = fromMs(until.Int64)
		}
		if err := db.audit(ctx, tx, t.WorkspaceID, pauseAction(t.Scope(), true), pauseAuditTarget(t), details); err != nil {
			return err
		}
		flying, err := db.inFlight(ctx, tx, t)
		if err != nil {
			return err
		}
		res = &herald.PauseResult{Scope: t.Scope(), Workspace: t.Workspace, Channel: t.Channel, PausedAt: fromMs(old.PausedAt),
			Reason: req.Reason, By: actor.String(), ByName: actor.Name, Until: fromNullMs(until), Already: already, InFlight: flying}
		return nil
	})
	if err != nil {
		return nil, err
	}
	db.log.Warn().Str("scope", string(t.Scope())).Str("workspace", t.Workspace).Str("channel", t.Channel).Str("reason", res.Reason).
		Str("by", res.By).Int("in_flight", len(res.InFlight)).Msg("publishing paused")
	return res, nil
}

// checkTarget gives ENOTFOUND unless t's workspace (and channel) exist.
func (db *DB) checkTarget(ctx context.Context, tx *sqlx.Tx, t herald.PauseTarget) error {
	var n int
	switch t.Scope() {
	case herald.ScopeChannel:
		if err := get(ctx, tx, &n, `SELECT COUNT(*) FROM channels WHERE id = ? AND workspace_id = ? AND deleted_at IS NULL`,
			t.ChannelID, t.WorkspaceID); err != nil {
			return fmt.Errorf("pause: %w", err)
		}
	case herald.ScopeWorkspace:
		if err := get(ctx, tx, &n, `SELECT COUNT(*) FROM workspaces WHERE id = ?`, t.WorkspaceID); err != nil {
			return fmt.Errorf("pause: %w", err)
		}
	default:
		return nil
	}
	if n == 0 {
		return herald.Errorf(herald.ENOTFOUND, "%s not found", t)
	}
	return nil
}

func nullID(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }

// maxInFlight bounds the in-flight list of a pause's answer: at most one
// delivery a channel publishes at a time.
const maxInFlight = 10_000

// inFlight lists t's deliveries being published, by id.
func (db *DB) inFlight(ctx context.Context, tx *sqlx.Tx, t herald.PauseTarget) ([]herald.InFlight, error) {
	where, args := scopeSQL(t)
	var rows []struct {
		ID      int64  `db:"id"`
		Channel string `db:"channel"`
		Plan    string `db:"plan"`
		Post    string `db:"post"`
	}
	if err := sel(ctx, tx, &rows, `SELECT d.id, c.name AS channel, pl.key AS plan, p.key AS post
		FROM deliveries d JOIN channels c ON c.id = d.channel_id JOIN posts p ON p.id = d.post_id JOIN plans pl ON pl.id = p.plan_id
		WHERE d.status = 'publishing' AND `+where+` ORDER BY d.id LIMIT ?`, append(args, maxInFlight)...); err != nil {
		return nil, fmt.Errorf("pause: in flight: %w", err)
	}
	out := make([]herald.InFlight, len(rows))
	for i, r := range rows {
		out[i] = herald.InFlight{ID: r.ID, Channel: r.Channel, Plan: r.Plan, Post: r.Post}
	}
	return out, nil
}

// Resume ends t's pause: of the deliveries it held that no other pause
// still holds, those past their lateness window (counted as the claim
// counts it: from retried_at after a late retry, else due_at, plus the
// workspace's max_lateness) become missed with the reason
// herald.MissedPaused, through the lifecycle (an event each); the others
// wait as they were and go out in due order per channel, at once when
// due. It gives ECONFLICT, naming what is paused instead when something
// is, when t's scope is not paused itself; database errors are wrapped.
func (db *DB) Resume(ctx context.Context, t herald.PauseTarget) (*herald.ResumeResult, error) {
	var res *herald.ResumeResult
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		var p pauseRow
		err := get(ctx, tx, &p, `DELETE FROM pauses WHERE COALESCE(workspace_id, 0) = ? AND COALESCE(channel_id, 0) = ?
			RETURNING id, scope, workspace_id, channel_id, paused_at, reason, paused_by, paused_by_name, until_at`, t.WorkspaceID, t.ChannelID)
		if notFound(err) {
			return db.notPaused(ctx, tx, t)
		} else if err != nil {
			return fmt.Errorf("resume: %w", err)
		}
		p.Workspace, p.Channel = t.Workspace, t.Channel
		if res, err = db.release(ctx, tx, p, db.nowMs()); err != nil {
			return err
		}
		return db.auditResume(ctx, tx, p, res, "")
	})
	if err != nil {
		return nil, err
	}
	db.logResume(res, "publishing resumed")
	return res, nil
}

// notPaused is Resume's ECONFLICT for t, naming the wider pause that holds
// it, if one does.
func (db *DB) notPaused(ctx context.Context, tx *sqlx.Tx, t herald.PauseTarget) error {
	var wider []pauseRow
	if err := sel(ctx, tx, &wider, `SELECT `+pauseCols+pauseFrom+` WHERE p.workspace_id IS NULL OR (p.channel_id IS NULL AND p.workspace_id = ?)
		ORDER BY p.id`, t.WorkspaceID); err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	msg := fmt.Sprintf("%s is not paused, so there is nothing to resume", t)
	for _, w := range wider {
		scope := herald.PauseScope(w.Scope)
		if scope == herald.ScopeInstance && t.Scope() != herald.ScopeInstance {
			return herald.Errorf(herald.ECONFLICT, "%s; the whole instance is paused (%q): the instance admin resumes it with POST /api/v1/resume", msg, w.Reason)
		}
		if scope == herald.ScopeWorkspace && t.Scope() == herald.ScopeChannel {
			return herald.Errorf(herald.ECONFLICT, "%s; its workspace is paused (%q): resume it with POST /api/v1/workspaces/%s/resume", msg, w.Reason, t.Workspace)
		}
	}
	return herald.Errorf(herald.ECONFLICT, "%s", msg)
}

// release lets go, at now, the deliveries the deleted pause p held: those
// past their window become missed, the rest wait to be claimed; it counts
// what it did.
func (db *DB) release(ctx context.Context, tx *sqlx.Tx, p pauseRow, now int64) (*herald.ResumeResult, error) {
	t := p.target()
	res := &herald.ResumeResult{Scope: herald.PauseScope(p.Scope), Workspace: p.Workspace, Channel: p.Channel,
		PausedAt: fromMs(p.PausedAt), Reason: p.Reason, ResumedAt: fromMs(now)}
	where, args := scopeSQL(t)
	def := herald.DefaultMaxLateness.Milliseconds()
	var late []int64
	// The least window of any workspace narrows the index range first, as
	// markMissed does.
	if err := sel(ctx, tx, &late, `SELECT d.id FROM deliveries d JOIN workspaces w ON w.id = d.workspace_id
		WHERE d.status IN `+waitingIn+` AND `+where+` AND `+notPausedSQL("d.workspace_id", "d.channel_id")+`
		AND d.due_at < CAST(? AS BIGINT) - (SELECT MIN(CASE WHEN max_lateness_ms > 0 THEN max_lateness_ms ELSE CAST(? AS BIGINT) END) FROM workspaces)
		AND COALESCE(d.retried_at, d.due_at) + CASE WHEN w.max_lateness_ms > 0 THEN w.max_lateness_ms ELSE CAST(? AS BIGINT) END < ?
		ORDER BY d.id`, append(args, now, def, def, now)...); err != nil {
		return nil, fmt.Errorf("resume: late deliveries: %w", err)
	}
	msg := fmt.Sprintf("missed: publishing was paused (%s, since %s: %q) past the delivery's lateness window",
		t, fromMs(p.PausedAt).Format(time.RFC3339), p.Reason)
	moved, err := db.moveDeliveries(ctx, tx, late, move{from: herald.Waiting, to: to(herald.StatusMissed),
		set: "error = ?", args: []any{truncateReason(msg)}, reason: herald.MissedPaused})
	if err != nil {
		return nil, fmt.Errorf("resume: %w", err)
	}
	res.Missed = len(moved)
	db.missed.Add(int64(len(moved)))
	for _, id := range moved {
		db.log.Warn().Int64("delivery", id).Str("workspace", p.Workspace).Str("channel", p.Channel).Str("scope", p.Scope).
			Msg("delivery missed: paused past its lateness window")
	}
	var counts struct {
		Free int `db:"free"`
		Held int `db:"held"`
	}
	if err := get(ctx, tx, &counts, `SELECT
		COALESCE(SUM(CASE WHEN `+pausedSQL("d.workspace_id", "d.channel_id")+` THEN 0 ELSE 1 END), 0) AS free,
		COALESCE(SUM(CASE WHEN `+pausedSQL("d.workspace_id", "d.channel_id")+` THEN 1 ELSE 0 END), 0) AS held
		FROM deliveries d WHERE d.status IN `+waitingIn+` AND d.next_attempt_at <= ? AND `+where,
		append([]any{now}, args...)...); err != nil {
		return nil, fmt.Errorf("resume: count: %w", err)
	}
	res.WillPublish, res.StillHeld = counts.Free, counts.Held
	return res, nil
}

func (db *DB) logResume(res *herald.ResumeResult, msg string) {
	db.log.Warn().Str("scope", string(res.Scope)).Str("workspace", res.Workspace).Str("channel", res.Channel).
		Int("will_publish", res.WillPublish).Int("missed", res.Missed).Int("still_held", res.StillHeld).Msg(msg)
}

// gateClaims runs first in every claim's transaction. On PostgreSQL it
// takes the pause lock shared until the claim commits (see the top of this
// file); on both it tells whether a pause's until has come, and then
// resumes those pauses (resumeExpired) before the claim looks at what is due.
func (db *DB) gateClaims(ctx context.Context, tx *sqlx.Tx, now time.Time) error {
	var expired bool
	if err := get(ctx, tx, &expired, db.d.claimGate, ms(now)); err != nil {
		return fmt.Errorf("pause gate: %w", err)
	}
	if !expired {
		return nil
	}
	return db.resumeExpired(ctx, tx, now)
}

// resumeExpired resumes, in tx at now, the pauses whose until has come, as
// Resume does. Claims running at once on several processes each try: the
// DELETE lets one of them do each.
func (db *DB) resumeExpired(ctx context.Context, tx *sqlx.Tx, now time.Time) error {
	var due []pauseRow
	if err := sel(ctx, tx, &due, `SELECT `+pauseCols+pauseFrom+` WHERE p.until_at <= ? ORDER BY p.id`, ms(now)); err != nil {
		return fmt.Errorf("expired pauses: %w", err)
	}
	for _, p := range due {
		n, err := exec(ctx, tx, `DELETE FROM pauses WHERE id = ? AND until_at <= ?`, p.ID, ms(now))
		if err != nil {
			return fmt.Errorf("resume expired pause: %w", err)
		} else if n == 0 {
			continue // resumed meanwhile, by hand or by another process
		}
		res, err := db.release(ctx, tx, p, ms(now))
		if err != nil {
			return err
		}
		// By the system, whoever's claim found it: the pause's until came.
		if err := db.auditResume(herald.WithActor(ctx, herald.Actor{Kind: "system", ID: "pause-until"}), tx, p, res, "the pause's until came"); err != nil {
			return err
		}
		db.logResume(res, "publishing resumed: the pause's until came")
	}
	return nil
}

// Pauses returns the pauses bearing on workspace wsID: the instance's, the
// workspace's own and those of its channels (by channel name), widest
// first. Database errors are wrapped.
func (db *DB) Pauses(ctx context.Context, wsID int64) ([]herald.Pause, error) {
	var rows []pauseRow
	if err := sel(ctx, db.r, &rows, `SELECT `+pauseCols+pauseFrom+`
		WHERE p.workspace_id IS NULL OR (p.workspace_id = ? AND (p.channel_id IS NULL OR c.deleted_at IS NULL))
		ORDER BY CASE p.scope WHEN 'instance' THEN 0 WHEN 'workspace' THEN 1 ELSE 2 END, COALESCE(c.name, ''), p.id`, wsID); err != nil {
		return nil, fmt.Errorf("pauses: %w", err)
	}
	out := make([]herald.Pause, len(rows))
	for i, r := range rows {
		out[i] = r.pause()
	}
	return out, nil
}

// pauseAction is the audit action of pausing (or resuming) scope.
func pauseAction(scope herald.PauseScope, pause bool) string {
	switch {
	case scope == herald.ScopeChannel && pause:
		return herald.AuditChannelPaused
	case scope == herald.ScopeChannel:
		return herald.AuditChannelResumed
	case scope == herald.ScopeWorkspace && pause:
		return herald.AuditWorkspacePaused
	case scope == herald.ScopeWorkspace:
		return herald.AuditWorkspaceResumed
	case pause:
		return herald.AuditInstancePaused
	}
	return herald.AuditInstanceResumed
}

// pauseAuditTarget names t in the audit log: "workspace brand",
// "channel tg", "instance".
func pauseAuditTarget(t herald.PauseTarget) string {
	switch t.Scope() {
	case herald.ScopeChannel:
		return "channel " + t.Channel
	case herald.ScopeWorkspace:
		return "workspace " + t.Workspace
	}
	return "instance"
}

// auditResume records, in tx, that pause p was resumed with res (why: why
// it was, when not by the caller).
func (db *DB) auditResume(ctx context.Context, tx *sqlx.Tx, p pauseRow, res *herald.ResumeResult, why string) error {
	t := herald.PauseTarget{WorkspaceID: p.WorkspaceID.Int64, Workspace: p.Workspace, ChannelID: p.ChannelID.Int64, Channel: p.Channel}
	details := map[string]any{"reason": p.Reason, "will_publish": res.WillPublish, "missed": res.Missed, "still_held": res.StillHeld}
	if why != "" {
		details["why"] = why
	}
	return db.audit(ctx, tx, t.WorkspaceID, pauseAction(t.Scope(), false), pauseAuditTarget(t), details)
}
