package storage

import (
	"context"
	"fmt"

	"github.com/heraldhq/herald"
	"github.com/jmoiron/sqlx"
)

// ListUsers returns up to limit (100 when limit <= 0) users whose email (in
// herald.EmailKey form) sorts after after, ordered so, each with their
// memberships by workspace slug; removed users too (DisabledAt set, no
// memberships). Never a password hash. Errors are wrapped.
func (db *DB) ListUsers(ctx context.Context, after string, limit int) ([]*herald.Person, error) {
	if limit <= 0 {
		limit = 100
	}
	var rows []userRow
	if err := sel(ctx, db.r, &rows, `SELECT `+userCols+` FROM users WHERE email_key > ? ORDER BY email_key LIMIT ?`, after, limit); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	of, err := db.memberships(ctx, db.r, ids, 0)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	out := make([]*herald.Person, len(rows))
	for i, r := range rows {
		out[i] = &herald.Person{User: *r.user(), Memberships: of[r.ID]}
		if out[i].Memberships == nil {
			out[i].Memberships = []herald.Membership{}
		}
	}
	return out, nil
}

// memberships returns the memberships of the users userIDs by user, each
// user's by workspace slug; only those in workspace wsID when it is not 0.
func (db *DB) memberships(ctx context.Context, q sqlx.ExtContext, userIDs []int64, wsID int64) (map[int64][]herald.Membership, error) {
	query := `SELECT m.user_id, w.slug, m.role FROM members m JOIN workspaces w ON w.id = m.workspace_id WHERE m.user_id IN (?)`
	args := []any{userIDs}
	if wsID != 0 {
		query += ` AND m.workspace_id = ?`
		args = append(args, wsID)
	}
	query, args, err := in(q, query+` ORDER BY m.user_id, w.slug`, args...)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		UserID int64  `db:"user_id"`
		Slug   string `db:"slug"`
		Role   string `db:"role"`
	}
	if err := busy(sqlx.SelectContext(ctx, q, &rows, query, args...)); err != nil {
		return nil, err
	}
	out := map[int64][]herald.Membership{}
	for _, r := range rows {
		out[r.UserID] = append(out[r.UserID], herald.Membership{Workspace: r.Slug, Role: herald.Role(r.Role)})
	}
	return out, nil
}

// Identity returns who by acts for (GET /api/v1/users/me): the session or
// API token it authenticated with, the user behind it (none for the
// instance admin's own tokens) and their memberships (for a token narrowed
// to a workspace, that one's alone). A session or token ended or revoked
// since it authenticated, or a user removed meanwhile, gives EUNAUTHORIZED.
// Other errors are wrapped.
func (db *DB) Identity(ctx context.Context, by herald.Caller) (*herald.Identity, error) {
	gone := herald.Errorf(herald.EUNAUTHORIZED, "this credential has ended meanwhile; sign in again")
	id := &herald.Identity{Kind: herald.IdentityToken, Admin: by.InstanceAdmin(), Memberships: []herald.Membership{}}
	if by.Session {
		var s struct {
			CreatedAt int64 `db:"created_at"`
			ExpiresAt int64 `db:"expires_at"`
		}
		err := get(ctx, db.r, &s, `SELECT created_at, expires_at FROM sessions WHERE id = ? AND user_id = ?`, by.TokenID, by.UserID)
		if notFound(err) {
			return nil, gone
		} else if err != nil {
			return nil, fmt.Errorf("identity: %w", err)
		}
		id.Kind = herald.IdentitySession
		id.Session = &herald.Session{ID: by.TokenID, UserID: by.UserID, CreatedAt: fromMs(s.CreatedAt), ExpiresAt: fromMs(s.ExpiresAt)}
	} else {
		var r tokenRow
		err := get(ctx, db.r, &r, `SELECT `+tokenCols+` FROM api_tokens t LEFT JOIN users u ON u.id = t.user_id
			LEFT JOIN workspaces w ON w.id = t.workspace_id WHERE t.id = ? AND t.revoked_at IS NULL`, by.TokenID)
		if notFound(err) {
			return nil, gone
		} else if err != nil {
			return nil, fmt.Errorf("identity: %w", err)
		}
		id.Token = r.token()
	}
	if by.UserID == 0 {
		return id, nil
	}
	var u userRow
	err := get(ctx, db.r, &u, `SELECT `+userCols+` FROM users WHERE id = ? AND disabled_at IS NULL`, by.UserID)
	if notFound(err) {
		return nil, gone
	} else if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	id.User = u.user()
	of, err := db.memberships(ctx, db.r, []int64{u.ID}, by.WorkspaceID)
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	if ms := of[u.ID]; ms != nil {
		id.Memberships = ms
	}
	return id, nil
}
