package storage

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/jmoiron/sqlx"
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
	ms, _ := migrations()
	var rows []struct {
		Version   int    `db:"version"`
		Name      string `db:"name"`
		AppliedAt int64  `db:"applied_at"`
	}
	if err := db.w.SelectContext(ctx, &rows, `SELECT version, name, applied_at FROM schema_migrations ORDER BY version`); err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(ms) || rows[0].Version != 1 || rows[0].Name != "0001_init.sql" || rows[0].AppliedAt != t0.UnixMilli() {
		t.Fatalf("schema_migrations = %+v, want one row per migration (%d)", rows, len(ms))
	}
	for _, table := range []string{"workspaces", "channels", "plans", "posts", "deliveries", "attempts", "api_tokens"} {
		var n int
		if err := db.w.GetContext(ctx, &n, sqlTableExists, table); err != nil || n != 1 {
			t.Errorf("table %s: n=%d err=%v", table, n, err)
		}
	}

	// A migration recorded that this binary does not know: stale binary.
	if _, err := db.w.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'x.sql', 0)`); err != nil {
		t.Fatal(err)
	}
	wantCode(t, db.CheckSchema(ctx), herald.EUNAVAILABLE)
	// And one the binary knows but the database lacks.
	if _, err := db.w.ExecContext(ctx, `DELETE FROM schema_migrations`); err != nil {
		t.Fatal(err)
	}
	wantCode(t, db.CheckSchema(ctx), herald.EUNAVAILABLE)
}

func TestOpen(t *testing.T) {
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

	_, err := Open("postgres://u:p@localhost/herald", Options{SecretKey: testKey})
	wantCode(t, err, herald.EUNSUPPORTED)
	_, err = Open("postgresql://localhost/herald", Options{SecretKey: testKey})
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
	if err := db2.w.GetContext(ctx, &busy, `PRAGMA busy_timeout`); err != nil || busy != 2000 {
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
		"postgres://u:p@localhost/herald": herald.EUNSUPPORTED,
		"POSTGRESQL://localhost/herald":   herald.EUNSUPPORTED,
		"mysql://localhost/herald":        herald.EUNSUPPORTED,
		"":                                herald.EINVALID,
		"data/herald.db":                  "",
		"/var/lib/herald/herald.db":       "",
		"file:/tmp/h.db?_busy_timeout=1":  "",
		"file:///tmp/h.db":                "",
		"file:h?mode=memory&cache=shared": "",
	} {
		if got := herald.ErrorCode(CheckDSN(dsn)); got != code {
			t.Errorf("CheckDSN(%q) = %q, want %q", dsn, got, code)
		}
	}
	if msg := herald.ErrorMessage(CheckDSN("postgres://x")); !strings.Contains(msg, "SQLite file path") {
		t.Errorf("message %q does not say what is supported", msg)
	}
}
