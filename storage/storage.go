// Package storage keeps Herald's workspaces, channels, plans, posts,
// deliveries, attempts and API tokens in SQLite (sqlx over go-sqlite3) or
// PostgreSQL (sqlx over pgx).
//
// One set of SQL serves both: times are BIGINT Unix milliseconds UTC,
// booleans INTEGER 0/1, structured content JSON text, binds are "?" rebound
// per driver. What differs (connection, pools, error codes, locking, DDL)
// is a dialect value (dialect.go) with its file, sqlite.go or postgres.go,
// and its migrations, migrations/sqlite/ or migrations/postgres/.
package storage

import (
	"context"
	"crypto/cipher"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heraldhq/herald"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jmoiron/sqlx"
	"github.com/rs/zerolog"
)

// Options configure a DB.
type Options struct {
	SecretKey []byte           // 32 bytes, AES-256-GCM key for channel credentials (required)
	Now       func() time.Time // default herald.Now; times are always stored in UTC
	Logger    zerolog.Logger
	// Node names this process in delivery events and attempts (default
	// herald.DefaultNode).
	Node string
	// Sole asks for the database to this process alone (herald serve on
	// SQLite): Open takes an exclusive lock on "<file>.lock", held until
	// Close (or the process's death), and gives ECONFLICT, naming the
	// holder's pid, when another process has it. Then every delivery left
	// publishing at start is a dead predecessor's (see Sole).
	Sole bool
}

// DB is Herald's store. It is safe for concurrent use.
//
// On SQLite, writes go through one connection (w) so that goroutines of this
// process queue in Go instead of spinning on SQLite's busy handler; reads use
// a pool (r) that WAL lets run beside the writer. On PostgreSQL w and r are
// one pool.
type DB struct {
	d         *dialect
	w, r      *sqlx.DB
	aead      cipher.AEAD
	channels  channelCache
	completer completer
	now       func() time.Time
	log       zerolog.Logger
	node      string
	missed    atomic.Int64 // deliveries this process marked missed
	sole      bool         // Options.Sole, and a file to lock
	soleLock  *os.File     // the held lock file, nil when none

	stop, stopped chan struct{} // the checkpoint goroutine's (nil for :memory: and PostgreSQL)
	// touches carries tokens' uses to the goroutine that records them, so
	// that no request waits on the writer to say it was made.
	touches     chan touch
	touchesDone chan struct{}
	closeOnce   sync.Once
	closeErr    error
}

// Open opens the database dsn names. A "postgres://" or "postgresql://" URL
// is a PostgreSQL database, which must exist: Open connects (pgx reads the
// URL: sslmode, search_path and other run-time parameters in its query) and
// creates nothing. Anything else is a SQLite database, opened and created if
// missing, with its parent directory: a file path or a "file:" URI, whose
// connection parameters override Herald's defaults (WAL, busy_timeout 10s,
// foreign keys on, immediate write transactions, synchronous NORMAL). A dsn
// CheckDSN refuses returns its error, a secret key that is not 32 bytes an
// EINVALID *herald.Error, a database that cannot be opened or reached the
// driver's error wrapped. Open does not migrate.
func Open(dsn string, opts Options) (*DB, error) {
	if err := CheckDSN(dsn); err != nil {
		return nil, err
	}
	aead, err := newAEAD(opts.SecretKey)
	if err != nil {
		return nil, err
	}
	db := &DB{aead: aead, now: opts.Now, log: opts.Logger, node: opts.Node, sole: opts.Sole}
	if db.now == nil {
		db.now = herald.Now
	}
	if db.node == "" {
		db.node = herald.DefaultNode()
	}
	if isPostgresURL(dsn) {
		err = db.openPostgres(dsn)
	} else {
		err = db.openSQLite(dsn)
	}
	if err != nil {
		if db.soleLock != nil {
			db.soleLock.Close()
		}
		return nil, err
	}
	db.touches, db.touchesDone = make(chan touch, 1024), make(chan struct{})
	go db.recordTouches()
	return db, nil
}

