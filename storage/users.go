package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/heraldhq/herald"
	"github.com/jmoiron/sqlx"
)

// sessionPrefix starts every sign-in session's secret (API tokens start
// with tokenPrefix): Authenticate tells them apart without a second read.
const sessionPrefix = "hrls_"

// maxSessionsPerUser bounds one user's sessions: signing in once more ends
// the oldest. (A variable for tests.)
var maxSessionsPerUser = 100

type userRow struct {
	ID           int64         `db:"id"`
	Email        string        `db:"email"`
	Name         string        `db:"name"`
	PasswordHash string        `db:"password_hash"`
	Admin        bool          `db:"admin"`
	CreatedAt    int64         `db:"created_at"`
	UpdatedAt    int64         `db:"updated_at"`
	DisabledAt   sql.NullInt64 `db:"disabled_at"`
}

const userCols = `id, email, name, password_hash, admin, created_at, updated_at, disabled_at`

func (r userRow) user() *herald.User {
	return &herald.User{ID: r.ID, Email: r.Email, Name: r.Name, Admin: r.Admin, CreatedAt: fromMs(r.CreatedAt), UpdatedAt: fromMs(r.UpdatedAt),
		DisabledAt: fromNullMs(r.DisabledAt)}
}

// CreateUser stores the user u (email, name, admin) with password, or with
// a generated one when password is "", which it returns (shown once: only
// its argon2id hash is stored). It sets u's ID and times. It gives
// EVALIDATION listing every problem of the email, the name and the password
// (8 to 256 bytes), and ECONFLICT when a user has this email already
// (compared case-insensitively), a removed user's too. It records
// user.created in the audit log.
func (db *DB) CreateUser(ctx context.Context, u *herald.User, password string) (generated string, err error) {
	var ps []herald.Problem
	if err := u.Validate(); err != nil {
		ps = append(ps, herald.ErrorDetails(err)...)
	}
	if password == "" {
		if generated, err = newPassword(); err != nil {
			return "", err
		}
		password = generated
	} else if err := herald.CheckPassword("password", password); err != nil {
		ps = append(ps, herald.ErrorDetails(err)...)
	}
	if len(ps) > 0 {
		return "", &herald.Error{Code: herald.EVALIDATION, Message: "invalid user", Details: ps}
	}
	hash, err := hashPassword(ctx, password)
	if err != nil {
		return "", err
	}
	now := db.nowMs()
	err = db.inTx(ctx, func(tx *sqlx.Tx) error {
		id, err := insertID(ctx, tx, `INSERT INTO users (email, email_key, name, password_hash, admin, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, u.Email, herald.EmailKey(u.Email), u.Name, hash, boolInt(u.Admin), now, now)
		if err != nil {
			return err
		}
		u.ID = id
		return db.audit(ctx, tx, 0, herald.AuditUserCreated, "user "+u.Email, map[string]any{"name": u.Name, "admin": u.Admin})
	})
	if isUnique(err) {
		if r, err := db.userByEmail(ctx, db.r, u.Email); err == nil && r.DisabledAt.Valid {
			return "", herald.Errorf(herald.ECONFLICT, "the email %q belonged to a user removed at %s, who is kept so that the audit log still names them; use another email",
				u.Email, fromMs(r.DisabledAt.Int64).Format(time.RFC3339))
		}
		return "", herald.Errorf(herald.ECONFLICT, "a user with email %q exists already", u.Email)
	} else if err != nil {
		return "", fmt.Errorf("create user: %w", err)
	}
	u.CreatedAt, u.UpdatedAt = fromMs(now), fromMs(now)
	return generated, nil
}

// UserByEmail returns the user with this email (compared
// case-insensitively), a removed one too (DisabledAt set), or ENOTFOUND
// saying how to create one.
func (db *DB) UserByEmail(ctx context.Context, email string) (*herald.User, error) {
	r, err := db.userByEmail(ctx, db.r, email)
	if err != nil {
		return nil, err
	}
	return r.user(), nil
}

func (db *DB) userByEmail(ctx context.Context, q sqlx.ExtContext, email string) (userRow, error) {
	var r userRow
	err := get(ctx, q, &r, `SELECT `+userCols+` FROM users WHERE email_key = ?`, herald.EmailKey(email))
	if notFound(err) {
		return r, noUser(email)
	} else if err != nil {
		return r, fmt.Errorf("user: %w", err)
	}
	return r, nil
}

func noUser(email string) error {
	return herald.Errorf(herald.ENOTFOUND, "no user has the email %q; the instance admin creates one with POST /api/v1/users or herald user create", email)
}

// errSignIn is the one answer to every failed sign-in: it never tells
// whether the email exists.
func errSignIn() error { return herald.Errorf(herald.EUNAUTHORIZED, "wrong email or password") }

// CreateSession signs the user with this email and password in: it returns
// a new session's secret ("hrls_" + 32 random bytes, shown once: only its
// SHA-256 is stored) and the session, which lasts ttl. A wrong email or
// password gives EUNAUTHORIZED, after as long a wait either way (an
// unknown email is checked against a dummy hash); so does a removed user's
// email, whatever the password: the answer tells nothing.
func (db *DB) CreateSession(ctx context.Context, email, password string, ttl time.Duration) (string, *herald.Session, error) {
	if ttl <= 0 {
		ttl = herald.DefaultSessionTTL
	}
	if len(password) > herald.MaxPasswordLength {
		return "", nil, errSignIn() // refused unhashed, whoever it names
	}
	r, err := db.userByEmail(ctx, db.r, email)
	if herald.ErrorCode(err) == herald.ENOTFOUND || err == nil && r.DisabledAt.Valid {
		if _, err := checkPassword(ctx, dummyHash(), password); err != nil {
			return "", nil, err
		}
		return "", nil, errSignIn()
	} else if err != nil {
		return "", nil, err
	}
	ok, err := checkPassword(ctx, r.PasswordHash, password)
	if err != nil {
		return "", nil, fmt.Errorf("sign in %d: %w", r.ID, err)
	}
	if !ok {
		return "", nil, errSignIn()
	}
	secret, err := newSecret(sessionPrefix)
	if err != nil {
		return "", nil, err
	}
	now := db.nowMs()
	s := &herald.Session{UserID: r.ID, CreatedAt: fromMs(now), ExpiresAt: fromMs(now + ttl.Milliseconds())}
	err = db.inTx(ctx, func(tx *sqlx.Tx) error {
		// The user's expired sessions go as a new one comes.
		if _, err := exec(ctx, tx, `DELETE FROM sessions WHERE user_id = ? AND expires_at <= ?`, r.ID, now); err != nil {
			return err
		}
		// Only while the user is still there: removed since the password
		// was checked, the sign-in fails as any other.
		s.ID, err = insertID(ctx, tx, `INSERT INTO sessions (user_id, hash, created_at, expires_at)
			SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM users WHERE id = ? AND disabled_at IS NULL)`,
			r.ID, hashSecret(secret), now, ms(s.ExpiresAt), r.ID)
		if notFound(err) {
			return errSignIn()
		} else if err != nil {
			return err
		}
		// A user holds maxSessionsPerUser sessions at most: the oldest end.
		_, err = exec(ctx, tx, `DELETE FROM sessions WHERE user_id = ? AND id NOT IN
			(SELECT id FROM sessions WHERE user_id = ? ORDER BY id DESC LIMIT ?)`, r.ID, r.ID, maxSessionsPerUser)
		return err
	})
	if herald.ErrorCode(err) == herald.EUNAUTHORIZED {
		return "", nil, err
	} else if err != nil {
		return "", nil, fmt.Errorf("create session: %w", err)
	}
	return secret, s, nil
}

// EndSession ends the session id (signing out). An unknown or ended one
// gives ENOTFOUND.
func (db *DB) EndSession(ctx context.Context, id int64) error {
	n, err := exec(ctx, db.w, `DELETE FROM sessions WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	if n == 0 {
		return herald.Errorf(herald.ENOTFOUND, "this session has ended already")
	}
	return nil
}

// ChangePassword sets user userID's password to next when current is
// theirs, and ends their other sessions (all but keepSession, 0 for none).
// It gives EVALIDATION when next is not 8 to 256 bytes, EFORBIDDEN when
// current is wrong (recorded as login.failed in the audit log), ENOTFOUND
// for an unknown user.
func (db *DB) ChangePassword(ctx context.Context, userID int64, current, next string, keepSession int64) error {
	if err := herald.CheckPassword("new", next); err != nil {
		return err
	}
	var u struct {
		Email string `db:"email"`
		Hash  string `db:"password_hash"`
	}
	err := get(ctx, db.r, &u, `SELECT email, password_hash FROM users WHERE id = ?`, userID)
	old := u.Hash
	if notFound(err) {
		return herald.Errorf(herald.ENOTFOUND, "user not found")
	} else if err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	ok := false
	if len(current) <= herald.MaxPasswordLength {
		if ok, err = checkPassword(ctx, old, current); err != nil {
			return fmt.Errorf("change password: %w", err)
		}
	}
	if !ok {
		if err := db.Audit(ctx, 0, herald.AuditEntry{Action: herald.AuditLoginFailed, Target: "user " + u.Email,
			Details: map[string]any{"reason": "wrong current password"}}); err != nil {
			return err
		}
		return herald.Errorf(herald.EFORBIDDEN, "the current password is wrong")
	}
	hash, err := hashPassword(ctx, next)
	if err != nil {
		return err
	}
	err = db.inTx(ctx, func(tx *sqlx.Tx) error {
		// Only if nobody changed it in between: the check was of the old one.
		n, err := exec(ctx, tx, `UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ? AND password_hash = ?`, hash, db.nowMs(), userID, old)
		if err != nil {
			return err
		}
		if n == 0 {
			return herald.Errorf(herald.ECONFLICT, "the password was changed meanwhile; try again with the new one")
		}
		_, err = exec(ctx, tx, `DELETE FROM sessions WHERE user_id = ? AND id <> ?`, userID, keepSession)
		return err
	})
	var he *herald.Error
	if err != nil && !errors.As(err, &he) {
		return fmt.Errorf("change password: %w", err)
	}
	return err
}
