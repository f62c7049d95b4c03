package storage

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// openAs opens the database at path as process node, on the tests' clock.
func openAs(t *testing.T, path, node string) *DB {
	t.Helper()
	db, err := Open(path, Options{SecretKey: testKey, Now: (&Clock{t: t0}).Now, Logger: zerolog.Nop(), Node: node})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

// One process at a time holds a duty: it keeps it while it renews within
// its term, another takes it once the term ends or at once when it resigns.
func TestElectOneLeader(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	a, b := openAs(t, path, "a"), openAs(t, path, "b")
	term := 30 * time.Second
	elect := func(db *DB, at time.Time) bool {
		t.Helper()
		ok, err := db.Elect(ctx, "maintenance", at, term)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !elect(a, t0) || elect(b, t0) || elect(b, t0.Add(term)) {
		t.Fatal("a should lead from t0 through its term, b not")
	}
	if !elect(a, t0.Add(20*time.Second)) || elect(b, t0.Add(40*time.Second)) {
		t.Fatal("a's renewal should extend its term past 30s")
	}
	if !elect(b, t0.Add(51*time.Second)) || elect(a, t0.Add(52*time.Second)) {
		t.Fatal("b should take the duty once a's term ended, and a then not lead")
	}
	if who, _ := a.Leader(ctx, "maintenance", t0.Add(52*time.Second)); who != "b" {
		t.Fatalf("leader %q, want b", who)
	}
	if err := b.Resign(ctx, "maintenance"); err != nil {
		t.Fatal(err)
	}
	if !elect(a, t0.Add(53*time.Second)) {
		t.Fatal("a should lead at once after b resigned")
	}
	if err := a.Resign(ctx, "other-duty"); err != nil {
		t.Fatal(err)
	}
}

func TestHeartbeatListsNodes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	a, b := openAs(t, path, "a"), openAs(t, path, "b")
	if err := a.Heartbeat(ctx, t0); err != nil {
		t.Fatal(err)
	}
	if err := b.Heartbeat(ctx, t0.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := a.Heartbeat(ctx, t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	nodes, err := b.Nodes(ctx, t0.Add(-time.Minute))
	if err != nil || len(nodes) != 1 || nodes[0].Name != "a" || !nodes[0].StartedAt.Equal(t0) || !nodes[0].HeartbeatAt.Equal(t0.Add(time.Second)) {
		t.Fatalf("live nodes %+v %v: want a, started at t0, last beat a second later", nodes, err)
	}
}
