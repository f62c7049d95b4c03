package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/heraldhq/herald"
	"github.com/jmoiron/sqlx"
)

// maxTokensPerCreator bounds the unrevoked API tokens one person (or the
// instance admin's tokens together) may hold.
const maxTokensPerCreator = 1000

// CreateTokenFor creates an API token acting as by's person, narrowed as
// req asks, and returns its secret (shown once) and the token. The token
// never exceeds by: with a workspace, by must see it (else ENOTFOUND, as
// for one that does not exist) and by's role there must cover the role
// asked (else EFORBIDDEN); a token made by a narrowed token is at most as
// narrow (its workspace, its role unless a lower one is asked) and expires
// no later. The instance admin's own tokens (by.UserID 0) make tokens of
// no one (user NULL), as herald token create does. EVALIDATION lists what
// is wrong with req; ECONFLICT when the creator holds maxTokensPerCreator.
// It records token.created in the audit log, in the token's workspace when
// it is narrowed to one.
func (db *DB) CreateTokenFor(ctx context.Context, by herald.Caller, req herald.TokenRequest) (string, *herald.Token, error) {
	now := db.now()
	var ps []herald.Problem
	req.Name = strings.TrimSpace(req.Name)
	switch n := utf8.RuneCountInString(req.Name); {
	case n == 0:
		ps = append(ps, herald.Problem{Column: "name", Code: "required", Message: "name is required: say what the token is for (\"ci\")"})
	case n > herald.MaxTokenName:
		ps = append(ps, herald.Problem{Column: "name", Code: "too_long", Message: fmt.Sprintf("name is %d characters; at most %d", n, herald.MaxTokenName)})
	}
	if req.Role != "" {
		r, err := herald.ParseRole(string(req.Role))
		if err != nil {
			ps = append(ps, herald.Problem{Column: "role", Code: "invalid_role", Message: herald.ErrorMessage(err)})
		}
		req.Role = r
	}
	if req.ExpiresAt != nil && !req.ExpiresAt.After(now) {
		ps = append(ps, herald.Problem{Column: "expires_at", Code: "in_the_past", Message: "expires_at must be in the future"})
	}
	// A token's token expires no later than it.
	if by.TokenID != 0 && !by.Session {
		var exp sql.NullInt64
		if err := get(ctx, db.r, &exp, `SELECT expires_at FROM api_tokens WHERE id = ?`, by.TokenID); err != nil && !notFound(err) {
			return "", nil, fmt.Errorf("create token: %w", err)
		}
		if limit := fromNullMs(exp); limit != nil {
			if req.ExpiresAt == nil {
				req.ExpiresAt = limit
			} else if req.ExpiresAt.After(*limit) {
				ps = append(ps, herald.Problem{Column: "expires_at", Code: "after_creator", Message: fmt.Sprintf(
					"the token you are using expires at %s; a token it creates cannot outlive it", limit.Format(time.RFC3339))})
			}
		}
	}
	if len(ps) > 0 {
		return "", nil, &herald.Error{Code: herald.EVALIDATION, Message: "invalid token", Details: ps}
	}

	wsID, slug := by.WorkspaceID, req.Workspace
	if slug != "" {
		ws, err := db.Workspace(ctx, slug)
		if err != nil {
			return "", nil, err
		}
		if by.WorkspaceID != 0 && ws.ID != by.WorkspaceID {
			return "", nil, herald.WorkspaceNotFound(slug)
		}
		wsID = ws.ID
	} else if wsID != 0 {
		if err := get(ctx, db.r, &slug, `SELECT slug FROM workspaces WHERE id = ?`, wsID); err != nil {
			return "", nil, fmt.Errorf("create token: %w", err)
		}
	}
	role := req.Role
	if role == "" {
		role = by.Role
	}
	if wsID != 0 {
		member, err := db.memberRole(ctx, wsID, by.UserID)
		if err != nil {
			return "", nil, err
		}
		held, ok := by.In(wsID, member)
		if !ok {
			return "", nil, herald.WorkspaceNotFound(slug)
		}
		if !held.Covers(role) && role != "" {
			return "", nil, herald.Errorf(herald.EFORBIDDEN, "your role in %s is %s, which may not create a token with role %s; ask for %s or lower", slug, held, role, held)
		}
	} else if role != "" && by.Role != "" && !by.Role.Covers(role) {
		return "", nil, herald.Errorf(herald.EFORBIDDEN, "the token you are using is narrowed to %s, which may not create a token with role %s", by.Role, role)
	}

	stored := string(role)
	owner := sql.NullInt64{Int64: by.UserID, Valid: by.UserID != 0}
	if !owner.Valid && stored == "" {
		stored = herald.RoleAdmin // the instance admin's, not narrowed to a role
	}
	mine, args := ownTokens("", by)
	var held int
	if err := get(ctx, db.r, &held, `SELECT COUNT(*) FROM api_tokens WHERE revoked_at IS NULL AND `+mine, args...); err != nil {
		return "", nil, fmt.Errorf("create token: %w", err)
	}
	if held >= maxTokensPerCreator {
		return "", nil, herald.Errorf(herald.ECONFLICT, "you hold %d API tokens, the most there may be; revoke some with DELETE /api/v1/tokens/{id}", held)
	}
	secret, err := newSecret(tokenPrefix)
	if err != nil {
		return "", nil, err
	}
	var exp sql.NullInt64
	if req.ExpiresAt != nil {
		exp = sql.NullInt64{Int64: ms(*req.ExpiresAt), Valid: true}
	}
	ws := sql.NullInt64{Int64: wsID, Valid: wsID != 0}
	created := ms(now)
	var id int64
	err = db.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		id, err = insertID(ctx, tx, `INSERT INTO api_tokens (name, role, hash, created_at, user_id, workspace_id, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, req.Name, stored, hashSecret(secret), created, owner, ws, exp)
		if err != nil {
			return err
		}
		details := map[string]any{"name": req.Name, "role": stored}
		if slug != "" {
			details["workspace"] = slug
		}
		if req.ExpiresAt != nil {
			details["expires_at"] = fromMs(exp.Int64).Format(time.RFC3339)
		}
		return db.audit(ctx, tx, wsID, herald.AuditTokenCreated, fmt.Sprintf("token %d", id), details)
	})
	if err != nil {
		return "", nil, fmt.Errorf("create token: %w", err)
	}
	return secret, &herald.Token{ID: id, Name: req.Name, Role: stored, Workspace: slug, CreatedAt: fromMs(created),
		ExpiresAt: fromNullMs(exp), UserID: by.UserID, WorkspaceID: wsID}, nil
}

// ownTokens is the condition on api_tokens (aliased alias, "" for none)
// that selects the tokens by may list and revoke: every one for the
// instance admin; else its person's (the instance admin's own for tokens of
// no one), within its workspace when it is narrowed to one.
func ownTokens(alias string, by herald.Caller) (string, []any) {
	if alias != "" {
		alias += "."
	}
	if by.InstanceAdmin() {
		return "1 = 1", nil
	}
	var cond string
	var args []any
	if by.UserID == 0 {
		cond = alias + "user_id IS NULL"
	} else {
		cond, args = alias+"user_id = ?", []any{by.UserID}
	}
	if by.WorkspaceID != 0 {
		cond += " AND " + alias + "workspace_id = ?"
		args = append(args, by.WorkspaceID)
	}
	return cond, args
}

// ListTokens returns up to limit (100 when limit <= 0) of the tokens by
// may see (see ownTokens), revoked ones too, with ids above after, by id;
// never their secrets. Errors are wrapped.
func (db *DB) ListTokens(ctx context.Context, by herald.Caller, after int64, limit int) ([]*herald.Token, error) {
	if limit <= 0 {
		limit = 100
	}
	cond, args := ownTokens("t", by)
	var rows []tokenRow
	if err := sel(ctx, db.r, &rows, `SELECT `+tokenCols+` FROM api_tokens t LEFT JOIN users u ON u.id = t.user_id
		LEFT JOIN workspaces w ON w.id = t.workspace_id WHERE `+cond+` AND t.id > ? ORDER BY t.id LIMIT ?`,
		append(args, after, limit)...); err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	out := make([]*herald.Token, len(rows))
	for i, r := range rows {
		out[i] = r.token()
	}
	return out, nil
}

// RevokeToken revokes token id if by may see it (see ownTokens): from then
// on it authenticates nothing. It records token.revoked in the audit log
// (in the token's workspace, if narrowed to one). Revoking a revoked token
// changes nothing. Another's token, or an unknown id, gives ENOTFOUND.
func (db *DB) RevokeToken(ctx context.Context, by herald.Caller, id int64) error {
	cond, args := ownTokens("", by)
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		var t struct {
			Name        string        `db:"name"`
			WorkspaceID sql.NullInt64 `db:"workspace_id"`
			RevokedAt   sql.NullInt64 `db:"revoked_at"`
		}
		err := get(ctx, tx, &t, `SELECT name, workspace_id, revoked_at FROM api_tokens WHERE id = ? AND `+cond+db.d.forUpdate,
			append([]any{id}, args...)...)
		if notFound(err) {
			return herald.Errorf(herald.ENOTFOUND, "token %d not found among yours", id)
		} else if err != nil || t.RevokedAt.Valid {
			return err
		}
		if _, err := exec(ctx, tx, `UPDATE api_tokens SET revoked_at = ? WHERE id = ?`, db.nowMs(), id); err != nil {
			return err
		}
		return db.audit(ctx, tx, t.WorkspaceID.Int64, herald.AuditTokenRevoked, fmt.Sprintf("token %d", id), map[string]any{"name": t.Name})
	})
	if err != nil && herald.ErrorCode(err) == herald.EINTERNAL {
		return fmt.Errorf("revoke token: %w", err)
	}
	return err
}
