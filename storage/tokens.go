package storage

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/jmoiron/sqlx"
)

// tokenPrefix starts every API token secret.
const tokenPrefix = "hrld_"

type tokenRow struct {
	ID          int64          `db:"id"`
	Name        string         `db:"name"`
	Role        string         `db:"role"`
	CreatedAt   int64          `db:"created_at"`
	LastUsedAt  sql.NullInt64  `db:"last_used_at"`
	UserID      sql.NullInt64  `db:"user_id"`
	WorkspaceID sql.NullInt64  `db:"workspace_id"`
	ExpiresAt   sql.NullInt64  `db:"expires_at"`
	RevokedAt   sql.NullInt64  `db:"revoked_at"`
	UserName    sql.NullString `db:"user_name"`
	UserEmail   sql.NullString `db:"user_email"`
	UserAdmin   sql.NullBool   `db:"user_admin"`
	UserGone    sql.NullInt64  `db:"user_disabled_at"`
	Workspace   sql.NullString `db:"workspace"`
}

// tokenCols are a token's columns with its creator's and workspace's (t:
// api_tokens, u: users, w: workspaces, both LEFT JOINed).
const tokenCols = `t.id, t.name, t.role, t.created_at, t.last_used_at, t.user_id, t.workspace_id, t.expires_at, t.revoked_at,
	u.name AS user_name, u.email AS user_email, u.admin AS user_admin, u.disabled_at AS user_disabled_at, w.slug AS workspace`

func (r tokenRow) token() *herald.Token {
	return &herald.Token{ID: r.ID, Name: r.Name, Role: r.Role, CreatedAt: fromMs(r.CreatedAt), LastUsedAt: fromNullMs(r.LastUsedAt),
		ExpiresAt: fromNullMs(r.ExpiresAt), RevokedAt: fromNullMs(r.RevokedAt), UserID: r.UserID.Int64, WorkspaceID: r.WorkspaceID.Int64,
		User: r.UserEmail.String, UserName: r.UserName.String, UserAdmin: r.UserAdmin.Bool, Workspace: r.Workspace.String}
}

// newSecret returns prefix + 32 random bytes, base64url.
func newSecret(prefix string) (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("secret: %w", err)
	}
	return prefix + base64.RawURLEncoding.EncodeToString(raw), nil
}

func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// CreateToken creates an API token and returns its secret ("hrld_" + 32
// random bytes base64url), which is shown once: only its SHA-256 is stored.
// It records token.created in the audit log (instance-level). An empty name
// or a role other than herald.RoleAdmin gives EINVALID.
func (db *DB) CreateToken(ctx context.Context, name, role string) (string, *herald.Token, error) {
	return db.createToken(ctx, name, role, false)
}

// CreateFirstToken creates an admin token only when there is no token at
// all, in one statement, so that processes starting together on a fresh
// database make one between them (recorded as token.created with "first":
// true). It returns "" and a nil token when a token exists already.
func (db *DB) CreateFirstToken(ctx context.Context, name string) (string, *herald.Token, error) {
	return db.createToken(ctx, name, herald.RoleAdmin, true)
}

func (db *DB) createToken(ctx context.Context, name, role string, onlyFirst bool) (string, *herald.Token, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", nil, herald.Errorf(herald.EINVALID, "token name is required")
	}
	if role != herald.RoleAdmin {
		return "", nil, herald.Errorf(herald.EINVALID, "unknown role %q (only %q exists)", role, herald.RoleAdmin)
	}
	secret, err := newSecret(tokenPrefix)
	if err != nil {
		return "", nil, err
	}
	now := db.nowMs()
	q := `INSERT INTO api_tokens (name, role, hash, created_at) SELECT ?, ?, ?, ?`
	if onlyFirst {
		q += ` WHERE NOT EXISTS (SELECT 1 FROM api_tokens)`
	}
	var id int64
	err = db.inTx(ctx, func(tx *sqlx.Tx) error {
		// Two PostgreSQL transactions would both see no token and both
		// insert one: the first token's creators take turns.
		if onlyFirst && db.d.lockTokens != "" {
			if _, err := tx.ExecContext(ctx, db.d.lockTokens); err != nil {
				return busy(err)
			}
		}
		var err error
		if id, err = insertID(ctx, tx, q, name, role, hashSecret(secret), now); err != nil {
			return err
		}
		details := map[string]any{"name": name, "role": role}
		if onlyFirst {
			details["first"] = true
		}
		return db.audit(ctx, tx, 0, herald.AuditTokenCreated, fmt.Sprintf("token %d", id), details)
	})
	if onlyFirst && notFound(err) {
		return "", nil, nil
	}
	if err != nil {
		return "", nil, fmt.Errorf("create token: %w", err)
	}
	return secret, &herald.Token{ID: id, Name: name, Role: role, CreatedAt: fromMs(now)}, nil
}

