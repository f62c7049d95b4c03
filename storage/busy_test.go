package storage

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/rs/zerolog"
)

// Another process holding the write lock past the busy timeout makes a
// write EUNAVAILABLE (503 with Retry-After in the API), never an internal error.
func TestBusyDatabaseIsUnavailable(t *testing.T) {
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
