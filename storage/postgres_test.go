package storage

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jmoiron/sqlx"
	"github.com/mattn/go-sqlite3"
	"github.com/rs/zerolog"
)

// What each dialect counts as busy (EUNAVAILABLE: try again) and as a
// unique violation (ECONFLICT where the code maps it).
func TestDialectErrors(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	for _, c := range []struct {
		name         string
		err          error
		busy, unique bool
	}{
		{"sqlite busy", sqlite3.Error{Code: sqlite3.ErrBusy}, true, false},
		{"sqlite locked", sqlite3.Error{Code: sqlite3.ErrLocked}, true, false},
		{"sqlite unique", sqlite3.Error{Code: sqlite3.ErrConstraint, ExtendedCode: sqlite3.ErrConstraintUnique}, false, true},
		{"sqlite primary key", sqlite3.Error{Code: sqlite3.ErrConstraint, ExtendedCode: sqlite3.ErrConstraintPrimaryKey}, false, true},
		{"sqlite foreign key", sqlite3.Error{Code: sqlite3.ErrConstraint, ExtendedCode: sqlite3.ErrConstraintForeignKey}, false, false},
		{"pg serialization_failure", &pgconn.PgError{Code: "40001"}, true, false},
		{"pg deadlock_detected", &pgconn.PgError{Code: "40P01"}, true, false},
		{"pg lock_not_available", &pgconn.PgError{Code: "55P03"}, true, false},
		{"pg too_many_connections", &pgconn.PgError{Code: "53300"}, true, false},
		{"pg admin_shutdown", &pgconn.PgError{Code: "57P01"}, true, false},
		{"pg crash_shutdown", &pgconn.PgError{Code: "57P02"}, true, false},
		{"pg cannot_connect_now", &pgconn.PgError{Code: "57P03"}, true, false},
		{"pg unique_violation", &pgconn.PgError{Code: "23505"}, false, true},
		{"pg foreign_key_violation", &pgconn.PgError{Code: "23503"}, false, false},
		{"pg invalid_password", &pgconn.PgError{Code: "28P01"}, false, false},
		{"pg syntax error", &pgconn.PgError{Code: "42601"}, false, false},
		{"connection refused", refused, true, false},
		{"connection reset", &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, true, false},
		{"connection cut mid-answer", fmt.Errorf("receive message: %w", io.ErrUnexpectedEOF), true, false},
		{"bad connection", driver.ErrBadConn, true, false},
		{"wrapped", fmt.Errorf("claim: %w", &pgconn.PgError{Code: "55P03"}), true, false},
		{"other", errors.New("boom"), false, false},
		{"nil", nil, false, false},
	} {
		if got := isBusy(c.err); got != c.busy {
			t.Errorf("%s: isBusy = %v, want %v", c.name, got, c.busy)
		}
		if got := isUnique(c.err); got != c.unique {
			t.Errorf("%s: isUnique = %v, want %v", c.name, got, c.unique)
		}
		if got := herald.ErrorCode(busy(c.err)); c.busy && got != herald.EUNAVAILABLE {
			t.Errorf("%s: busy(err) code %q, want %s", c.name, got, herald.EUNAVAILABLE)
		} else if !c.busy && busy(c.err) != c.err {
			t.Errorf("%s: busy(err) = %v, want err unchanged", c.name, busy(c.err))
		}
	}
	// The cause stays in the text, for the log; the client's message is ours.
	err := busy(&pgconn.PgError{Code: "55P03", Message: "canceling statement due to lock timeout"})
	if !strings.Contains(err.Error(), "lock timeout") || strings.Contains(herald.ErrorMessage(err), "lock timeout") {
		t.Errorf("busy error %q, message %q", err, herald.ErrorMessage(err))
	}
}

// PostgreSQL: one pool for reads and writes, sized for the machine, no
// WAL checkpoints; a database that cannot be reached is an error naming no
// password; an upper-case scheme works.
func TestOpenPostgres(t *testing.T) {
	postgresOnly(t)
	db := MustOpenDB(t)
	if db.d != &postgresDialect || db.w != db.r || db.stop != nil {
		t.Fatalf("dialect %s, one pool %v, checkpoint goroutine %v", db.d.name, db.w == db.r, db.stop != nil)
	}
	if got := db.w.Stats().MaxOpenConnections; got != postgresPoolSize() || got < 8 {
		t.Errorf("pool of %d connections, want %d", got, postgresPoolSize())
	}
	if err := db.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.CheckSchema(ctx); err != nil {
		t.Fatal(err)
	}

	_, err := Open("postgres://herald:s3cret@127.0.0.1:1/herald?sslmode=disable&connect_timeout=5", Options{SecretKey: testKey})
	if err == nil || strings.Contains(err.Error(), "s3cret") || !isBusy(err) {
		t.Errorf("unreachable server: %v (busy %v); want an error naming no password, connection refused", err, isBusy(err))
	}
	u, _ := url.Parse(dsnOf(db))
	u.Path = "/herald_no_such_database"
	_, err = Open(u.String(), Options{SecretKey: testKey})
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "3D000" {
		t.Errorf("missing database: %v; want PostgreSQL's invalid_catalog_name (Open creates nothing)", err)
	}
	upper, err := Open("POSTGRES"+strings.TrimPrefix(dsnOf(db), "postgres"), Options{SecretKey: testKey})
	if err != nil {
		t.Fatalf("upper-case scheme: %v", err)
	}
	defer upper.Close()
	if err := upper.CheckSchema(ctx); err != nil {
		t.Fatal(err)
	}
}

