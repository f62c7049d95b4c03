package storage

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

func calendarSetup(t *testing.T) (*DB, *herald.Workspace) {
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "acme")
	mustChannel(t, db, ws.ID, "tg", "telegram")
	mustChannel(t, db, ws.ID, "masto", "mastodon")
	tips := func(p herald.Post) herald.Post { p.Rubric, p.Tags = "tips", []string{"launch"}; return p }
	mustApply(t, db, ws.ID, "dec", []herald.Post{
		tips(mkPost("d1", 2, t0, "one", "tg", "masto")),
		mkPost("d2", 3, t0.Add(24*time.Hour), "two", "tg"),
		tips(mkPost("d3", 4, t0.Add(48*time.Hour), "three", "masto")),
	})
	j1 := mkPost("j1", 2, t0.Add(24*time.Hour), "jan", "masto")
	j1.Rubric = "case"
	mustApply(t, db, ws.ID, "jan", []herald.Post{j1})
	publish(t, db, t0) // d1 on both channels
	return db, ws
}

func entryKeys(es []herald.CalendarEntry) string {
	var ks []string
	for _, e := range es {
		ks = append(ks, e.Key+"@"+e.Channel)
	}
	return strings.Join(ks, " ")
}

func TestCalendarFiltersAndCursor(t *testing.T) {
	db, ws := calendarSetup(t)
	all, err := db.Calendar(ctx, ws.ID, herald.CalendarFilter{})
	if err != nil {
		t.Fatal(err)
	}
	// Ordered by (due_at, delivery id): d1 was created tg first, then masto; d2 (id 3) before j1 (id 5).
	if got := entryKeys(all); got != "d1@tg d1@masto d2@tg j1@masto d3@masto" {
		t.Fatalf("all: %s", got)
	}
	e := all[0]
	if e.Plan != "dec" || e.Row != 2 || e.Platform != "telegram" || e.Status != herald.StatusPublished || e.Text != "one" ||
		e.Rubric != "tips" || len(e.Tags) != 1 || e.RemoteID != "rd1" || e.URL == "" || e.PublishedAt == nil || !e.DueAt.Equal(t0) {
		t.Fatalf("entry %+v", e)
	}

	cases := []struct {
		f    herald.CalendarFilter
		want string
	}{
		{herald.CalendarFilter{From: t0.Add(time.Hour), To: t0.Add(48 * time.Hour)}, "d2@tg j1@masto"},
		{herald.CalendarFilter{Channel: "masto"}, "d1@masto j1@masto d3@masto"},
		{herald.CalendarFilter{Status: herald.StatusScheduled}, "d2@tg j1@masto d3@masto"},
		{herald.CalendarFilter{Rubric: "tips", Channel: "masto"}, "d1@masto d3@masto"},
		{herald.CalendarFilter{Rubric: "case"}, "j1@masto"},
		{herald.CalendarFilter{Limit: 2}, "d1@tg d1@masto"},
		{herald.CalendarFilter{AfterDue: all[1].DueAt, AfterID: all[1].DeliveryID, Limit: 2}, "d2@tg j1@masto"},
		{herald.CalendarFilter{AfterDue: all[3].DueAt, AfterID: all[3].DeliveryID}, "d3@masto"},
		{herald.CalendarFilter{AfterDue: all[4].DueAt, AfterID: all[4].DeliveryID}, ""},
	}
	for i, c := range cases {
		got, err := db.Calendar(ctx, ws.ID, c.f)
		if err != nil {
			t.Fatal(err)
		}
		if s := entryKeys(got); s != c.want {
			t.Errorf("case %d: %s, want %s", i, s, c.want)
		}
	}
	// Walking the whole calendar one entry at a time visits each once.
	var walked []herald.CalendarEntry
	f := herald.CalendarFilter{Limit: 1}
	for range 10 {
		page, _ := db.Calendar(ctx, ws.ID, f)
		if len(page) == 0 {
			break
		}
		walked = append(walked, page...)
		f.AfterDue, f.AfterID = page[0].DueAt, page[0].DeliveryID
	}
	if entryKeys(walked) != entryKeys(all) {
		t.Fatalf("walked %s", entryKeys(walked))
	}
	_, err = db.Calendar(ctx, ws.ID, herald.CalendarFilter{Status: "nope"})
	wantCode(t, err, herald.EINVALID)

	// Removed rows leave the calendar, except what was published.
	mustApply(t, db, ws.ID, "dec", nil)
	left, _ := db.Calendar(ctx, ws.ID, herald.CalendarFilter{})
	if got := entryKeys(left); got != "d1@tg d1@masto j1@masto" {
		t.Fatalf("after removing dec's rows: %s", got)
	}
}

