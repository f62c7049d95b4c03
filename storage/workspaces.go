package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/heraldhq/herald"
	"github.com/jmoiron/sqlx"
)

type workspaceRow struct {
	ID               int64  `db:"id"`
	Slug             string `db:"slug"`
	Name             string `db:"name"`
	Timezone         string `db:"timezone"`
	ApprovalRequired bool   `db:"approval_required"`
	ApprovalSteps    string `db:"approval_steps"`
	AllowSelf        bool   `db:"allow_self_approval"`
	MaxLatenessMs    int64  `db:"max_lateness_ms"`
	CreatedAt        int64  `db:"created_at"`
	UpdatedAt        int64  `db:"updated_at"`
}

const workspaceCols = `id, slug, name, timezone, approval_required, approval_steps, allow_self_approval, max_lateness_ms, created_at, updated_at`

func (r workspaceRow) workspace() *herald.Workspace {
	return &herald.Workspace{ID: r.ID, Slug: r.Slug, Name: r.Name, Timezone: r.Timezone,
		ApprovalRequired: r.ApprovalRequired, ApprovalSteps: decodeSteps(r.ApprovalSteps), AllowSelfApproval: r.AllowSelf,
		MaxLateness: herald.Duration(time.Duration(r.MaxLatenessMs) * time.Millisecond),
		CreatedAt:   fromMs(r.CreatedAt), UpdatedAt: fromMs(r.UpdatedAt)}
}

// decodeSteps reads workspaces.approval_steps ([] for what does not parse:
// the API validates what it stores).
func decodeSteps(s string) []herald.ApprovalStep {
	steps := []herald.ApprovalStep{}
	if err := json.Unmarshal([]byte(s), &steps); err != nil || steps == nil {
		return []herald.ApprovalStep{}
	}
	return steps
}

// encodeSteps is what workspaces.approval_steps holds for steps.
func encodeSteps(steps []herald.ApprovalStep) string {
	if len(steps) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(steps)
	return string(b)
}

func latenessMs(d herald.Duration) int64 { return time.Duration(d).Milliseconds() }

// CreateWorkspace stores a validated workspace and sets its ID, CreatedAt and
// UpdatedAt, and records workspace.created in the audit log. When the
// actor in ctx is a person (herald.Actor.UserID: an admin user, signed in or
// through their token), they become its owner in the same transaction
// (member.added). A slug already taken gives ECONFLICT.
func (db *DB) CreateWorkspace(ctx context.Context, ws *herald.Workspace) error {
	now := db.nowMs()
	var id int64
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		id, err = insertID(ctx, tx, `INSERT INTO workspaces (slug, name, timezone, approval_required, approval_steps, allow_self_approval,
			max_lateness_ms, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, ws.Slug, ws.Name, ws.Timezone, boolInt(ws.ApprovalRequired),
			encodeSteps(ws.ApprovalSteps), boolInt(ws.AllowSelfApproval), latenessMs(ws.MaxLateness), now, now)
		if isUnique(err) {
			return herald.Errorf(herald.ECONFLICT, "workspace %q already exists", ws.Slug)
		} else if err != nil {
			return fmt.Errorf("create workspace: %w", err)
		}
		if err := db.audit(ctx, tx, id, herald.AuditWorkspaceCreated, "workspace "+ws.Slug,
			map[string]any{"name": ws.Name, "timezone": ws.Timezone}); err != nil {
			return err
		}
		owner := herald.ActorOf(ctx).UserID
		if owner == 0 {
			return nil
		}
		// Locked, as RemoveUser locks them: a user removed meanwhile owns
		// nothing.
		var email string
		err = get(ctx, tx, &email, `SELECT email FROM users WHERE id = ? AND disabled_at IS NULL`+db.d.forUpdate, owner)
		if notFound(err) {
			return herald.Errorf(herald.EUNAUTHORIZED, "your user was removed meanwhile")
		} else if err != nil {
			return fmt.Errorf("create workspace: owner %d: %w", owner, err)
		}
		if _, err := exec(ctx, tx, `INSERT INTO members (workspace_id, user_id, role, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
			id, owner, string(herald.RoleOwner), now, now); err != nil {
			return fmt.Errorf("create workspace: %w", err)
		}
		return db.auditMember(ctx, tx, id, herald.AuditMemberAdded, email, "", herald.RoleOwner)
	})
	if err != nil {
		return err
	}
	ws.ID, ws.CreatedAt, ws.UpdatedAt = id, fromMs(now), fromMs(now)
	return nil
}

