package storage

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/jmoiron/sqlx"
)

// between runs change in the apply's transaction between its plan phase and
// its write phase, for the rest of the test.
func between(t *testing.T, change func(tx *sqlx.Tx) error) {
	t.Helper()
	testHookPlanned = func(tx *sqlx.Tx) {
		if err := change(tx); err != nil {
			t.Errorf("between the phases: %v", err)
		}
	}
	t.Cleanup(func() { testHookPlanned = nil })
}

// Every write of the write phase requires what the plan phase read: a
// delivery that moved in between (a worker claimed it: publishing) is never
// rescheduled, cancelled or revived over that; the apply is ECONFLICT and
// nothing of it is applied.
func TestApplyPlanWritesRequireWhatWasRead(t *testing.T) {
	publishing := func(key, channel string) func(*testing.T, *DB, int64) func(*sqlx.Tx) error {
		return func(t *testing.T, db *DB, wsID int64) func(*sqlx.Tx) error {
			id := deliveryIDs(t, db, wsID)[[2]string{key, channel}]
			return func(tx *sqlx.Tx) error {
				_, err := exec(ctx, tx, `UPDATE deliveries SET status = 'publishing', lease_owner = 'w9' WHERE id = ?`, id)
				return err
			}
		}
	}
	tests := []struct {
		name   string
		change func(*testing.T, *DB, int64) func(*sqlx.Tx) error
		plan   []herald.Post
		want   string
	}{
		{"a changed row's delivery is claimed", publishing("b", "masto"), planV2(), "row 4: a delivery changed"},
		{"a removed row's delivery is claimed", publishing("c", "tg"), planV2(), "a delivery of the plan changed"},
		{"the delivery of a dropped channel is claimed", publishing("b", "tg"), planV2(), "a delivery of the plan changed"},
		{"a changed row is changed", func(t *testing.T, db *DB, wsID int64) func(*sqlx.Tx) error {
			return func(tx *sqlx.Tx) error {
				_, err := tx.Exec(`UPDATE posts SET hash = 'elsewhere' WHERE key = 'b'`)
				return err
			}
		}, planV2(), "row 4 changed"},
		{"a removed row is removed", func(t *testing.T, db *DB, wsID int64) func(*sqlx.Tx) error {
			return func(tx *sqlx.Tx) error {
				_, err := tx.Exec(`UPDATE posts SET removed = 1 WHERE key = 'c'`)
				return err
			}
		}, planV2(), "a removed row changed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, ws := setupPublished(t)
			before := snapshot(t, db)
			between(t, tt.change(t, db, ws.ID))
			_, err := db.ApplyPlan(ctx, ws.ID, herald.Plan{Key: "2026-12", Title: "Plan 2026-12", Timezone: "UTC"}, tt.plan, false)
			wantCode(t, err, herald.ECONFLICT)
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "apply the plan again") {
				t.Errorf("error %q, want it to say %q", err, tt.want)
			}
			if after := snapshot(t, db); after != before {
				t.Fatalf("a failed apply changed the database:\n%s\n---\n%s", before, after)
			}
			// Without the change in between, the same apply goes through.
			testHookPlanned = nil
			if res := mustApply(t, db, ws.ID, "2026-12", tt.plan); res.Updated != 1 || res.Cancelled != 2 {
				t.Fatalf("apply again: %s", rowActions(res))
			}
		})
	}
}

// Reviving a deleted plan schedules again only what is still as the
// deletion left it: a delivery retried meanwhile makes the apply ECONFLICT.
func TestReviveRequiresWhatWasRead(t *testing.T) {
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "acme")
	mustChannel(t, db, ws.ID, "tg", "telegram")
	posts := []herald.Post{mkPost("a", 2, t0.Add(time.Hour), "A", "tg"), mkPost("b", 3, t0.Add(2*time.Hour), "B", "tg")}
	mustApply(t, db, ws.ID, "dec", posts)
	if _, err := db.DeletePlan(ctx, ws.ID, "dec"); err != nil {
		t.Fatal(err)
	}
	id := deliveryIDs(t, db, ws.ID)[[2]string{"a", "tg"}]
	before := snapshot(t, db)
	between(t, func(tx *sqlx.Tx) error {
		_, err := exec(ctx, tx, `UPDATE deliveries SET status = 'scheduled' WHERE id = ?`, id)
		return err
	})
	_, err := db.ApplyPlan(ctx, ws.ID, herald.Plan{Key: "dec", Title: "Plan dec", Timezone: "UTC"}, posts, false)
	wantCode(t, err, herald.ECONFLICT)
	if !strings.Contains(err.Error(), "a delivery of the deleted plan changed") {
		t.Errorf("error %q", err)
	}
	if after := snapshot(t, db); after != before {
		t.Fatalf("a failed revive changed the database:\n%s\n---\n%s", before, after)
	}
}