func TestPlanReportAndList(t *testing.T) {
	db, ws := calendarSetup(t)
	jobs, _ := db.ClaimDue(ctx, "w1", t0.Add(24*time.Hour), time.Minute, 10) // d2 on tg, j1 on masto
	for _, j := range jobs {
		res := herald.Result{Outcome: herald.OutcomeRetry, Reason: "HTTP 502 from " + j.Channel.Name}
		if err := db.Complete(ctx, "w1", j, res, t0.Add(24*time.Hour), t0.Add(25*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := db.PlanReport(ctx, ws.ID, "dec")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rep {
		got = append(got, fmt.Sprintf("%d:%s:%s:%s:%d:%s", r.Row, r.Key, r.Channel, r.Status, r.Attempts, r.Error))
	}
	want := "2:d1:masto:published:1: 2:d1:tg:published:1: 3:d2:tg:retrying:1:HTTP 502 from tg 4:d3:masto:scheduled:0:"
	if s := strings.Join(got, " "); s != want {
		t.Fatalf("report\n%s\nwant\n%s", s, want)
	}
	r := rep[1]
	if r.Platform != "telegram" || r.RemoteID != "rd1" || r.URL != "https://x/d1" || r.PublishedAt == nil || !r.DueAt.Equal(t0) || r.DeliveryID == 0 {
		t.Fatalf("row %+v", r)
	}
	_, err = db.PlanReport(ctx, ws.ID, "nope")
	wantCode(t, err, herald.ENOTFOUND)

	plans, err := db.ListPlans(ctx, ws.ID, "", 10)
	if err != nil || len(plans) != 2 || plans[0].Key != "dec" || plans[1].Key != "jan" {
		t.Fatalf("plans %+v %v", plans, err)
	}
	dec := plans[0]
	if dec.Posts != 3 || dec.Statuses[herald.StatusPublished] != 2 || dec.Statuses[herald.StatusRetrying] != 1 ||
		dec.Statuses[herald.StatusScheduled] != 1 || dec.Title != "Plan dec" {
		t.Fatalf("dec summary %+v", dec)
	}
	if page, _ := db.ListPlans(ctx, ws.ID, "dec", 10); len(page) != 1 || page[0].Key != "jan" {
		t.Fatalf("page after dec: %+v", page)
	}

	// Deleting a plan cancels what is unpublished; the plan stays readable,
	// listed as deleted, with the rows it had. Deleting it again changes nothing.
	clockOf(db).Set(t0.Add(time.Hour))
	n, err := db.DeletePlan(ctx, ws.ID, "dec")
	if err != nil || n != 2 {
		t.Fatalf("delete plan: %d %v", n, err)
	}
	deleted := t0.Add(time.Hour)
	if p, err := db.Plan(ctx, ws.ID, "dec"); err != nil || p.DeletedAt == nil || !p.DeletedAt.Equal(deleted) {
		t.Fatalf("deleted plan: %+v %v", p, err)
	}
	clockOf(db).Set(t0.Add(2 * time.Hour))
	if n, err := db.DeletePlan(ctx, ws.ID, "dec"); err != nil || n != 0 {
		t.Fatalf("deleting a deleted plan: %d %v", n, err)
	}
	plans, err = db.ListPlans(ctx, ws.ID, "", 10)
	if err != nil || len(plans) != 2 || plans[0].DeletedAt == nil || !plans[0].DeletedAt.Equal(deleted) || plans[1].DeletedAt != nil ||
		plans[0].Posts != 3 || plans[0].Statuses[herald.StatusPublished] != 2 || plans[0].Statuses[herald.StatusCancelled] != 2 {
		t.Fatalf("plans after delete: %+v %v", plans, err)
	}
	after, err := db.PlanReport(ctx, ws.ID, "dec")
	if err != nil || len(after) != 4 || after[0].Status != herald.StatusPublished || after[1].Status != herald.StatusPublished ||
		after[2].Status != herald.StatusCancelled || after[3].Status != herald.StatusCancelled {
		t.Fatalf("report of the deleted plan: %+v %v", after, err)
	}
	if s := statusOf(t, db, rep[2].DeliveryID); s != herald.StatusCancelled {
		t.Fatalf("d2 after plan delete: %s", s)
	}
}
