package storage

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

func rowActions(res *herald.PlanResult) string {
	var parts []string
	for _, r := range res.Rows {
		row := fmt.Sprint(r.Row)
		if r.WasRow > 0 {
			row += fmt.Sprintf("(was %d)", r.WasRow)
		}
		parts = append(parts, fmt.Sprintf("%s:%s:%s", r.Key, row, r.Action))
	}
	return strings.Join(parts, " ")
}

// planV1 and planV2 are the re-upload of "What a user can do" 3: rows d and e
// get published in between.
func planV1() []herald.Post {
	return []herald.Post{
		mkPost("a", 2, t0.Add(1*time.Hour), "A", "tg"),
		mkPost("b", 3, t0.Add(2*time.Hour), "B", "tg", "masto"),
		mkPost("c", 4, t0.Add(3*time.Hour), "C", "tg"),
		mkPost("d", 5, t0, "D", "tg"),
		mkPost("e", 6, t0, "E", "masto"),
	}
}

func planV2() []herald.Post {
	return []herald.Post{
		mkPost("a", 3, t0.Add(1*time.Hour), "A", "tg"),           // moved down a row: unchanged
		mkPost("b", 4, t0.Add(5*time.Hour), "B edited", "masto"), // updated, tg dropped
		mkPost("d", 5, t0, "D edited", "tg"),                     // published: conflict
		mkPost("f", 2, t0.Add(4*time.Hour), "F", "tg"),           // new
	} // c and e removed; e is published
}

func setupPublished(t *testing.T) (*DB, *herald.Workspace) {
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "acme")
	mustChannel(t, db, ws.ID, "tg", "telegram")
	mustChannel(t, db, ws.ID, "masto", "mastodon")
	res := mustApply(t, db, ws.ID, "2026-12", planV1())
	if got := rowActions(res); got != "a:2:created b:3:created c:4:created d:5:created e:6:created" || res.Created != 5 {
		t.Fatalf("first apply: %s (%+v)", got, res)
	}
	if jobs := publish(t, db, t0); len(jobs) != 2 { // d on tg, e on masto
		t.Fatalf("published %d, want 2", len(jobs))
	}
	return db, ws
}