// Workspace returns the workspace with this slug, or ENOTFOUND.
func (db *DB) Workspace(ctx context.Context, slug string) (*herald.Workspace, error) {
	var r workspaceRow
	err := get(ctx, db.r, &r, `SELECT `+workspaceCols+` FROM workspaces WHERE slug = ?`, slug)
	if notFound(err) {
		return nil, herald.WorkspaceNotFound(slug)
	} else if err != nil {
		return nil, fmt.Errorf("workspace: %w", err)
	}
	return r.workspace(), nil
}

// ListWorkspaces returns up to limit workspaces (100 when limit <= 0) whose
// slug sorts after after, ordered by slug. Errors are wrapped.
func (db *DB) ListWorkspaces(ctx context.Context, after string, limit int) ([]*herald.Workspace, error) {
	if limit <= 0 {
		limit = 100
	}
	var rows []workspaceRow
	if err := sel(ctx, db.r, &rows, `SELECT `+workspaceCols+` FROM workspaces WHERE slug > ? ORDER BY slug LIMIT ?`, after, limit); err != nil {
		return nil, fmt.Errorf("list workspaces: %w", err)
	}
	out := make([]*herald.Workspace, len(rows))
	for i, r := range rows {
		out[i] = r.workspace()
	}
	return out, nil
}

// UpdateWorkspace stores the name, timezone, approval settings
// (approval_required, approval_steps, allow_self_approval) and max_lateness
// of the workspace ws.ID and refreshes ws from the database (the slug cannot
// change), and records workspace.changed in the audit log with the names of
// the fields that changed (none, no entry). An unknown ID gives ENOTFOUND.
func (db *DB) UpdateWorkspace(ctx context.Context, ws *herald.Workspace) error {
	return db.inTx(ctx, func(tx *sqlx.Tx) error {
		var was workspaceRow
		err := get(ctx, tx, &was, `SELECT `+workspaceCols+` FROM workspaces WHERE id = ?`+db.d.forUpdate, ws.ID)
		if notFound(err) {
			return herald.Errorf(herald.ENOTFOUND, "workspace %q not found", ws.Slug)
		} else if err != nil {
			return fmt.Errorf("update workspace: %w", err)
		}
		n, err := exec(ctx, tx, `UPDATE workspaces SET name = ?, timezone = ?, approval_required = ?, approval_steps = ?, allow_self_approval = ?,
			max_lateness_ms = ?, updated_at = ? WHERE id = ?`, ws.Name, ws.Timezone, boolInt(ws.ApprovalRequired), encodeSteps(ws.ApprovalSteps),
			boolInt(ws.AllowSelfApproval), latenessMs(ws.MaxLateness), db.nowMs(), ws.ID)
		if err != nil {
			return fmt.Errorf("update workspace: %w", err)
		}
		if n == 0 {
			return herald.Errorf(herald.ENOTFOUND, "workspace %q not found", ws.Slug)
		}
		var r workspaceRow
		if err := get(ctx, tx, &r, `SELECT `+workspaceCols+` FROM workspaces WHERE id = ?`, ws.ID); err != nil {
			return fmt.Errorf("update workspace: %w", err)
		}
		*ws = *r.workspace()
		var fields []string
		for _, f := range []struct {
			name    string
			changed bool
		}{{"name", was.Name != r.Name}, {"timezone", was.Timezone != r.Timezone},
			{"approval_required", was.ApprovalRequired != r.ApprovalRequired}, {"approval_steps", was.ApprovalSteps != r.ApprovalSteps},
			{"allow_self_approval", was.AllowSelf != r.AllowSelf}, {"max_lateness", was.MaxLatenessMs != r.MaxLatenessMs}} {
			if f.changed {
				fields = append(fields, f.name)
			}
		}
		if len(fields) == 0 {
			return nil
		}
		return db.audit(ctx, tx, ws.ID, herald.AuditWorkspaceChanged, "workspace "+ws.Slug, map[string]any{"fields": fields})
	})
}

