package storage

import (
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/jmoiron/sqlx"
	"github.com/mattn/go-sqlite3"
)

// The SQLite-specific part of the store: the connection string, the two
// pools, the WAL checkpoints and how errors look (postgres.go is its twin).

// sqliteDefaults are applied to every connection unless the dsn sets them.
// _txlock=immediate takes the write lock at BEGIN, so two writers never
// deadlock upgrading a read lock; synchronous NORMAL is safe with WAL against
// a crashed process (a power cut may lose the last commits; set
// _synchronous=FULL in the dsn to trade speed for that).
var sqliteDefaults = map[string]string{
	"_journal_mode":    "WAL",
	"_busy_timeout":    "10000",
	"_foreign_keys":    "on",
	"_txlock":          "immediate",
	"_synchronous":     "NORMAL",
	"_stmt_cache_size": "128",
}

// sqliteDialect is SQLite's part of the store (see dialect).
var sqliteDialect = dialect{
	name:        "sqlite",
	tableExists: `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?`,
	isBusy:      sqliteBusy,
	isUnique:    sqliteUnique,
	claimGate:   `SELECT EXISTS (SELECT 1 FROM pauses WHERE until_at <= ?)`,
	nextIDs:     sqliteNextIDs,
	// One write transaction commits at a time: ids come in commit order
	// (txid is always 0; naming it lets delivery_events_follow serve).
	followEvents: follow{tx: "txid", order: "txid, id", after: func(c eventCursor) (string, []any) {
		return "txid = 0 AND id > ?", []any{c.id}
	}},
}

func (db *DB) openSQLite(dsn string) error {
	db.d = &sqliteDialect
	path, rawQuery := dsn, ""
	if i := strings.IndexByte(dsn, '?'); i >= 0 && strings.HasPrefix(dsn, "file:") {
		path, rawQuery = dsn[:i], dsn[i+1:]
	}
	params, err := url.ParseQuery(rawQuery)
	if err != nil {
		return herald.Errorf(herald.EINVALID, "database URI parameters: %v", err)
	}
	for k, v := range sqliteDefaults {
		if _, ok := params[k]; !ok && !hasAlias(params, k) {
			params.Set(k, v)
		}
	}
	var uri, file string
	if strings.HasPrefix(path, "file:") {
		uri = path
		file = strings.TrimPrefix(strings.TrimPrefix(path, "file:"), "//localhost")
		if strings.HasPrefix(file, "//") {
			file = file[2:]
		}
		if f, err := url.PathUnescape(file); err == nil {
			file = f
		}
	} else {
		uri = "file:" + (&url.URL{Path: path}).EscapedPath()
		file = path
	}
	memory := file == ":memory:" || file == "" || params.Get("mode") == "memory"
	if !memory {
		if dir := filepath.Dir(file); dir != "" && dir != "." {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return fmt.Errorf("create database directory: %w", err)
			}
		}
		// SQLite would create the file (and its -wal and -shm, which copy
		// its mode) readable by all under a common umask: create it owner-only.
		f, err := os.OpenFile(file, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return fmt.Errorf("create database file: %w", err)
		}
		f.Close()
		if db.sole {
			if db.soleLock, err = lockSole(file); err != nil {
				return err
			}
		}
	}
	full := uri + "?" + params.Encode()
	w, err := sqlx.Open(writerDriver, full)
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := w.Ping(); err != nil {
		w.Close()
		return fmt.Errorf("open database %s: %w", file, err)
	}
	db.w, db.r = w, w
	if memory {
		return nil // each connection would get its own in-memory database
	}
	// A read transaction (a plan's dry run) never takes the write lock.
	params.Set("_txlock", "deferred")
	r, err := sqlx.Open("sqlite3", uri+"?"+params.Encode())
	if err != nil {
		w.Close()
		return fmt.Errorf("open database: %w", err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	r.SetConnMaxIdleTime(0)
	db.r = r
	db.stop, db.stopped = make(chan struct{}), make(chan struct{})
	go db.checkpoints(time.Second)
	return nil
}

// writerDriver is go-sqlite3 with the write connection's own settings: the
// WAL is checkpointed by a background goroutine on a read connection
// (checkpoints fsync; the writer should not wait for them), with the
// writer's automatic checkpoint kept only as a backstop for a large WAL.
const writerDriver = "sqlite3-herald-writer"

func init() {
	sql.Register(writerDriver, &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		_, err := c.Exec("PRAGMA wal_autocheckpoint = 20000", nil)
		return err
	}})
}

// checkpoints copies the WAL into the database file every interval until
// Close. A PASSIVE checkpoint never blocks the writer or readers.
func (db *DB) checkpoints(interval time.Duration) {
	defer close(db.stopped)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-db.stop:
			return
		case <-t.C:
			if _, err := db.r.Exec(`PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
				db.log.Warn().Err(err).Msg("WAL checkpoint failed")
			}
		}
	}
}

// hasAlias reports whether params sets k under go-sqlite3's short name.
func hasAlias(params url.Values, k string) bool {
	alias := map[string]string{"_journal_mode": "_journal", "_busy_timeout": "_timeout",
		"_foreign_keys": "_fk", "_synchronous": "_sync"}[k]
	_, ok := params[alias]
	return alias != "" && ok
}

// sqliteBusy reports whether err is SQLite's "database is locked" or "busy".
func sqliteBusy(err error) bool {
	var e sqlite3.Error
	return errors.As(err, &e) && (e.Code == sqlite3.ErrBusy || e.Code == sqlite3.ErrLocked)
}

// sqliteUnique reports whether err is SQLite's unique-constraint violation.
func sqliteUnique(err error) bool {
	var e sqlite3.Error
	if errors.As(err, &e) {
		return e.ExtendedCode == sqlite3.ErrConstraintUnique || e.ExtendedCode == sqlite3.ErrConstraintPrimaryKey
	}
	return false
}