func TestApplyPlanDiff(t *testing.T) {
	db, ws := setupPublished(t)
	before := deliveryIDs(t, db, ws.ID)
	var oldKey string
	get(ctx, db.w, &oldKey, `SELECT idempotency_key FROM deliveries WHERE id = ?`, before[[2]string{"b", "masto"}])

	again := mustApply(t, db, ws.ID, "2026-12", planV1())
	if again.Unchanged != 5 || again.Created+again.Updated+again.Cancelled+again.Conflicts != 0 {
		t.Fatalf("same plan again: %+v", again)
	}

	res := mustApply(t, db, ws.ID, "2026-12", planV2())
	// A cancelled row is no longer in the file: row 0, and where it was (c's 4
	// is b's now).
	want := "a:3:unchanged b:4:updated d:5:conflict f:2:created c:0(was 4):cancelled e:0(was 6):cancelled"
	if got := rowActions(res); got != want {
		t.Fatalf("rows = %s\nwant   %s", got, want)
	}
	if res.Plan != "2026-12" || res.Created != 1 || res.Updated != 1 || res.Unchanged != 1 || res.Cancelled != 2 || res.Conflicts != 1 || res.DryRun {
		t.Fatalf("counts %+v", res)
	}
	d := res.Rows[2]
	if !strings.Contains(d.Message, "tg") || !strings.Contains(d.Message, "not re-published") {
		t.Fatalf("conflict message %q", d.Message)
	}
	if e := res.Rows[5]; !strings.Contains(e.Message, "stays published on masto") {
		t.Fatalf("cancelled message %q", e.Message)
	}

	after := deliveryIDs(t, db, ws.ID)
	wantStatus := map[[2]string]herald.DeliveryStatus{
		{"a", "tg"}: herald.StatusScheduled, {"b", "tg"}: herald.StatusCancelled, {"b", "masto"}: herald.StatusScheduled,
		{"c", "tg"}: herald.StatusCancelled, {"d", "tg"}: herald.StatusPublished, {"e", "masto"}: herald.StatusPublished,
		{"f", "tg"}: herald.StatusScheduled,
	}
	for k, s := range wantStatus {
		if got := statusOf(t, db, after[k]); got != s {
			t.Errorf("%v: %s, want %s", k, got, s)
		}
	}
	// b's kept delivery: same id, new due time, new idempotency key.
	bm, err := db.Delivery(ctx, ws.ID, after[[2]string{"b", "masto"}])
	if err != nil {
		t.Fatal(err)
	}
	if bm.ID != before[[2]string{"b", "masto"}] || !bm.DueAt.Equal(t0.Add(5*time.Hour)) || !bm.NextAttemptAt.Equal(bm.DueAt) ||
		bm.IdempotencyKey == oldKey || !strings.HasPrefix(bm.IdempotencyKey, fmt.Sprintf("herald-%d-", bm.ID)) || bm.Row != 4 {
		t.Fatalf("b on masto: %+v (old key %s)", bm, oldKey)
	}
	// The conflicting row kept its content and row.
	entries, _ := db.Calendar(ctx, ws.ID, herald.CalendarFilter{Status: herald.StatusPublished})
	texts := map[string]string{}
	for _, e := range entries {
		texts[e.Key] = e.Text
	}
	if texts["d"] != "D" || texts["e"] != "E" {
		t.Fatalf("published rows changed: %v", texts)
	}
	// An unchanged row that moved has its new row number.
	if a, _ := db.Delivery(ctx, ws.ID, after[[2]string{"a", "tg"}]); a.Row != 3 {
		t.Fatalf("row a is on row %d, want 3", a.Row)
	}
	// Removed rows are not listed again, and a removed key that comes back is new.
	v3 := append(planV2(), mkPost("c", 6, t0.Add(3*time.Hour), "C", "tg"))
	v3[1] = mkPost("b", 4, t0.Add(5*time.Hour), "B edited", "masto", "tg") // tg back: the cancelled delivery revives
	v3[3] = mkPost("f", 2, t0.Add(4*time.Hour), "F", "tg", "masto")        // a channel added
	res = mustApply(t, db, ws.ID, "2026-12", v3)
	if got := rowActions(res); got != "a:3:unchanged b:4:updated d:5:conflict f:2:updated c:6:created" {
		t.Fatalf("third apply: %s", got)
	}
	ids := deliveryIDs(t, db, ws.ID)
	if ids[[2]string{"b", "tg"}] != before[[2]string{"b", "tg"}] || statusOf(t, db, ids[[2]string{"b", "tg"}]) != herald.StatusScheduled {
		t.Fatal("channel added back to a row: its cancelled delivery must be scheduled again")
	}
	if ids[[2]string{"c", "tg"}] == before[[2]string{"c", "tg"}] {
		t.Fatal("a removed row that reappears must be created anew")
	}
	if id, ok := ids[[2]string{"f", "masto"}]; !ok || statusOf(t, db, id) != herald.StatusScheduled {
		t.Fatal("a channel added to a row must get a scheduled delivery")
	}
}