// lastUsedEvery is how often a token's last_used_at is written at most.
const lastUsedEvery = time.Minute

// Authenticate returns the API token or sign-in session whose secret this
// is, in one indexed read with its creator's name and admin flag, and
// records a token's use (last_used_at, at most once every lastUsedEvery,
// written in the background). A session comes back as a Token with Session
// set, ID the session's and UserID its user's. An unknown secret gives
// EUNAUTHORIZED; an expired or revoked one too, saying so, and one of a
// removed user (whose tokens RemoveUser revoked and sessions ended: this
// holds for any made meanwhile).
func (db *DB) Authenticate(ctx context.Context, secret string) (*herald.Token, error) {
	switch {
	case strings.HasPrefix(secret, sessionPrefix):
		return db.authenticateSession(ctx, secret)
	case !strings.HasPrefix(secret, tokenPrefix):
		return nil, herald.Errorf(herald.EUNAUTHORIZED, "invalid API token")
	}
	var r tokenRow
	err := get(ctx, db.r, &r, `SELECT `+tokenCols+` FROM api_tokens t LEFT JOIN users u ON u.id = t.user_id
		LEFT JOIN workspaces w ON w.id = t.workspace_id WHERE t.hash = ?`, hashSecret(secret))
	if notFound(err) {
		return nil, herald.Errorf(herald.EUNAUTHORIZED, "invalid API token")
	} else if err != nil {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	now := db.nowMs()
	switch {
	case r.UserGone.Valid:
		return nil, herald.Errorf(herald.EUNAUTHORIZED, "this API token was revoked: its user was removed")
	case r.RevokedAt.Valid:
		return nil, herald.Errorf(herald.EUNAUTHORIZED, "this API token was revoked; create another")
	case r.ExpiresAt.Valid && r.ExpiresAt.Int64 <= now:
		return nil, herald.Errorf(herald.EUNAUTHORIZED, "this API token expired at %s; create another", fromMs(r.ExpiresAt.Int64).Format(time.RFC3339))
	}
	// Record the use at most once a minute, in the background: a request
	// never waits on the writer (busy with a long plan upload, say) for it.
	if !r.LastUsedAt.Valid || now-r.LastUsedAt.Int64 >= lastUsedEvery.Milliseconds() {
		select {
		case db.touches <- touch{id: r.ID, at: now}:
		default: // a full queue drops the record, never the request
		}
		r.LastUsedAt = sql.NullInt64{Int64: now, Valid: true}
	}
	return r.token(), nil
}

func (db *DB) authenticateSession(ctx context.Context, secret string) (*herald.Token, error) {
	var r struct {
		ID        int64  `db:"id"`
		UserID    int64  `db:"user_id"`
		CreatedAt int64  `db:"created_at"`
		ExpiresAt int64  `db:"expires_at"`
		Name      string `db:"name"`
		Email     string `db:"email"`
		Admin     bool   `db:"admin"`
	}
	err := get(ctx, db.r, &r, `SELECT s.id, s.user_id, s.created_at, s.expires_at, u.name, u.email, u.admin
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.hash = ? AND u.disabled_at IS NULL`, hashSecret(secret))
	if notFound(err) {
		return nil, herald.Errorf(herald.EUNAUTHORIZED, "this session has ended or never was; sign in again")
	} else if err != nil {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	if r.ExpiresAt <= db.nowMs() {
		return nil, herald.Errorf(herald.EUNAUTHORIZED, "this session expired at %s; sign in again", fromMs(r.ExpiresAt).Format(time.RFC3339))
	}
	exp := fromMs(r.ExpiresAt)
	return &herald.Token{ID: r.ID, Name: "session", CreatedAt: fromMs(r.CreatedAt), ExpiresAt: &exp, UserID: r.UserID,
		User: r.Email, UserName: r.Name, UserAdmin: r.Admin, Session: true}, nil
}

// CountTokens returns how many API tokens exist; errors are wrapped.
func (db *DB) CountTokens(ctx context.Context) (int, error) {
	var n int
	if err := get(ctx, db.r, &n, `SELECT COUNT(*) FROM api_tokens`); err != nil {
		return 0, fmt.Errorf("count tokens: %w", err)
	}
	return n, nil
}

// touch is a token's use to record.
type touch struct{ id, at int64 }

// recordTouches writes tokens' last_used_at until Close closes touches.
func (db *DB) recordTouches() {
	defer close(db.touchesDone)
	for t := range db.touches {
		if _, err := exec(context.Background(), db.w, `UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at <= ?)`,
			t.at, t.id, t.at-lastUsedEvery.Milliseconds()); err != nil {
			db.log.Warn().Err(err).Int64("token", t.id).Msg("recording a token's use")
		}
	}
}
