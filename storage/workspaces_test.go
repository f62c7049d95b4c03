package storage

import (
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

func TestWorkspaces(t *testing.T) {
	db := MustOpenDB(t)
	for _, s := range []string{"charlie", "alpha", "bravo"} {
		mustWorkspace(t, db, s)
	}
	wantCode(t, db.CreateWorkspace(ctx, &herald.Workspace{Slug: "alpha", Name: "x", Timezone: "UTC"}), herald.ECONFLICT)

	ws, err := db.Workspace(ctx, "bravo")
	if err != nil {
		t.Fatal(err)
	}
	if ws.Name != "Brand bravo" || ws.Timezone != "Europe/Berlin" || !ws.CreatedAt.Equal(t0) || ws.Lateness() != herald.DefaultMaxLateness {
		t.Fatalf("workspace %+v", ws)
	}
	_, err = db.Workspace(ctx, "nope")
	wantCode(t, err, herald.ENOTFOUND)

	page, err := db.ListWorkspaces(ctx, "", 2)
	if err != nil || len(page) != 2 || page[0].Slug != "alpha" || page[1].Slug != "bravo" {
		t.Fatalf("page 1: %v %v", page, err)
	}
	page, err = db.ListWorkspaces(ctx, "bravo", 2)
	if err != nil || len(page) != 1 || page[0].Slug != "charlie" {
		t.Fatalf("page 2: %v %v", page, err)
	}

	clockOf(db).Set(t0.Add(time.Minute))
	ws.Name, ws.Timezone, ws.MaxLateness = "Bravo GmbH", "UTC", herald.Duration(30*time.Minute)
	if err := db.UpdateWorkspace(ctx, ws); err != nil {
		t.Fatal(err)
	}
	got, _ := db.Workspace(ctx, "bravo")
	if got.Name != "Bravo GmbH" || got.Timezone != "UTC" || got.Lateness() != 30*time.Minute || !got.UpdatedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("after update %+v", got)
	}
	wantCode(t, db.UpdateWorkspace(ctx, &herald.Workspace{ID: 999, Slug: "x"}), herald.ENOTFOUND)
}

func TestDeleteWorkspace(t *testing.T) {
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "acme")
	other := mustWorkspace(t, db, "other")
	mustChannel(t, db, ws.ID, "tg", "telegram")
	mustChannel(t, db, other.ID, "tg", "telegram")
	mustApply(t, db, ws.ID, "p", []herald.Post{mkPost("a", 2, t0, "A", "tg")})
	mustApply(t, db, other.ID, "p", []herald.Post{mkPost("a", 2, t0.Add(time.Hour), "A", "tg")})
	jobs, err := db.ClaimDue(ctx, "w1", t0, time.Minute, 10)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("claim: %v %v", jobs, err)
	}
	wantCode(t, db.DeleteWorkspace(ctx, ws.ID), herald.ECONFLICT)
	if err := db.Complete(ctx, "w1", jobs[0], herald.Result{Outcome: herald.OutcomeFailed, Reason: "no"}, t0, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteWorkspace(ctx, ws.ID); err != nil {
		t.Fatal(err)
	}
	wantCode(t, db.DeleteWorkspace(ctx, ws.ID), herald.ENOTFOUND)
	_, err = db.Workspace(ctx, "acme")
	wantCode(t, err, herald.ENOTFOUND)
	for _, table := range []string{"channels", "plans", "posts", "deliveries"} {
		var n int
		if err := get(ctx, db.w, &n, `SELECT COUNT(*) FROM `+table+` WHERE workspace_id = ?`, ws.ID); err != nil || n != 0 {
			t.Errorf("%s left: %d %v", table, n, err)
		}
		if err := get(ctx, db.w, &n, `SELECT COUNT(*) FROM `+table+` WHERE workspace_id = ?`, other.ID); err != nil || n != 1 {
			t.Errorf("other workspace's %s: %d %v", table, n, err)
		}
	}
	var n int
	if err := get(ctx, db.w, &n, `SELECT COUNT(*) FROM attempts`); err != nil || n != 0 {
		t.Errorf("attempts left: %d %v", n, err)
	}
}
