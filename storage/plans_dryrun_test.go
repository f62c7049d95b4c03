package storage

import (
	"context"
	"database/sql"
	"reflect"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/rs/zerolog"
)

// dryRunCase is a database in some state and an upload to dry-run and apply.
type dryRunCase struct {
	name  string
	setup func(t *testing.T) (*DB, int64, herald.Plan, []herald.Post)
}

var dryRunCases = []dryRunCase{
	{"diff after publishing", func(t *testing.T) (*DB, int64, herald.Plan, []herald.Post) {
		db, ws := setupPublished(t)
		clockOf(db).Set(t0.Add(time.Minute))
		return db, ws.ID, herald.Plan{Key: "2026-12", Title: "December (new title)", Timezone: "Europe/Moscow"}, planV2()
	}},
	{"new plan", func(t *testing.T) (*DB, int64, herald.Plan, []herald.Post) {
		db, ws := setupPublished(t)
		return db, ws.ID, herald.Plan{Key: "other", Timezone: "UTC"}, planV1()
	}},
	{"revive of a deleted plan", func(t *testing.T) (*DB, int64, herald.Plan, []herald.Post) {
		db := MustOpenDB(t)
		ws := mustWorkspace(t, db, "acme")
		mustChannel(t, db, ws.ID, "tg", "telegram")
		mustChannel(t, db, ws.ID, "vk", "vk")
		a, b, c := mkPost("a", 2, t0, "A", "tg"), mkPost("b", 3, t0.Add(time.Hour), "B", "tg", "vk"), mkPost("c", 4, t0.Add(2*time.Hour), "C", "tg")
		mustApply(t, db, ws.ID, "dec", []herald.Post{a, b, c})
		publish(t, db, t0)
		ids := deliveryIDs(t, db, ws.ID)
		if _, err := db.CancelDelivery(ctx, ws.ID, ids[[2]string{"b", "vk"}]); err != nil {
			t.Fatal(err)
		}
		if _, err := db.DeletePlan(ctx, ws.ID, "dec"); err != nil {
			t.Fatal(err)
		}
		clockOf(db).Set(t0.Add(30 * time.Minute))
		a.Text = "A edited" // published: a conflict
		return db, ws.ID, herald.Plan{Key: "dec", Timezone: "UTC"}, []herald.Post{a, b, mkPost("d", 4, t0.Add(3*time.Hour), "D", "tg", "vk")}
	}},
	{"revive of slots taken since", func(t *testing.T) (*DB, int64, herald.Plan, []herald.Post) {
		db := MustOpenDB(t)
		ws := mustWorkspace(t, db, "acme")
		slotChannelFor(t, db, ws.ID, "s", "", "tue 12:00", "tue 13:00", "wed 10:00")
		slotChannelFor(t, db, ws.ID, "u", "UTC", "wed 10:00")
		applyPlan(t, db, ws.ID, herald.Plan{Key: "a"}, []herald.Post{nextPost("n", 2, "N", "s"), nextPost("m", 3, "M", "s", "u"), nextPost("k", 4, "K", "s")})
		ids := deliveryIDs(t, db, ws.ID)
		if _, err := exec(ctx, db.w, `UPDATE deliveries SET status = 'published' WHERE id = ?`, ids[[2]string{"m", "u"}]); err != nil {
			t.Fatal(err)
		}
		if _, err := db.DeletePlan(ctx, ws.ID, "a"); err != nil {
			t.Fatal(err)
		}
		applyPlan(t, db, ws.ID, herald.Plan{Key: "b"}, []herald.Post{nextPost("q", 2, "Q", "s"), nextPost("r", 3, "R", "s")})
		return db, ws.ID, herald.Plan{Key: "a"}, []herald.Post{nextPost("n", 2, "N", "s"), nextPost("m", 3, "M", "s", "u"),
			nextPost("k", 4, "K", "s"), nextPost("new", 5, "NEW", "s", "u")}
	}},
	{"slot placement", func(t *testing.T) (*DB, int64, herald.Plan, []herald.Post) {
		db, ws := threeZones(t)
		applyPlan(t, db, ws.ID, herald.Plan{Key: "p1"}, []herald.Post{nextPost("a", 2, "A", "tg"), nextPost("b", 3, "B", "tg", "masto"), nextPost("c", 4, "C", "tg")})
		applyPlan(t, db, ws.ID, herald.Plan{Key: "p2"}, []herald.Post{nextPost("x", 2, "X", "tg", "masto", "vk")})
		clockOf(db).Set(t0.Add(36 * time.Hour))
		start := t0.Add(24 * time.Hour)
		return db, ws.ID, herald.Plan{Key: "p1", Start: &start}, []herald.Post{nextPost("a", 2, "A", "tg"), nextPost("b", 3, "B edited", "tg"),
			nextPost("c", 4, "C", "tg", "masto", "vk"), mkPost("d", 5, t0.Add(48*time.Hour), "D", "tg"), nextPost("e", 6, "E", "vk")}
	}},
	{"warnings against other plans", func(t *testing.T) (*DB, int64, herald.Plan, []herald.Post) {
		db, wsID, base := promoPlan(t)
		return db, wsID, herald.Plan{Key: "main"}, []herald.Post{mkPost("x", 2, base.Add(40*time.Second), "Big sale!", "tg-main"),
			mkPost("y", 3, base.Add(50*time.Hour), "Big sale!", "tg-main", "tg-other")}
	}},
}