// The ids the write phase reserves continue the tables' AUTOINCREMENT
// sequences: an id is never given twice, even after its row is gone, and
// rows inserted without an id afterwards come after them.
func TestReservedIDsNeverReused(t *testing.T) {
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "acme")
	mustChannel(t, db, ws.ID, "tg", "telegram")
	mustApply(t, db, ws.ID, "p", []herald.Post{mkPost("a", 2, t0, "A", "tg"), mkPost("b", 3, t0, "B", "tg")})
	var maxPost, maxDelivery int64
	if err := db.w.Get(&maxPost, `SELECT MAX(id) FROM posts`); err != nil {
		t.Fatal(err)
	}
	if err := db.w.Get(&maxDelivery, `SELECT MAX(id) FROM deliveries`); err != nil {
		t.Fatal(err)
	}
	// The newest rows go (no code path deletes them; a restore or an
	// operator might): their ids stay used.
	if _, err := exec(ctx, db.w, `DELETE FROM deliveries WHERE id = ?`, maxDelivery); err != nil {
		t.Fatal(err)
	}
	if _, err := exec(ctx, db.w, `DELETE FROM posts WHERE id = ?`, maxPost); err != nil {
		t.Fatal(err)
	}
	mustApply(t, db, ws.ID, "q", []herald.Post{mkPost("c", 2, t0, "C", "tg")})
	ids := deliveryIDs(t, db, ws.ID)
	if id := ids[[2]string{"c", "tg"}]; id != maxDelivery+1 {
		t.Fatalf("new delivery id %d, want %d (after the deleted %d)", id, maxDelivery+1, maxDelivery)
	}
	var postID int64
	if err := db.w.Get(&postID, `SELECT id FROM posts WHERE key = 'c'`); err != nil || postID != maxPost+1 {
		t.Fatalf("new post id %d (%v), want %d", postID, err, maxPost+1)
	}
	// A row inserted the ordinary way takes the id after the reserved ones.
	var next int64
	if err := get(ctx, db.w, &next, `INSERT INTO posts (workspace_id, plan_id, key, row_num, due_at, hash, created_at, updated_at)
		SELECT workspace_id, plan_id, 'z', 9, 0, '', 0, 0 FROM posts WHERE id = ? RETURNING id`, postID); err != nil || next != postID+1 {
		t.Fatalf("ordinary insert got id %d (%v), want %d", next, err, postID+1)
	}
	checkIdempotencyKeys(t, db)
}