// The PostgreSQL migrations make the SQLite schema column for column:
// the same tables, columns in the same order with matching types and
// nullability, the same indexes (partial ones partial); the names and keys
// Herald orders by sort byte-wise, as on SQLite.
func TestPostgresSchemaMirrorsSQLite(t *testing.T) {
	postgresOnly(t)
	pg := MustOpenDB(t)
	lite, err := Open(filepath.Join(t.TempDir(), "herald.db"), Options{SecretKey: testKey, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	if err := lite.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var tables []string
	if err := sel(ctx, lite.r, &tables, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`); err != nil {
		t.Fatal(err)
	}
	var pgTables []string
	if err := sel(ctx, pg.r, &pgTables, `SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename`); err != nil {
		t.Fatal(err)
	}
	if strings.Join(tables, " ") != strings.Join(pgTables, " ") {
		t.Fatalf("tables: SQLite %v, PostgreSQL %v", tables, pgTables)
	}
	byteWise := map[string]bool{"workspaces.slug": true, "channels.name": true, "plans.key": true, "posts.key": true, "users.email_key": true}
	for _, table := range tables {
		var cols []struct {
			CID     int     `db:"cid"`
			Name    string  `db:"name"`
			Type    string  `db:"type"`
			NotNull bool    `db:"notnull"`
			Default *string `db:"dflt_value"`
			PK      int     `db:"pk"`
		}
		if err := sel(ctx, lite.r, &cols, `SELECT cid, name, type, "notnull", dflt_value, pk FROM pragma_table_info(?) ORDER BY cid`, table); err != nil {
			t.Fatal(err)
		}
		var pgCols []struct {
			Name      string  `db:"column_name"`
			Type      string  `db:"data_type"`
			Nullable  string  `db:"is_nullable"`
			Identity  string  `db:"is_identity"`
			Collation *string `db:"collation_name"`
		}
		if err := sel(ctx, pg.r, &pgCols, `SELECT column_name, data_type, is_nullable, is_identity, collation_name FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position`, table); err != nil {
			t.Fatal(err)
		}
		if len(cols) != len(pgCols) {
			t.Errorf("%s: %d columns on SQLite, %d on PostgreSQL", table, len(cols), len(pgCols))
			continue
		}
		for i, c := range cols {
			p := pgCols[i]
			want := map[string]string{"BIGINT": "bigint", "TEXT": "text", "BLOB": "bytea", "INTEGER": "integer"}[c.Type]
			if c.Type == "INTEGER" && (c.Name == "id" || strings.HasSuffix(c.Name, "_id")) {
				want = "bigint" // ids and references to them
			}
			if table == "delivery_events" && c.Name == "txid" {
				want = "xid8" // the transaction's id there; always 0 on SQLite (migrations/*/0014)
			}
			if p.Name != c.Name || p.Type != want || (p.Nullable == "NO") != (c.NotNull || c.PK == 1) || (p.Identity == "YES") != (c.PK == 1 && c.Name == "id") {
				t.Errorf("%s column %d: SQLite %s %s not null %v pk %v; PostgreSQL %s %s nullable %s identity %s",
					table, i, c.Name, c.Type, c.NotNull, c.PK, p.Name, p.Type, p.Nullable, p.Identity)
			}
			if got := p.Collation != nil && *p.Collation == "C"; got != byteWise[table+"."+c.Name] {
				t.Errorf("%s.%s: collation %v, want C %v", table, c.Name, p.Collation, byteWise[table+"."+c.Name])
			}
		}
	}
	var idx []struct {
		Name string `db:"name"`
		SQL  string `db:"sql"`
	}
	if err := sel(ctx, lite.r, &idx, `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name`); err != nil {
		t.Fatal(err)
	}
	for _, i := range idx {
		var def string
		if err := get(ctx, pg.r, &def, `SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND indexname = ?`, i.Name); err != nil {
			t.Errorf("index %s: %v", i.Name, err)
			continue
		}
		if strings.Contains(i.SQL, "WHERE") != strings.Contains(def, "WHERE") || strings.Contains(i.SQL, "UNIQUE") != strings.Contains(def, "UNIQUE") {
			t.Errorf("index %s: SQLite %q, PostgreSQL %q", i.Name, i.SQL, def)
		}
	}
	var n int
	if err := get(ctx, pg.r, &n, `SELECT COUNT(*) FROM pg_indexes i WHERE schemaname = current_schema()
		AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`); err != nil || n != len(idx) {
		t.Errorf("%d named indexes on PostgreSQL, %d on SQLite (%v)", n, len(idx), err)
	}
}

// openWith opens the test database dsn names again, with run-time
// parameters added (lock_timeout, …).
func openWith(tb testing.TB, dsn string, params map[string]string) *DB {
	tb.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		tb.Fatal(err)
	}
	q := u.Query()
	for k, v := range params {
		q.Set(k, v)
	}
	u.RawQuery = q.Encode()
	return mustOpenDSN(tb, u.String(), zerolog.Nop())
}

// A write waiting past lock_timeout for a lock another session holds is
// EUNAVAILABLE (503 with Retry-After in the API); reads go on.
func TestPostgresLockTimeoutIsUnavailable(t *testing.T) {
	postgresOnly(t)
	base := MustOpenDB(t)
	db := openWith(t, dsnOf(base), map[string]string{"lock_timeout": "100ms"})
	tx := postgresAdmin(t).MustBegin()
	defer tx.Rollback()
	tx.MustExec(`LOCK TABLE ` + schemaOf(t, db) + `.workspaces IN SHARE MODE`) // blocks writes, not reads
	err := db.CreateWorkspace(ctx, &herald.Workspace{Slug: "acme", Name: "Acme", Timezone: "UTC"})
	wantCode(t, err, herald.EUNAVAILABLE)
	if _, err := db.ListWorkspaces(ctx, "", 10); err != nil {
		t.Errorf("read while another session holds the lock: %v", err)
	}
}

// A session the server ends (pg_terminate_backend, as a shutdown or a
// failover does) fails its statement with EUNAVAILABLE; the pool then
// serves the next call on a new connection.
func TestPostgresSessionEndedIsUnavailable(t *testing.T) {
	postgresOnly(t)
	db := MustOpenDB(t)
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		var pid int
		if err := get(ctx, tx, &pid, `SELECT pg_backend_pid()`); err != nil {
			return err
		}
		var ended bool
		if err := postgresAdmin(t).Get(&ended, `SELECT pg_terminate_backend($1, 10000)`, pid); err != nil || !ended {
			t.Fatalf("terminate backend %d: %v %v", pid, ended, err)
		}
		_, err := exec(ctx, tx, `UPDATE workspaces SET name = name`)
		return err
	})
	wantCode(t, err, herald.EUNAVAILABLE)
	if err := db.CreateWorkspace(ctx, &herald.Workspace{Slug: "acme", Name: "Acme", Timezone: "UTC"}); err != nil {
		t.Fatalf("after the session ended: %v", err)
	}
}

// A server that refuses connections (down, restarting) makes calls
// EUNAVAILABLE, and Ping fail.
func TestPostgresServerDownIsUnavailable(t *testing.T) {
	postgresOnly(t)
	base := MustOpenDB(t)
	u, err := url.Parse(dsnOf(base))
	if err != nil {
		t.Fatal(err)
	}
	proxy := newTCPProxy(t, u.Host)
	u.Host = proxy.addr
	db := mustOpenDSN(t, u.String(), zerolog.Nop())
	mustWorkspace(t, db, "acme")

	proxy.stop() // the server is gone: nothing listens there now
	db.w.SetMaxIdleConns(0)
	db.w.SetMaxIdleConns(postgresPoolSize())
	_, err = db.Workspace(ctx, "acme")
	wantCode(t, err, herald.EUNAVAILABLE)
	wantCode(t, db.CreateWorkspace(ctx, &herald.Workspace{Slug: "b", Name: "B", Timezone: "UTC"}), herald.EUNAVAILABLE)
	if err := db.Ping(ctx); err == nil {
		t.Error("Ping of a server that is down succeeded")
	}
}

// tcpProxy forwards connections to a server until stop.
type tcpProxy struct {
	addr  string
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
	done  chan struct{}
}

func newTCPProxy(tb testing.TB, upstream string) *tcpProxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p := &tcpProxy{addr: ln.Addr().String(), ln: ln, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", upstream)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { io.Copy(up, c); up.Close() }()
			go func() { io.Copy(c, up); c.Close() }()
		}
	}()
	tb.Cleanup(p.stop)
	return p
}

// stop closes the listener and every forwarded connection.
func (p *tcpProxy) stop() {
	p.ln.Close()
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}