// A dry run answers exactly what the real apply then does, and changes
// nothing: for diffs, a new plan, revivals of deleted plans (with slots
// taken since) and slot placement.
func TestDryRunEqualsApply(t *testing.T) {
	for _, tc := range dryRunCases {
		t.Run(tc.name, func(t *testing.T) {
			db, wsID, plan, posts := tc.setup(t)
			before := snapshot(t, db)
			dry, err := db.ApplyPlan(ctx, wsID, plan, posts, true)
			if err != nil {
				t.Fatalf("dry run: %v %v", err, herald.ErrorDetails(err))
			}
			if after := snapshot(t, db); after != before {
				t.Fatalf("the dry run changed the database:\n%s\n---\n%s", before, after)
			}
			if !dry.DryRun {
				t.Fatal("dry run result says it is not one")
			}
			real, err := db.ApplyPlan(ctx, wsID, plan, posts, false)
			wantAsDryRun(t, db, before, dry, real, err)
			checkIdempotencyKeys(t, db)
		})
	}
}

// checkIdempotencyKeys checks that every delivery still to go out has the
// idempotency key idempotencyKey derives from its id and its post's hash
// (cancelled ones keep the key of the content they had; a revived row to be
// placed again has an empty hash until it is).
func checkIdempotencyKeys(tb testing.TB, db *DB) {
	tb.Helper()
	var rows []struct {
		ID   int64  `db:"id"`
		Key  string `db:"idempotency_key"`
		Hash string `db:"hash"`
	}
	if err := db.w.SelectContext(ctx, &rows, `SELECT d.id, d.idempotency_key, p.hash FROM deliveries d JOIN posts p ON p.id = d.post_id
		WHERE p.removed = 0 AND p.hash <> '' AND d.status IN ('scheduled', 'retrying', 'pending_approval') ORDER BY d.id`); err != nil {
		tb.Fatal(err)
	}
	for _, r := range rows {
		if want := idempotencyKey(r.ID, r.Hash); r.Key != want {
			tb.Errorf("delivery %d: idempotency key %q, want %q", r.ID, r.Key, want)
		}
	}
}

// A dry run reads from the read pool in a read transaction: it goes
// through while another connection holds SQLite's write lock (as another
// process's apply would), sees only what was committed, and writes nothing
// (the database's data_version stays).
func TestDryRunWithoutWriteLock(t *testing.T) {
	path := t.TempDir() + "/herald.db"
	// A short busy timeout: whatever waits for the write lock fails fast.
	db, err := Open("file:"+path+"?_busy_timeout=100", Options{SecretKey: testKey, Now: (&Clock{t: t0}).Now, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	ws := mustWorkspace(t, db, "acme")
	mustChannel(t, db, ws.ID, "tg", "telegram")
	mustChannel(t, db, ws.ID, "masto", "mastodon")
	mustApply(t, db, ws.ID, "2026-12", planV1())

	other, err := sql.Open("sqlite3", "file:"+path+"?_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	version := func() int64 {
		var v int64
		if err := conn.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	v0 := version()
	tx, err := conn.BeginTx(ctx, nil) // BEGIN IMMEDIATE: the write lock
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	// Uncommitted: row a edited. The dry run must not see it.
	if _, err := tx.ExecContext(ctx, `UPDATE posts SET hash = 'x' WHERE key = 'a'`); err != nil {
		t.Fatal(err)
	}

	// The deadline only bounds a dry run that would hang: one that waited
	// for the lock would fail at the busy timeout (EUNAVAILABLE).
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	res, err := db.ApplyPlan(dctx, ws.ID, herald.Plan{Key: "2026-12", Title: "Plan 2026-12", Timezone: "UTC"}, planV2(), true)
	if err != nil {
		t.Fatalf("dry run while another connection holds the write lock: %v", err)
	}
	if !res.DryRun || rowActions(res) != "a:3:unchanged b:4:updated d:5:updated f:2:created c:0(was 4):cancelled e:0(was 6):cancelled" {
		t.Fatalf("dry run: %s %+v", rowActions(res), res)
	}
	// A real apply needs the lock.
	_, err = db.ApplyPlan(ctx, ws.ID, herald.Plan{Key: "2026-12"}, planV2(), false)
	wantCode(t, err, herald.EUNAVAILABLE)
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if v := version(); v != v0 {
		t.Fatalf("data_version %d after the dry run, was %d: something was written", v, v0)
	}
}

// wantAsDryRun fails unless the real apply (real, err) answered as the dry
// run did and, unlike it, changed the database from before.
func wantAsDryRun(t *testing.T, db *DB, before string, dry, real *herald.PlanResult, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("apply: %v %v", err, herald.ErrorDetails(err))
	}
	if real.DryRun {
		t.Fatal("real apply says dry run")
	}
	dry.DryRun = false
	if !reflect.DeepEqual(dry, real) {
		t.Fatalf("dry run %+v\nreal     %+v", dry, real)
	}
	if snapshot(t, db) == before {
		t.Fatal("the real apply changed nothing")
	}
}
