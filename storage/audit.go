package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/heraldhq/herald"
	"github.com/jmoiron/sqlx"
)

// The audit log (migrations/*/0012_audit_log.sql): every change, by whom,
// written in the transaction that makes it, so that an entry exists exactly
// when its change committed. Append-only: the only statement that writes
// audit_log is the INSERT in appendAudit (a test greps for others), and
// DeleteWorkspace keeps the workspace's entries.
//
// To record a change from a storage function that has a transaction:
//
//	if err := db.audit(ctx, tx, wsID, herald.AuditMemberAdded, "member "+email, map[string]any{"role": role}); err != nil {
//		return err
//	}
//
// wsID 0 makes an instance-level entry (tokens, users, failed logins). The
// actor is herald.ActorOf(ctx), which the API sets for each request. For a
// change that has no transaction of its own (a failed login), DB.Audit.

// Bounds on an entry's text, in bytes (details: herald.MaxAuditDetailsBytes).
const (
	auditTargetMax = 300
	auditActorMax  = 200
	auditStringMax = 200 // a details string, when the details are too long
	auditListMax   = 20  // a details list, when the details are too long
)

// audit appends an entry for action on target, with details, to the audit
// log in tx, as done by herald.ActorOf(ctx) in workspace wsID (0: none).
// details must not hold a secret. An action not in herald.AuditActions is an
// error (add it there); database errors are wrapped.
func (db *DB) audit(ctx context.Context, tx *sqlx.Tx, wsID int64, action, target string, details map[string]any) error {
	return db.appendAudit(ctx, tx, wsID, herald.AuditActorOf(herald.ActorOf(ctx)), action, target, details)
}

// Audit records e in the audit log, for a change with no other write (a
// failed login), in workspace wsID (0: an instance-level entry). e.Actor,
// when its Kind is empty, is herald.ActorOf(ctx); e.ID and e.At are set by
// the log (At is the DB's clock). An action not in herald.AuditActions gives
// EINVALID; database errors are wrapped.
func (db *DB) Audit(ctx context.Context, wsID int64, e herald.AuditEntry) error {
	if !herald.KnownAuditAction(e.Action) {
		return herald.Errorf(herald.EINVALID, "unknown audit action %q", e.Action)
	}
	actor := e.Actor
	if actor.Kind == "" {
		actor = herald.AuditActorOf(herald.ActorOf(ctx))
	}
	return db.appendAudit(ctx, db.w, wsID, actor, e.Action, e.Target, e.Details)
}

