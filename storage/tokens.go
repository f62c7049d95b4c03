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
	ID         int64         `db:"id"`
	Name       string        `db:"name"`
	Role       string        `db:"role"`
	CreatedAt  int64         `db:"created_at"`
	LastUsedAt sql.NullInt64 `db:"last_used_at"`
}

func (r tokenRow) token() *herald.Token {
	return &herald.Token{ID: r.ID, Name: r.Name, Role: r.Role, CreatedAt: fromMs(r.CreatedAt), LastUsedAt: fromNullMs(r.LastUsedAt)}
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
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", nil, fmt.Errorf("token secret: %w", err)
	}
	secret := tokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	now := db.nowMs()
	q := `INSERT INTO api_tokens (name, role, hash, created_at) SELECT ?, ?, ?, ?`
	if onlyFirst {
		q += ` WHERE NOT EXISTS (SELECT 1 FROM api_tokens)`
	}
	var id int64
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
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

// Authenticate returns the token whose secret this is and records its use
// (last_used_at, at most once every lastUsedEvery, written in the
// background). An unknown secret gives EUNAUTHORIZED.
func (db *DB) Authenticate(ctx context.Context, secret string) (*herald.Token, error) {
	if !strings.HasPrefix(secret, tokenPrefix) {
		return nil, herald.Errorf(herald.EUNAUTHORIZED, "invalid API token")
	}
	var r tokenRow
	err := get(ctx, db.r, &r, `SELECT id, name, role, created_at, last_used_at FROM api_tokens WHERE hash = ?`, hashSecret(secret))
	if notFound(err) {
		return nil, herald.Errorf(herald.EUNAUTHORIZED, "invalid API token")
	} else if err != nil {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	// Record the use at most once a minute, in the background: a request
	// never waits on the writer (busy with a long plan upload, say) for it.
	now := db.nowMs()
	if !r.LastUsedAt.Valid || now-r.LastUsedAt.Int64 >= lastUsedEvery.Milliseconds() {
		select {
		case db.touches <- touch{id: r.ID, at: now}:
		default: // a full queue drops the record, never the request
		}
		r.LastUsedAt = sql.NullInt64{Int64: now, Valid: true}
	}
	return r.token(), nil
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