// A plan larger than one write batch: every row and delivery is created,
// in row order, each delivery with its own idempotency key; re-applied, all
// are unchanged.
func TestApplyPlanManyBatches(t *testing.T) {
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "acme")
	mustChannel(t, db, ws.ID, "tg", "telegram")
	mustChannel(t, db, ws.ID, "masto", "mastodon")
	var posts []herald.Post
	n := 2*writeBatch + 7
	for i := range n {
		chs := []string{"tg"}
		if i%3 == 0 {
			chs = append(chs, "masto", "tg") // a repeated channel counts once
		}
		posts = append(posts, mkPost(fmt.Sprintf("r%04d", i), i+2, t0.Add(time.Duration(i)*time.Hour), fmt.Sprintf("text %d", i), chs...))
	}
	res := mustApply(t, db, ws.ID, "big", posts)
	if res.Created != n {
		t.Fatalf("created %d, want %d", res.Created, n)
	}
	var rows []struct {
		Key   string `db:"key"`
		Row   int    `db:"row_num"`
		Count int    `db:"n"`
	}
	if err := db.w.Select(&rows, `SELECT p.key, p.row_num, COUNT(d.id) AS n FROM posts p LEFT JOIN deliveries d ON d.post_id = p.id
		GROUP BY p.id ORDER BY p.id`); err != nil {
		t.Fatal(err)
	}
	if len(rows) != n {
		t.Fatalf("%d posts, want %d", len(rows), n)
	}
	for i, r := range rows {
		want := 1
		if i%3 == 0 {
			want = 2
		}
		if r.Key != posts[i].Key || r.Row != posts[i].Row || r.Count != want {
			t.Fatalf("post %d: %+v, want %s row %d with %d deliveries", i, r, posts[i].Key, posts[i].Row, want)
		}
	}
	checkIdempotencyKeys(t, db)
	if res := mustApply(t, db, ws.ID, "big", posts); res.Unchanged != n {
		t.Fatalf("re-apply: %d unchanged, want %d", res.Unchanged, n)
	}
}

// unpublished is unpublishedIn, read in Go.
func TestUnpublishedIsUnpublishedIn(t *testing.T) {
	for _, s := range herald.Statuses {
		if got, want := unpublished(string(s)), strings.Contains(unpublishedIn, "'"+string(s)+"'"); got != want {
			t.Errorf("unpublished(%s) = %v, unpublishedIn says %v", s, got, want)
		}
	}
}

// Deliveries of runs of created rows that share their channels are made
// from their posts in SQL (insertRun); the database ends exactly as with
// multi-row INSERTs alone: the same ids in row order, due times and keys.
func TestApplyPlanDeliveryRuns(t *testing.T) {
	uploads := func() [][]herald.Post {
		var first []herald.Post
		add := func(n int, next bool, chs ...string) {
			for range n {
				i := len(first)
				p := mkPost(fmt.Sprintf("r%03d", i), i+2, t0.Add(time.Duration(i)*time.Minute), fmt.Sprintf("text %d", i), chs...)
				if next {
					p = nextPost(p.Key, p.Row, p.Text, chs...)
				}
				first = append(first, p)
			}
		}
		add(70, false, "tg")
		add(1, true, "s")
		add(65, false, "masto", "tg")
		add(3, false, "tg")
		add(66, false, "tg", "tg", "masto")
		add(2, true, "s")
		add(64, false, "tg")
		second := append([]herald.Post(nil), first...)
		for i := 0; i < 40; i++ {
			second[i].Channels = []string{"tg", "masto"} // updated: a delivery added
		}
		for i := range 100 {
			n := len(second)
			second = append(second, mkPost(fmt.Sprintf("n%03d", i), n+2, t0.Add(time.Duration(n)*time.Minute), "new", "masto"))
		}
		return [][]herald.Post{first, second}
	}
	run := func(min int) *DB {
		minRun = min
		defer func() { minRun = 64 }()
		db := MustOpenDB(t)
		ws := mustWorkspace(t, db, "acme")
		mustChannel(t, db, ws.ID, "tg", "telegram")
		mustChannel(t, db, ws.ID, "masto", "mastodon")
		slotChannelFor(t, db, ws.ID, "s", "UTC", "mon 10:00", "wed 10:00", "fri 10:00")
		for _, posts := range uploads() {
			applyPlan(t, db, ws.ID, herald.Plan{Key: "p"}, posts)
		}
		checkIdempotencyKeys(t, db)
		return db
	}
	dump := func(db *DB) string {
		var b strings.Builder
		for _, line := range strings.Split(snapshot(t, db), "\n") {
			if !strings.HasPrefix(line, "channels ") { // sealed credentials differ
				b.WriteString(line + "\n")
			}
		}
		return b.String()
	}
	values, runs := dump(run(1<<30)), dump(run(1))
	if values != runs {
		t.Fatalf("with runs:\n%s\nwithout:\n%s", runs, values)
	}
	if db := run(64); dump(db) != values {
		t.Fatal("with the default runs the database differs")
	}
}