func (db *DB) appendAudit(ctx context.Context, q sqlx.ExtContext, wsID int64, actor herald.AuditActor, action, target string, details map[string]any) error {
	if !herald.KnownAuditAction(action) {
		return fmt.Errorf("audit: unknown action %q: add it to herald.AuditActions", action)
	}
	d, err := auditDetails(details)
	if err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	var ws any
	if wsID != 0 {
		ws = wsID
	}
	if _, err := exec(ctx, q, `INSERT INTO audit_log (workspace_id, workspace, at, actor_kind, actor_id, actor_name, action, target, details)
		VALUES (?, COALESCE((SELECT slug FROM workspaces WHERE id = ?), ''), ?, ?, ?, ?, ?, ?, ?)`,
		ws, ws, db.nowMs(), actor.Kind, cut(actor.ID, auditActorMax), cut(actor.Name, auditActorMax), action,
		cut(target, auditTargetMax), d); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

// auditDetails encodes details as a JSON object of at most
// herald.MaxAuditDetailsBytes: too long, its strings and lists are
// shortened; still too long, it is {"truncated": true}.
func auditDetails(details map[string]any) (string, error) {
	if len(details) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(details)
	if err != nil {
		return "", err
	}
	if len(b) <= herald.MaxAuditDetailsBytes {
		return string(b), nil
	}
	if b, err = json.Marshal(shorten(details)); err == nil && len(b) <= herald.MaxAuditDetailsBytes {
		return string(b), nil
	}
	return `{"truncated":true}`, nil
}

// shorten is v with its strings cut to auditStringMax bytes and its lists to
// auditListMax items, at every depth.
func shorten(v any) any {
	switch v := v.(type) {
	case string:
		return cut(v, auditStringMax)
	case []string:
		out := make([]any, 0, min(len(v), auditListMax))
		for _, s := range v[:min(len(v), auditListMax)] {
			out = append(out, cut(s, auditStringMax))
		}
		return out
	case []any:
		out := make([]any, 0, min(len(v), auditListMax))
		for _, x := range v[:min(len(v), auditListMax)] {
			out = append(out, shorten(x))
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[cut(k, auditStringMax)] = shorten(x)
		}
		out["truncated"] = true
		return out
	}
	return v
}

// cut is s cut to n bytes at most, on a rune boundary, with "…" when cut.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

type auditRow struct {
	ID        int64  `db:"id"`
	Workspace string `db:"workspace"`
	At        int64  `db:"at"`
	ActorKind string `db:"actor_kind"`
	ActorID   string `db:"actor_id"`
	ActorName string `db:"actor_name"`
	Action    string `db:"action"`
	Target    string `db:"target"`
	Details   string `db:"details"`
}

func (r auditRow) entry() herald.AuditEntry {
	e := herald.AuditEntry{ID: r.ID, At: fromMs(r.At), Workspace: r.Workspace,
		Actor:  herald.AuditActor{Kind: r.ActorKind, ID: r.ActorID, Name: r.ActorName},
		Action: r.Action, Target: r.Target, Details: map[string]any{}}
	_ = json.Unmarshal([]byte(r.Details), &e.Details) // written by appendAudit: a JSON object
	if e.Details == nil {
		e.Details = map[string]any{}
	}
	return e
}

// AuditLog returns the audit entries f selects, newest first, at most
// f.Limit (herald.DefaultAuditLimit when 0, herald.MaxAuditLimit at most),
// and next: the Before of the following page (0 on the last page). A
// workspace's entries stay after it is deleted. It gives EINVALID for an
// action filter that is neither an action nor a prefix ending in "." (see
// herald.ParseAuditAction) or an unknown actor kind, and wraps database
// errors.
func (db *DB) AuditLog(ctx context.Context, f herald.AuditFilter) (entries []herald.AuditEntry, next int64, err error) {
	limit := f.Limit
	if limit <= 0 {
		limit = herald.DefaultAuditLimit
	}
	limit = min(limit, herald.MaxAuditLimit)
	if _, err := herald.ParseAuditAction(f.Action); err != nil {
		return nil, 0, err
	}
	var where []string
	var args []any
	if f.WorkspaceID != 0 {
		where, args = append(where, "workspace_id = ?"), append(args, f.WorkspaceID)
	}
	if f.Before > 0 {
		where, args = append(where, "id < ?"), append(args, f.Before)
	}
	if f.ActorKind != "" {
		if !slices.Contains(herald.AuditActorKinds, f.ActorKind) {
			return nil, 0, herald.Errorf(herald.EINVALID, "unknown actor kind %q; use one of %s", f.ActorKind, strings.Join(herald.AuditActorKinds, ", "))
		}
		where, args = append(where, "actor_kind = ?"), append(args, f.ActorKind)
		if f.ActorID != "" {
			where, args = append(where, "actor_id = ?"), append(args, f.ActorID)
		}
	}
	switch {
	case strings.HasSuffix(f.Action, "."):
		// Compared byte for byte: not LIKE (its '_' is a wildcard, and
		// SQLite's ignores case) nor a range (PostgreSQL collations may
		// ignore punctuation).
		where, args = append(where, "substr(action, 1, ?) = ?"), append(args, len(f.Action), f.Action)
	case f.Action != "":
		where, args = append(where, "action = ?"), append(args, f.Action)
	}
	q := `SELECT id, workspace, at, actor_kind, actor_id, actor_name, action, target, details FROM audit_log`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	var rows []auditRow
	if err := sel(ctx, db.r, &rows, q+` ORDER BY id DESC LIMIT ?`, append(args, limit+1)...); err != nil {
		return nil, 0, fmt.Errorf("audit log: %w", err)
	}
	if len(rows) > limit {
		rows = rows[:limit]
		next = rows[limit-1].ID
	}
	entries = make([]herald.AuditEntry, len(rows))
	for i, r := range rows {
		entries[i] = r.entry()
	}
	return entries, next, nil
}