// CheckDSN tells, touching nothing, whether Open can open dsn: a PostgreSQL
// URL ("postgres://…" or "postgresql://…") that pgx can read, or a SQLite
// file path or "file:" URI. It gives an EINVALID *herald.Error for an empty
// dsn or a PostgreSQL URL that does not parse (its password left out), and
// an EUNSUPPORTED one for any other URL (mysql://, …).
func CheckDSN(dsn string) error {
	if isPostgresURL(dsn) {
		if _, err := pgconn.ParseConfig(pgxURL(dsn)); err != nil {
			return herald.Errorf(herald.EINVALID, "invalid PostgreSQL URL: %v", err) // pgconn masks the password
		}
		return nil
	}
	lower := strings.ToLower(dsn)
	if scheme, _, ok := strings.Cut(lower, "://"); ok && scheme != "file" && !strings.ContainsAny(scheme, `/\.`) {
		return herald.Errorf(herald.EUNSUPPORTED, "%s databases are not supported; Herald runs on SQLite (a file path) or PostgreSQL (a postgres:// URL)", scheme)
	}
	if dsn == "" {
		return herald.Errorf(herald.EINVALID, "database path is empty")
	}
	return nil
}

// Close closes the database. Calling it again returns the first call's error.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		close(db.touches)
		<-db.touchesDone
		if db.stop != nil {
			close(db.stop)
			<-db.stopped
		}
		db.closeErr = db.w.Close()
		if db.r != db.w {
			if rerr := db.r.Close(); db.closeErr == nil {
				db.closeErr = rerr
			}
		}
		if db.soleLock != nil {
			db.soleLock.Close() // releases the lock
		}
	})
	return db.closeErr
}

// Ping checks that the database answers, through the read pool: the writer
// may be busy with a long plan upload, which does not make the database
// unready. It returns the driver's error wrapped.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.r.PingContext(ctx); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// Missed counts the deliveries this process marked missed since it opened
// the database (each is also logged).
func (db *DB) Missed() int64 { return db.missed.Load() }

// Sole reports whether this process holds the database alone (Options.Sole
// took its lock): no other process claims deliveries from it.
func (db *DB) Sole() bool { return db.soleLock != nil }

// Node is the name this process records on delivery events and attempts.
func (db *DB) Node() string { return db.node }

// nowMs is the injectable clock in storage form.
func (db *DB) nowMs() int64 { return db.now().UnixMilli() }

// inTx runs fn in a write transaction and commits it when fn returns nil.
func (db *DB) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := db.w.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", busy(err))
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", busy(err))
	}
	return nil
}

// busy turns "the database is busy or unavailable" (SQLite: another process
// holds the write lock past the busy timeout; PostgreSQL: see postgresBusy)
// into EUNAVAILABLE, which the API answers as 503 with Retry-After, keeping
// the driver's error in the text for the log; any other error is returned as
// it is.
func busy(err error) error {
	if isBusy(err) {
		return fmt.Errorf("%w (%v)", herald.Errorf(herald.EUNAVAILABLE, "the database is busy or unavailable; try again in a moment"), err)
	}
	return err
}

// Query helpers: every query is written with "?" binds and rebound for the
// connection's driver.

func get(ctx context.Context, q sqlx.ExtContext, dest any, query string, args ...any) error {
	return busy(sqlx.GetContext(ctx, q, dest, q.Rebind(query), args...))
}

func sel(ctx context.Context, q sqlx.ExtContext, dest any, query string, args ...any) error {
	return busy(sqlx.SelectContext(ctx, q, dest, q.Rebind(query), args...))
}

func exec(ctx context.Context, q sqlx.ExtContext, query string, args ...any) (int64, error) {
	res, err := q.ExecContext(ctx, q.Rebind(query), args...)
	if err != nil {
		return 0, busy(err)
	}
	return res.RowsAffected()
}

// in expands "IN (?)" for a slice argument, then rebinds.
func in(q sqlx.ExtContext, query string, args ...any) (string, []any, error) {
	query, args, err := sqlx.In(query, args...)
	if err != nil {
		return "", nil, err
	}
	return q.Rebind(query), args, nil
}

// insertID runs an INSERT … RETURNING id (SQLite ≥ 3.35 and PostgreSQL).
func insertID(ctx context.Context, q sqlx.ExtContext, query string, args ...any) (int64, error) {
	var id int64
	err := q.QueryRowxContext(ctx, q.Rebind(query+" RETURNING id"), args...).Scan(&id)
	return id, busy(err)
}

func notFound(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// Time and boolean conversions.

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMs(v int64) time.Time { return time.UnixMilli(v).UTC() }

func fromNullMs(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMs(v.Int64)
	return &t
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