// DeleteWorkspace removes the workspace and everything in it (channels,
// plans, posts, deliveries, attempts, delivery events) but its audit log,
// where it records workspace.deleted: the instance admin still reads it. It
// gives ENOTFOUND for an unknown id and ECONFLICT while one of its
// deliveries is publishing.
func (db *DB) DeleteWorkspace(ctx context.Context, wsID int64) error {
	return db.inTx(ctx, func(tx *sqlx.Tx) error {
		slug, err := db.lockWorkspace(ctx, tx, wsID)
		if err != nil {
			return fmt.Errorf("delete workspace: %w", err)
		}
		if err := db.lockClaimable(ctx, tx, `workspace_id = ?`, wsID); err != nil {
			return fmt.Errorf("delete workspace: %w", err)
		}
		var busy int
		if err := get(ctx, tx, &busy, `SELECT COUNT(*) FROM deliveries WHERE workspace_id = ? AND status = 'publishing'`, wsID); err != nil {
			return fmt.Errorf("delete workspace: %w", err)
		}
		if busy > 0 {
			return herald.Errorf(herald.ECONFLICT, "workspace %q has %d delivery(ies) being published right now; try again when they finish", slug, busy)
		}
		// Before the workspace's row goes: the entry keeps its slug.
		var name string
		if err := get(ctx, tx, &name, `SELECT name FROM workspaces WHERE id = ?`, wsID); err != nil {
			return fmt.Errorf("delete workspace: %w", err)
		}
		if err := db.audit(ctx, tx, wsID, herald.AuditWorkspaceDeleted, "workspace "+slug, map[string]any{"name": name}); err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE workspace_id = ?)`,
			`DELETE FROM delivery_events WHERE workspace_id = ?`,
			`DELETE FROM approval_decisions WHERE workspace_id = ?`,
			`DELETE FROM review_links WHERE workspace_id = ?`,
			`DELETE FROM deliveries WHERE workspace_id = ?`,
			`DELETE FROM posts WHERE workspace_id = ?`,
			`DELETE FROM plans WHERE workspace_id = ?`,
			`DELETE FROM channels WHERE workspace_id = ?`,
			`DELETE FROM workspaces WHERE id = ?`,
		} {
			if _, err := exec(ctx, tx, q, wsID); err != nil {
				return fmt.Errorf("delete workspace: %w", err)
			}
		}
		return nil
	})
}

// lockWorkspace reads the workspace's slug in tx and, on PostgreSQL, locks
// its row until tx ends, so that the transactions that change what a
// workspace holds on the strength of what they read of it (deleting it, one
// of its channels or plans) take turns. An unknown id gives ENOTFOUND.
func (db *DB) lockWorkspace(ctx context.Context, tx *sqlx.Tx, wsID int64) (string, error) {
	var slug string
	err := get(ctx, tx, &slug, `SELECT slug FROM workspaces WHERE id = ?`+db.d.forUpdate, wsID)
	if notFound(err) {
		return "", herald.Errorf(herald.ENOTFOUND, "workspace not found")
	}
	return slug, err
}

// lockClaimable locks, on PostgreSQL, the deliveries matching where that a
// claim could move (waiting ones) or that are publishing, until tx ends:
// a claim committed before the lock is then seen by the caller's next
// statement (a publishing delivery, to refuse on), and one after it finds
// the caller's changes. SQLite's write transaction already excludes claims.
func (db *DB) lockClaimable(ctx context.Context, tx *sqlx.Tx, where string, args ...any) error {
	if db.d.forUpdate == "" {
		return nil
	}
	var ids []int64
	return sel(ctx, tx, &ids, `SELECT id FROM deliveries WHERE status IN ('scheduled', 'retrying', 'publishing') AND `+where+
		` ORDER BY id`+db.d.forUpdate, args...)
}
