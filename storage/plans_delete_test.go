package storage

import (
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// An upload under a deleted plan's key revives it: the rows it had are
// diffed against, so a published row is not published again, a row still to
// come is scheduled again, a dropped row stays cancelled and a new row is
// created. A dry run of it changes nothing.
func TestReuploadRevivesDeletedPlan(t *testing.T) {
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "acme")
	mustChannel(t, db, ws.ID, "tg", "telegram")
	a, b, c := mkPost("a", 2, t0, "A", "tg"), mkPost("b", 3, t0.Add(time.Hour), "B", "tg"), mkPost("c", 4, t0.Add(2*time.Hour), "C", "tg")
	mustApply(t, db, ws.ID, "dec", []herald.Post{a, b, c})
	if jobs := publish(t, db, t0); len(jobs) != 1 {
		t.Fatalf("published %d, want a", len(jobs))
	}
	ids := deliveryIDs(t, db, ws.ID)
	if n, err := db.DeletePlan(ctx, ws.ID, "dec"); err != nil || n != 2 {
		t.Fatalf("delete: %d %v", n, err)
	}

	d := mkPost("d", 4, t0.Add(3*time.Hour), "D", "tg")
	clockOf(db).Set(t0.Add(30 * time.Minute))
	dry, err := db.ApplyPlan(ctx, ws.ID, herald.Plan{Key: "dec", Timezone: "UTC"}, []herald.Post{a, b, d}, true)
	if err != nil || dry.Unchanged != 2 || dry.Cancelled != 1 || dry.Created != 1 {
		t.Fatalf("dry run: %+v %v", dry, err)
	}
	if p, _ := db.Plan(ctx, ws.ID, "dec"); p.DeletedAt == nil || statusOf(t, db, ids[[2]string{"b", "tg"}]) != herald.StatusCancelled {
		t.Fatal("a dry run revived the plan")
	}

	res := mustApply(t, db, ws.ID, "dec", []herald.Post{a, b, d})
	got := map[string]string{}
	for _, r := range res.Rows {
		got[r.Key] = r.Action + ": " + r.Message
	}
	if res.Unchanged != 2 || res.Cancelled != 1 || res.Created != 1 || res.Conflicts != 0 ||
		!strings.HasPrefix(got["a"], "unchanged: restored with the deleted plan") || !strings.HasPrefix(got["c"], "cancelled") {
		t.Fatalf("revive: %+v", got)
	}
	if p, _ := db.Plan(ctx, ws.ID, "dec"); p.DeletedAt != nil {
		t.Fatalf("the plan is still deleted: %+v", p)
	}
	for key, want := range map[string]herald.DeliveryStatus{"a": herald.StatusPublished, "b": herald.StatusScheduled, "c": herald.StatusCancelled} {
		if s := statusOf(t, db, ids[[2]string{key, "tg"}]); s != want {
			t.Errorf("%s after the revive: %s, want %s", key, s, want)
		}
	}
	rep, _ := db.PlanReport(ctx, ws.ID, "dec")
	var keys []string
	for _, r := range rep {
		keys = append(keys, r.Key)
	}
	if strings.Join(keys, " ") != "a b d" {
		t.Errorf("report rows %v, want a b d", keys)
	}
	// a is never published again; b goes out at its time.
	if jobs := publish(t, db, t0.Add(time.Hour)); len(jobs) != 1 || jobs[0].Delivery.PostKey != "b" {
		t.Fatalf("claimed after the revive: %+v", jobs)
	}
	// An edit of the published row is a conflict, as in any re-upload.
	a.Text = "A, edited"
	if res := mustApply(t, db, ws.ID, "dec", []herald.Post{a, b, d}); res.Conflicts != 1 {
		t.Errorf("edit of a published row: %+v", res)
	}
}

// A revived "next free slot" row whose slot another plan took meanwhile is
// placed in the next free one.
func TestReviveReplacesTakenSlot(t *testing.T) {
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "acme")
	slotChannelFor(t, db, ws.ID, "s", "", "tue 12:00", "tue 13:00") // t0 is a Tuesday, 11:00 Berlin
	applyPlan(t, db, ws.ID, herald.Plan{Key: "a"}, []herald.Post{nextPost("n", 2, "N", "s")})
	if _, err := db.DeletePlan(ctx, ws.ID, "a"); err != nil {
		t.Fatal(err)
	}
	applyPlan(t, db, ws.ID, herald.Plan{Key: "b"}, []herald.Post{nextPost("m", 2, "M", "s")})
	res := applyPlan(t, db, ws.ID, herald.Plan{Key: "a"}, []herald.Post{nextPost("n", 2, "N", "s")})
	if res.Updated != 1 {
		t.Fatalf("revive: %+v", res)
	}
	if got, want := liveSlots(t, db, ws.ID), "a/n@s=12-01T12:00 b/m@s=12-01T11:00"; got != want {
		t.Errorf("slots %s, want %s", got, want)
	}
}

// Reviving a deleted plan brings back only what the deletion cancelled: a
// delivery an operator cancelled before stays cancelled.
func TestReviveKeepsOperatorCancels(t *testing.T) {
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "acme")
	mustChannel(t, db, ws.ID, "tg", "telegram")
	posts := []herald.Post{mkPost("a", 2, t0.Add(time.Hour), "A", "tg"), mkPost("b", 3, t0.Add(2*time.Hour), "B", "tg")}
	mustApply(t, db, ws.ID, "dec", posts)
	ids := deliveryIDs(t, db, ws.ID)
	if _, err := db.CancelDelivery(ctx, ws.ID, ids[[2]string{"a", "tg"}]); err != nil {
		t.Fatal(err)
	}
	if _, err := db.DeletePlan(ctx, ws.ID, "dec"); err != nil {
		t.Fatal(err)
	}
	mustApply(t, db, ws.ID, "dec", posts)
	for key, want := range map[string]herald.DeliveryStatus{"a": herald.StatusCancelled, "b": herald.StatusScheduled} {
		if s := statusOf(t, db, ids[[2]string{key, "tg"}]); s != want {
			t.Errorf("%s after the revive: %s, want %s", key, s, want)
		}
	}
}
