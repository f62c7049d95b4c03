package storage

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/rs/zerolog"
)

// Another process holding the write lock past the busy timeout makes a
// write EUNAVAILABLE (503 with Retry-After in the API), never an internal error.
func TestBusyDatabaseIsUnavailable(t *testing.T) {
	sqliteOnly(t, "SQLite's write lock and busy timeout (TestPostgresLockTimeoutIsUnavailable is the PostgreSQL twin)")
	path := filepath.Join(t.TempDir(), "herald.db")
	db, err := Open("file:"+path+"?_busy_timeout=50", Options{SecretKey: testKey, Now: (&Clock{t: t0}).Now, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("sqlite3", "file:"+path+"?_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tx, err := other.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()

	err = db.CreateWorkspace(ctx, &herald.Workspace{Slug: "acme", Name: "Acme", Timezone: "UTC"})
	if herald.ErrorCode(err) != herald.EUNAVAILABLE {
		t.Fatalf("write while another connection holds the lock: %v (code %q), want %s", err, herald.ErrorCode(err), herald.EUNAVAILABLE)
	}
	// Reads are not held by the writer (WAL).
	if _, err := db.ListWorkspaces(ctx, "", 10); err != nil {
		t.Errorf("read while another connection writes: %v", err)
	}
}

// The database, its journal files and a directory Herald creates for them
// are the owner's alone, whatever the umask.
func TestDatabaseFilesAreOwnerOnly(t *testing.T) {
	sqliteOnly(t, "file modes of the database file, its WAL and its directory")
	dir := filepath.Join(t.TempDir(), "new", "data")
	db := mustOpenRaw(t, filepath.Join(dir, "herald.db"))
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{dir, filepath.Join(dir, "herald.db"), filepath.Join(dir, "herald.db-wal")} {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s has mode %v, want no access for group and others", name, fi.Mode().Perm())
		}
	}
}