// TestApplyPlanConflictStatuses: a row is left alone while any of its
// deliveries may be on the platform: published, publishing or unknown.
func TestApplyPlanConflictStatuses(t *testing.T) {
	for _, st := range []herald.DeliveryStatus{herald.StatusPublished, herald.StatusPublishing, herald.StatusUnknown} {
		db := MustOpenDB(t)
		ws := mustWorkspace(t, db, "acme")
		mustChannel(t, db, ws.ID, "tg", "telegram")
		mustChannel(t, db, ws.ID, "masto", "mastodon")
		mustApply(t, db, ws.ID, "p", []herald.Post{mkPost("a", 2, t0, "A", "tg", "masto")})
		ids := deliveryIDs(t, db, ws.ID)
		if _, err := exec(ctx, db.w, `UPDATE deliveries SET status = ? WHERE id = ?`, string(st), ids[[2]string{"a", "masto"}]); err != nil {
			t.Fatal(err)
		}
		res := mustApply(t, db, ws.ID, "p", []herald.Post{mkPost("a", 2, t0.Add(time.Hour), "A edited", "tg", "masto")})
		if res.Conflicts != 1 || !strings.Contains(res.Rows[0].Message, "masto") {
			t.Fatalf("%s: %+v", st, res)
		}
		if d, _ := db.Delivery(ctx, ws.ID, ids[[2]string{"a", "tg"}]); !d.DueAt.Equal(t0) {
			t.Fatalf("%s: the other channel's delivery was changed: %+v", st, d)
		}
	}
}

// snapshot dumps every table.
func snapshot(t *testing.T, db *DB) string {
	var b strings.Builder
	for _, table := range []string{"workspaces", "channels", "plans", "posts", "deliveries", "attempts"} {
		rows, err := db.w.QueryxContext(ctx, `SELECT * FROM `+table+` ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			vals, err := rows.SliceScan()
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%s %v\n", table, vals)
		}
		rows.Close()
	}
	return b.String()
}

func TestApplyPlanDryRun(t *testing.T) {
	db, ws := setupPublished(t)
	clockOf(db).Set(t0.Add(time.Minute))
	before := snapshot(t, db)
	plan := herald.Plan{Key: "2026-12", Title: "December (new title)", Timezone: "Europe/Moscow"}
	dry, err := db.ApplyPlan(ctx, ws.ID, plan, planV2(), true)
	if err != nil {
		t.Fatal(err)
	}
	if after := snapshot(t, db); after != before {
		t.Fatalf("dry run changed the database:\n%s\n---\n%s", before, after)
	}
	if !dry.DryRun || dry.Updated != 1 || dry.Created != 1 || dry.Cancelled != 2 || dry.Conflicts != 1 {
		t.Fatalf("dry run answer %+v", dry)
	}
	real, err := db.ApplyPlan(ctx, ws.ID, plan, planV2(), false)
	wantAsDryRun(t, db, before, dry, real, err)
	p, err := db.Plan(ctx, ws.ID, "2026-12")
	if err != nil || p.Title != "December (new title)" || p.Timezone != "Europe/Moscow" {
		t.Fatalf("plan after apply: %+v %v", p, err)
	}
}

func TestApplyPlanErrors(t *testing.T) {
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "acme")
	mustChannel(t, db, ws.ID, "tg", "telegram")
	plan := herald.Plan{Key: "p"}
	_, err := db.ApplyPlan(ctx, 999, plan, []herald.Post{mkPost("a", 2, t0, "A", "tg")}, false)
	wantCode(t, err, herald.ENOTFOUND)
	_, err = db.ApplyPlan(ctx, ws.ID, plan, []herald.Post{mkPost("a", 2, t0, "A", "tg"), mkPost("b", 3, t0, "B", "nope", "tg", "gone")}, false)
	wantCode(t, err, herald.EVALIDATION)
	if ps := herald.ErrorDetails(err); len(ps) != 2 || ps[0].Row != 3 || ps[0].Column != "channels" {
		t.Fatalf("problems %+v", ps)
	}
	_, err = db.ApplyPlan(ctx, ws.ID, plan, []herald.Post{mkPost("a", 2, t0, "A", "tg"), mkPost("a", 3, t0, "B", "tg")}, false)
	wantCode(t, err, herald.EINVALID)
	_, err = db.ApplyPlan(ctx, ws.ID, herald.Plan{}, nil, false)
	wantCode(t, err, herald.EINVALID)
	var n int
	if err := get(ctx, db.w, &n, `SELECT COUNT(*) FROM posts`); err != nil || n != 0 {
		t.Fatalf("a failed apply left %d posts (%v)", n, err)
	}
}
