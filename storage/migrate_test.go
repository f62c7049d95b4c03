package storage

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/heraldhq/herald"
	"github.com/jmoiron/sqlx"
	"github.com/rs/zerolog"
)

func TestMigrateAndCheckSchema(t *testing.T) {
	db := mustOpenRaw(t, filepath.Join(t.TempDir(), "herald.db"))
	wantCode(t, db.CheckSchema(ctx), herald.EUNAVAILABLE)

	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.CheckSchema(ctx); err != nil {
		t.Fatalf("after migrate: %v", err)
	}
	if err := db.Migrate(ctx); err != nil { // a second run applies nothing
		t.Fatal(err)
	}
	ms, _ := db.d.migrations()
	var rows []struct {
		Version   int    `db:"version"`
		Name      string `db:"name"`
		AppliedAt int64  `db:"applied_at"`
	}
	if err := sel(ctx, db.w, &rows, `SELECT version, name, applied_at FROM schema_migrations ORDER BY version`); err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(ms) || rows[0].Version != 1 || rows[0].Name != "0001_init.sql" || rows[0].AppliedAt != t0.UnixMilli() {
		t.Fatalf("schema_migrations = %+v, want one row per migration (%d)", rows, len(ms))
	}
	for _, table := range []string{"workspaces", "channels", "plans", "posts", "deliveries", "attempts", "api_tokens"} {
		var n int
		if err := get(ctx, db.w, &n, db.d.tableExists, table); err != nil || n != 1 {
			t.Errorf("table %s: n=%d err=%v", table, n, err)
		}
	}

	// A migration recorded that this binary does not know: stale binary.
	if _, err := exec(ctx, db.w, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'x.sql', 0)`); err != nil {
		t.Fatal(err)
	}
	wantCode(t, db.CheckSchema(ctx), herald.EUNAVAILABLE)
	// And one the binary knows but the database lacks.
	if _, err := exec(ctx, db.w, `DELETE FROM schema_migrations`); err != nil {
		t.Fatal(err)
	}
	wantCode(t, db.CheckSchema(ctx), herald.EUNAVAILABLE)
}

func TestOpen(t *testing.T) {
	sqliteOnly(t, "the file, its directory and SQLite's settings (TestOpenPostgres is the PostgreSQL twin)")
	dir := filepath.Join(t.TempDir(), "nested", "data")
	db := mustOpenRaw(t, filepath.Join(dir, "herald.db"))
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("parent directory not created: %v", err)
	}
	var mode string
	var fk, busy int
	for _, pool := range []*sqlx.DB{db.w, db.r} {
		if err := pool.GetContext(ctx, &mode, `PRAGMA journal_mode`); err != nil || mode != "wal" {
			t.Errorf("journal_mode = %q, %v", mode, err)
		}
		if err := pool.GetContext(ctx, &fk, `PRAGMA foreign_keys`); err != nil || fk != 1 {
			t.Errorf("foreign_keys = %d, %v", fk, err)
		}
		if err := pool.GetContext(ctx, &busy, `PRAGMA busy_timeout`); err != nil || busy != 10000 {
			t.Errorf("busy_timeout = %d, %v", busy, err)
		}
	}
	if err := db.Ping(ctx); err != nil {
		t.Fatal(err)
	}

	_, err := Open("mysql://u:p@localhost/herald", Options{SecretKey: testKey})
	wantCode(t, err, herald.EUNSUPPORTED)
	_, err = Open(filepath.Join(t.TempDir(), "x.db"), Options{SecretKey: []byte("short")})
	wantCode(t, err, herald.EINVALID)

	// A file: URI with its own parameters works too.
	uri := "file:" + filepath.Join(t.TempDir(), "u", "h.db") + "?_busy_timeout=2000"
	db2, err := Open(uri, Options{SecretKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if err := get(ctx, db2.w, &busy, `PRAGMA busy_timeout`); err != nil || busy != 2000 {
		t.Errorf("uri busy_timeout = %d, %v", busy, err)
	}
	if err := db2.Migrate(ctx); err != nil {
		t.Fatal(err)
	}

	// In memory: one connection, so every call sees the same database.
	mem, err := Open(":memory:", Options{SecretKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	if err := mem.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := mem.CreateWorkspace(ctx, &herald.Workspace{Slug: "m", Name: "M", Timezone: "UTC"}); err != nil {
		t.Fatal(err)
	}
	if _, err := mem.Workspace(ctx, "m"); err != nil || mem.CheckSchema(ctx) != nil {
		t.Fatalf("in-memory database: %v", err)
	}
}

// CheckDSN answers what Open would refuse, before anything is created.
func TestCheckDSN(t *testing.T) {
	for dsn, code := range map[string]string{
		"postgres://u:p@localhost/herald":                    "",
		"POSTGRESQL://localhost/herald":                      "",
		"postgres://h/db?sslmode=disable&search_path=herald": "",
		"postgres://u:s3cret@localhost:notaport/herald":      herald.EINVALID,
		"postgres://localhost/herald?sslmode=sometimes":      herald.EINVALID,
		"mysql://localhost/herald":                           herald.EUNSUPPORTED,
		"":                                                   herald.EINVALID,
		"data/herald.db":                                     "",
		"/var/lib/herald/herald.db":                          "",
		"file:/tmp/h.db?_busy_timeout=1":                     "",
		"file:///tmp/h.db":                                   "",
		"file:h?mode=memory&cache=shared":                    "",
	} {
		if got := herald.ErrorCode(CheckDSN(dsn)); got != code {
			t.Errorf("CheckDSN(%q) = %q (%v), want %q", dsn, got, CheckDSN(dsn), code)
		}
	}
	if msg := herald.ErrorMessage(CheckDSN("mysql://x")); !strings.Contains(msg, "SQLite") || !strings.Contains(msg, "postgres://") {
		t.Errorf("message %q does not say what is supported", msg)
	}
	if msg := CheckDSN("postgres://u:s3cret@localhost:notaport/herald").Error(); strings.Contains(msg, "s3cret") {
		t.Errorf("message %q shows the password", msg)
	}
}

// Every dialect has the same migrations, number for number and name for
// name: a migration added for one needs its twin in the other.
func TestMigrationsMirrorEachOther(t *testing.T) {
	lite, err := sqliteDialect.migrations()
	if err != nil {
		t.Fatal(err)
	}
	pg, err := postgresDialect.migrations()
	if err != nil {
		t.Fatal(err)
	}
	names := func(ms []migration) (out []string) {
		for _, m := range ms {
			out = append(out, m.name)
		}
		return out
	}
	if a, b := strings.Join(names(lite), " "), strings.Join(names(pg), " "); a != b {
		t.Fatalf("migrations/sqlite: %s\nmigrations/postgres: %s", a, b)
	}
}

// A migration left directly in migrations/ (where they were before there
// were dialects) is refused, not silently skipped.
func TestStrayMigrationRefused(t *testing.T) {
	fsys := fstest.MapFS{
		"migrations/sqlite/0001_init.sql":   {Data: []byte("CREATE TABLE a (id INTEGER)")},
		"migrations/postgres/0001_init.sql": {Data: []byte("CREATE TABLE a (id BIGINT)")},
		"migrations/0002_more.sql":          {Data: []byte("ALTER TABLE a ADD COLUMN b TEXT")},
	}
	if _, err := sqliteDialect.migrationsIn(fsys); err == nil || !strings.Contains(err.Error(), "0002_more.sql") {
		t.Fatalf("stray migration: %v", err)
	}
	delete(fsys, "migrations/0002_more.sql")
	ms, err := postgresDialect.migrationsIn(fsys)
	if err != nil || len(ms) != 1 || ms[0].sql != "CREATE TABLE a (id BIGINT)" {
		t.Fatalf("postgres migrations %+v, %v", ms, err)
	}
}

// Processes migrating a fresh database at once (replicas starting
// together) apply each migration once between them, and all succeed.
func TestMigrateConcurrently(t *testing.T) {
	for trial := range 5 {
		path := filepath.Join(t.TempDir(), "herald.db")
		var logs syncBuffer
		const n = 4
		dbs := make([]*DB, n)
		for i := range dbs {
			dbs[i] = mustOpenDSN(t, testDSN(t, path), zerolog.New(&logs))
		}
		start := make(chan struct{})
		errs := make(chan error, n)
		for _, db := range dbs {
			go func() {
				<-start
				errs <- db.Migrate(ctx)
			}()
		}
		close(start)
		var failed []error
		for range n { // every one ends before the test does
			if err := <-errs; err != nil {
				failed = append(failed, err)
			}
		}
		if len(failed) > 0 {
			t.Fatalf("trial %d: %d of %d concurrent migrations failed, first: %v", trial, len(failed), n, failed[0])
		}
		ms, _ := dbs[0].d.migrations()
		var versions []int
		if err := sel(ctx, dbs[0].r, &versions, `SELECT version FROM schema_migrations ORDER BY version`); err != nil {
			t.Fatal(err)
		}
		if len(versions) != len(ms) {
			t.Fatalf("trial %d: schema_migrations holds %v, want each of %d migrations once", trial, versions, len(ms))
		}
		if got := strings.Count(logs.String(), "applied migration"); got != len(ms) {
			t.Fatalf("trial %d: %d migrations applied between %d processes, want %d:\n%s", trial, got, n, len(ms), logs.String())
		}
		for _, db := range dbs {
			if err := db.CheckSchema(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent writers (loggers).
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
