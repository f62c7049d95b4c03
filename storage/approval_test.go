package storage

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

var (
	internalStep = herald.ApprovalStep{Name: "internal", Roles: []herald.Role{herald.RoleManager}}
	clientStep   = herald.ApprovalStep{Name: "client", Roles: []herald.Role{herald.RoleApprover}}
	uploader     = herald.Actor{Kind: "token", ID: "1", Name: "editor"}
	manager      = herald.Actor{Kind: "token", ID: "2", Name: "manager"}
	client       = herald.Actor{Kind: "token", ID: "3", Name: "client"}
)

// approvalWorkspace makes workspace brand with channel tg-main and the
// given approval steps.
func approvalWorkspace(t *testing.T, allowSelf bool, steps ...herald.ApprovalStep) (*DB, *herald.Workspace) {
	t.Helper()
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "brand")
	mustChannel(t, db, ws.ID, "tg-main", "telegram")
	ws.ApprovalSteps, ws.ApprovalRequired, ws.AllowSelfApproval = steps, len(steps) > 0, allowSelf
	if err := db.UpdateWorkspace(ctx, ws); err != nil {
		t.Fatal(err)
	}
	return db, ws
}

func as(a herald.Actor) context.Context { return herald.WithActor(ctx, a) }

// applyAs applies posts to plan dec as actor a.
func applyAs(t *testing.T, db *DB, wsID int64, a herald.Actor, posts ...herald.Post) *herald.PlanResult {
	t.Helper()
	res, err := db.ApplyPlan(as(a), wsID, herald.Plan{Key: "dec", Timezone: "UTC"}, posts, false)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	return res
}

func decide(t *testing.T, db *DB, wsID int64, a herald.Actor, role herald.Role, decision string, keys ...string) (*herald.DecisionResult, error) {
	t.Helper()
	return db.DecidePosts(as(a), wsID, "dec", herald.DecisionRequest{Decision: decision, Role: role, Posts: keys, Note: "looks " + decision})
}

// approvalOf reads post key's approval from the plan's report.
func approvalOf(t *testing.T, db *DB, wsID int64, key string) (herald.Approval, []herald.DeliveryStatus) {
	t.Helper()
	rows, err := db.PlanReport(ctx, wsID, "dec")
	if err != nil {
		t.Fatal(err)
	}
	var a herald.Approval
	var sts []herald.DeliveryStatus
	for _, r := range rows {
		if r.Key == key {
			a = r.Approval
			sts = append(sts, r.Status)
		}
	}
	return a, sts
}

func rowApprovals(res *herald.PlanResult) map[string]string {
	m := map[string]string{}
	for _, r := range res.Rows {
		m[r.Key] = r.Action + "/" + r.Approval
	}
	return m
}

// A two-step approval: an upload waits at the first step; the manager passes
// it, the approver passes the second and its deliveries are scheduled. Each
// role decides only the steps that name it; the decisions are recorded with
// who made them.
func TestApprovalTwoSteps(t *testing.T) {
	db, ws := approvalWorkspace(t, false, internalStep, clientStep)
	mustChannel(t, db, ws.ID, "tg-two", "telegram")
	due := t0.Add(48 * time.Hour)
	res := applyAs(t, db, ws.ID, uploader, mkPost("a", 2, due, "Hello", "tg-main", "tg-two"), mkPost("b", 3, due.Add(time.Hour), "Bye", "tg-main"))
	if got := rowApprovals(res); !reflect.DeepEqual(got, map[string]string{"a": "created/required", "b": "created/required"}) {
		t.Fatalf("rows %v", got)
	}
	a, sts := approvalOf(t, db, ws.ID, "a")
	if a.State != herald.ApprovalPending || a.Step != "internal" || a.Version != 1 || !reflect.DeepEqual(sts,
		[]herald.DeliveryStatus{herald.StatusPendingApproval, herald.StatusPendingApproval}) {
		t.Fatalf("after upload: %+v %v", a, sts)
	}
	// Nothing pending is claimed, even when due.
	if jobs, err := db.ClaimDue(ctx, "w1", due.Add(time.Minute), time.Minute, 10); err != nil || len(jobs) != 0 {
		t.Fatalf("claimed %d pending deliveries (%v)", len(jobs), err)
	}

	// The client may not pass the internal step.
	_, err := decide(t, db, ws.ID, client, herald.RoleApprover, herald.DecisionApproved)
	wantCode(t, err, herald.EFORBIDDEN)
	if !strings.Contains(herald.ErrorMessage(err), `"internal" (manager)`) {
		t.Errorf("message %q", herald.ErrorMessage(err))
	}
	_, err = decide(t, db, ws.ID, client, herald.RoleApprover, herald.DecisionApproved, "a")
	wantCode(t, err, herald.EFORBIDDEN)

	// The manager passes the internal step of every post waiting there.
	got, err := decide(t, db, ws.ID, manager, herald.RoleManager, herald.DecisionApproved)
	if err != nil {
		t.Fatal(err)
	}
	want := []herald.DecidedPost{{Key: "a", Row: 2, Version: 1, Decided: "internal", State: "pending", Step: "client"},
		{Key: "b", Row: 3, Version: 1, Decided: "internal", State: "pending", Step: "client"}}
	if !reflect.DeepEqual(got.Posts, want) || got.Scheduled != 0 {
		t.Fatalf("internal approval: %+v", got)
	}
	// The manager may not pass the client's step.
	_, err = decide(t, db, ws.ID, manager, herald.RoleManager, herald.DecisionApproved)
	wantCode(t, err, herald.EFORBIDDEN)

	// The client passes the last step of post a: its deliveries are scheduled.
	got, err = decide(t, db, ws.ID, client, herald.RoleApprover, herald.DecisionApproved, "a")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Posts) != 1 || got.Posts[0].State != herald.ApprovalApproved || got.Posts[0].Step != "" || got.Scheduled != 2 {
		t.Fatalf("client approval: %+v", got)
	}
	a, sts = approvalOf(t, db, ws.ID, "a")
	if a.State != herald.ApprovalApproved || a.Step != "" || len(a.Decisions) != 2 ||
		!reflect.DeepEqual(sts, []herald.DeliveryStatus{herald.StatusScheduled, herald.StatusScheduled}) {
		t.Fatalf("after approval: %+v %v", a, sts)
	}
	d := a.Decisions[1]
	if d.Step != "client" || d.Decision != "approved" || d.By != (herald.Decider{Kind: "token", ID: "3", Name: "client"}) ||
		d.Note != "looks approved" || d.Version != 1 || !d.At.Equal(t0) {
		t.Errorf("decision %+v", d)
	}
	// An approved post is not approved again.
	_, err = decide(t, db, ws.ID, client, herald.RoleApprover, herald.DecisionApproved, "a")
	wantCode(t, err, herald.ECONFLICT)
	_, err = decide(t, db, ws.ID, client, herald.RoleApprover, herald.DecisionApproved, "nope")
	wantCode(t, err, herald.ENOTFOUND)
	// The release is an event of each delivery, by the client.
	ids := deliveryIDs(t, db, ws.ID)
	evs, err := db.DeliveryEvents(ctx, ws.ID, ids[[2]string{"a", "tg-main"}])
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[0].To != herald.StatusPendingApproval || evs[0].Actor != "token:1" ||
		evs[1].From != herald.StatusPendingApproval || evs[1].To != herald.StatusScheduled || evs[1].Actor != "token:3" {
		t.Errorf("events %+v", evs)
	}
	// The calendar shows the approval too.
	cal, err := db.Calendar(ctx, ws.ID, herald.CalendarFilter{})
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]string{}
	for _, e := range cal {
		states[e.Key] = e.Approval.State + "@" + e.Approval.Step
	}
	if !reflect.DeepEqual(states, map[string]string{"a": "approved@", "b": "pending@client"}) {
		t.Errorf("calendar approvals %v", states)
	}
	// Published once claimed.
	if jobs := publish(t, db, due); len(jobs) != 2 {
		t.Errorf("published %d, want post a on both channels", len(jobs))
	}
}

// Nobody approves a version they uploaded, unless the workspace allows it.
func TestApprovalSelf(t *testing.T) {
	for _, allow := range []bool{false, true} {
		db, ws := approvalWorkspace(t, allow, internalStep)
		applyAs(t, db, ws.ID, manager, mkPost("a", 2, t0.Add(48*time.Hour), "Hello", "tg-main"))
		_, err := decide(t, db, ws.ID, manager, herald.RoleManager, herald.DecisionApproved)
		if !allow {
			wantCode(t, err, herald.EFORBIDDEN)
			if !strings.Contains(herald.ErrorMessage(err), "you uploaded version 1") {
				t.Errorf("message %q", herald.ErrorMessage(err))
			}
			// Another manager may.
			_, err = decide(t, db, ws.ID, herald.Actor{Kind: "token", ID: "9"}, herald.RoleManager, herald.DecisionApproved)
		}
		if err != nil {
			t.Fatalf("allow_self_approval %v: %v", allow, err)
		}
		if a, _ := approvalOf(t, db, ws.ID, "a"); a.State != herald.ApprovalApproved {
			t.Errorf("allow_self_approval %v: %+v", allow, a)
		}
	}
}

// A time-only edit keeps the approval given (and the version); an edit of
// the text resets it: a new version waiting at the first step, uploaded by
// whoever uploaded it, its deliveries held again.
func TestApprovalKeptAndReset(t *testing.T) {
	db, ws := approvalWorkspace(t, false, internalStep)
	due := t0.Add(48 * time.Hour)
	applyAs(t, db, ws.ID, uploader, mkPost("a", 2, due, "Hello", "tg-main"), mkPost("b", 3, due, "Other", "tg-main"))
	if _, err := decide(t, db, ws.ID, manager, herald.RoleManager, herald.DecisionApproved, "a"); err != nil {
		t.Fatal(err)
	}
	// Time only: kept (a stays approved and scheduled, b pending); dry run alike.
	later := mkPost("a", 2, due.Add(time.Hour), "Hello", "tg-main")
	other := mkPost("b", 3, due.Add(2*time.Hour), "Other", "tg-main")
	other.Rubric = "tips"
	dry, err := db.ApplyPlan(as(manager), ws.ID, herald.Plan{Key: "dec", Timezone: "UTC"}, []herald.Post{later, other}, true)
	if err != nil {
		t.Fatal(err)
	}
	res := applyAs(t, db, ws.ID, manager, later, other)
	for _, r := range []*herald.PlanResult{dry, res} {
		if got := rowApprovals(r); !reflect.DeepEqual(got, map[string]string{"a": "updated/kept", "b": "updated/kept"}) {
			t.Fatalf("time-only edit (dry run %v): %v", r.DryRun, got)
		}
	}
	a, sts := approvalOf(t, db, ws.ID, "a")
	if a.State != herald.ApprovalApproved || a.Version != 1 || sts[0] != herald.StatusScheduled {
		t.Fatalf("a after a time-only edit: %+v %v", a, sts)
	}
	if b, sts := approvalOf(t, db, ws.ID, "b"); b.State != herald.ApprovalPending || sts[0] != herald.StatusPendingApproval {
		t.Fatalf("b after a time-only edit: %+v %v", b, sts)
	}
	// The uploader of the version is still the uploader: the manager may approve b.
	if _, err := decide(t, db, ws.ID, manager, herald.RoleManager, herald.DecisionApproved, "b"); err != nil {
		t.Fatalf("the time-only edit made the manager b's uploader: %v", err)
	}

	// The text: reset. Version 2 by the manager, who may not approve it now.
	edited := mkPost("a", 2, due.Add(time.Hour), "Hello, edited", "tg-main")
	res = applyAs(t, db, ws.ID, manager, edited, other)
	if got := rowApprovals(res); !reflect.DeepEqual(got, map[string]string{"a": "updated/reset", "b": "unchanged/"}) {
		t.Fatalf("text edit: %v", got)
	}
	a, sts = approvalOf(t, db, ws.ID, "a")
	if a.State != herald.ApprovalPending || a.Step != "internal" || a.Version != 2 || sts[0] != herald.StatusPendingApproval || len(a.Decisions) != 1 {
		t.Fatalf("a after a text edit: %+v %v", a, sts)
	}
	_, err = decide(t, db, ws.ID, manager, herald.RoleManager, herald.DecisionApproved, "a")
	wantCode(t, err, herald.EFORBIDDEN)
	if _, err := decide(t, db, ws.ID, uploader, herald.RoleManager, herald.DecisionApproved, "a"); err != nil {
		t.Fatal(err)
	}
	if a, _ = approvalOf(t, db, ws.ID, "a"); a.State != herald.ApprovalApproved || a.Decisions[1].Version != 2 {
		t.Errorf("version 2 approved: %+v", a)
	}
	// A new channel, new media, a variant or a link are content too.
	mustChannel(t, db, ws.ID, "tg-two", "telegram")
	for _, change := range []func(p *herald.Post){
		func(p *herald.Post) { p.Channels = append(p.Channels, "tg-two") },
		func(p *herald.Post) { p.Media = []string{"https://cdn.example/1.jpg"} },
		func(p *herald.Post) { p.Variants = map[string]herald.Variant{"telegram": {Text: "TG"}} },
		func(p *herald.Post) { p.Link = "https://example.com" },
	} {
		p := edited
		change(&p)
		edited = p
		if got := rowApprovals(applyAs(t, db, ws.ID, uploader, p, other)); got["a"] != "updated/reset" {
			t.Errorf("change %+v: %v", p, got)
		}
	}
}

// A rejection needs a note; the post stays unpublished (its deliveries
// pending, never claimed), a time-only edit keeps it rejected, and an edit of
// the row starts its approval again.
func TestApprovalReject(t *testing.T) {
	db, ws := approvalWorkspace(t, false, internalStep)
	due := t0.Add(48 * time.Hour)
	applyAs(t, db, ws.ID, uploader, mkPost("a", 2, due, "Hello", "tg-main"))
	_, err := db.DecidePosts(as(manager), ws.ID, "dec", herald.DecisionRequest{Decision: herald.DecisionRejected, Role: herald.RoleManager})
	wantCode(t, err, herald.EVALIDATION)
	got, err := db.DecidePosts(as(manager), ws.ID, "dec", herald.DecisionRequest{Decision: herald.DecisionRejected, Role: herald.RoleManager,
		Note: "Wrong price"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Posts) != 1 || got.Posts[0].State != herald.ApprovalRejected || got.Posts[0].Step != "internal" {
		t.Fatalf("rejected: %+v", got)
	}
	a, sts := approvalOf(t, db, ws.ID, "a")
	if a.State != herald.ApprovalRejected || a.Decisions[0].Note != "Wrong price" || sts[0] != herald.StatusPendingApproval {
		t.Fatalf("after the rejection: %+v %v", a, sts)
	}
	if jobs, _ := db.ClaimDue(ctx, "w1", due, time.Minute, 10); len(jobs) != 0 {
		t.Fatal("a rejected post was claimed")
	}
	_, err = decide(t, db, ws.ID, manager, herald.RoleManager, herald.DecisionApproved, "a")
	wantCode(t, err, herald.ECONFLICT)
	if !strings.Contains(herald.ErrorMessage(err), "was rejected") {
		t.Errorf("message %q", herald.ErrorMessage(err))
	}
	if got := rowApprovals(applyAs(t, db, ws.ID, uploader, mkPost("a", 2, due.Add(time.Hour), "Hello", "tg-main"))); got["a"] != "updated/kept" {
		t.Fatalf("time-only edit of a rejected post: %v", got)
	}
	if a, _ := approvalOf(t, db, ws.ID, "a"); a.State != herald.ApprovalRejected {
		t.Fatalf("a time-only edit released a rejected post: %+v", a)
	}
	if got := rowApprovals(applyAs(t, db, ws.ID, uploader, mkPost("a", 2, due, "Hello, right price", "tg-main"))); got["a"] != "updated/reset" {
		t.Fatalf("edit of a rejected post: %v", got)
	}
	if a, _ := approvalOf(t, db, ws.ID, "a"); a.State != herald.ApprovalPending || a.Version != 2 {
		t.Fatalf("after the edit: %+v", a)
	}
}

// A post still waiting for approval past its lateness window is missed,
// "not approved in time", through the lifecycle (with its event); one
// approved in time is published.
func TestApprovalNotInTime(t *testing.T) {
	db, ws := approvalWorkspace(t, false, internalStep)
	due := t0.Add(time.Hour)
	applyAs(t, db, ws.ID, uploader, mkPost("late", 2, due, "Hello", "tg-main"), mkPost("ok", 3, due.Add(time.Minute), "Bye", "tg-main"))
	if _, err := decide(t, db, ws.ID, manager, herald.RoleManager, herald.DecisionApproved, "ok"); err != nil {
		t.Fatal(err)
	}
	// Within the window the approved one is claimed; the other still waits
	// (and may still be approved).
	if jobs, err := db.ClaimDue(ctx, "w1", due.Add(time.Hour), time.Minute, 10); err != nil || len(jobs) != 1 || jobs[0].Delivery.PostKey != "ok" {
		t.Fatalf("claimed %+v (%v), want post ok", jobs, err)
	}
	if _, sts := approvalOf(t, db, ws.ID, "late"); sts[0] != herald.StatusPendingApproval {
		t.Fatalf("within the window: %v", sts)
	}
	clockOf(db).Set(due.Add(herald.DefaultMaxLateness + time.Minute))
	if _, err := db.ClaimDue(ctx, "w1", due.Add(herald.DefaultMaxLateness+time.Minute), time.Minute, 10); err != nil {
		t.Fatal(err)
	}
	rows, _ := db.PlanReport(ctx, ws.ID, "dec")
	if rows[0].Key != "late" || rows[0].Status != herald.StatusMissed || !strings.HasPrefix(rows[0].Error, "not approved in time") {
		t.Fatalf("late row %+v", rows[0])
	}
	evs, _ := db.DeliveryEvents(ctx, ws.ID, rows[0].DeliveryID)
	if last := evs[len(evs)-1]; last.From != herald.StatusPendingApproval || last.To != herald.StatusMissed || last.Reason != "not approved in time" {
		t.Errorf("event %+v", last)
	}
}

// The apply warns about posts due within 24 hours that still need approval
// (or were rejected), new and old.
func TestApprovalDueSoonWarning(t *testing.T) {
	db, ws := approvalWorkspace(t, false, internalStep)
	res := applyAs(t, db, ws.ID, uploader, mkPost("soon", 2, t0.Add(3*time.Hour), "Hello", "tg-main"),
		mkPost("later", 3, t0.Add(72*time.Hour), "Bye", "tg-main"))
	wantWarnings(t, res, `2 approval_due_soon at: post soon is due 2026-12-01 13:00 UTC, within 24 hours, and still waits for approval at step "internal": it is not published until every step approves it, and past its lateness window it is missed`)
	// Unchanged, it is still said; approved, not.
	res = applyAs(t, db, ws.ID, uploader, mkPost("soon", 2, t0.Add(3*time.Hour), "Hello", "tg-main"),
		mkPost("later", 3, t0.Add(72*time.Hour), "Bye", "tg-main"))
	if len(res.Warnings) != 1 {
		t.Errorf("re-upload: %+v", res.Warnings)
	}
	if _, err := decide(t, db, ws.ID, manager, herald.RoleManager, herald.DecisionApproved, "soon"); err != nil {
		t.Fatal(err)
	}
	res = applyAs(t, db, ws.ID, uploader, mkPost("soon", 2, t0.Add(3*time.Hour), "Hello", "tg-main"))
	wantWarnings(t, res)
	// Without approval steps: no approval field, no warning, scheduled.
	db2 := MustOpenDB(t)
	ws2 := mustWorkspace(t, db2, "plain")
	mustChannel(t, db2, ws2.ID, "tg-main", "telegram")
	res = applyAs(t, db2, ws2.ID, uploader, mkPost("soon", 2, t0.Add(3*time.Hour), "Hello", "tg-main"))
	if res.Rows[0].Approval != "" || len(res.Warnings) != 0 {
		t.Errorf("no approval: %+v", res)
	}
	if a, sts := approvalOf(t, db2, ws2.ID, "soon"); a.State != herald.ApprovalNone || sts[0] != herald.StatusScheduled {
		t.Errorf("no approval: %+v %v", a, sts)
	}
}

// Deleting a plan and uploading it again brings its posts back where they
// stood: a pending one pending, an approved one scheduled.
func TestApprovalRevivedPlan(t *testing.T) {
	db, ws := approvalWorkspace(t, false, internalStep)
	due := t0.Add(48 * time.Hour)
	posts := []herald.Post{mkPost("a", 2, due, "Hello", "tg-main"), mkPost("b", 3, due, "Bye", "tg-main")}
	applyAs(t, db, ws.ID, uploader, posts...)
	if _, err := decide(t, db, ws.ID, manager, herald.RoleManager, herald.DecisionApproved, "b"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.DeletePlan(ctx, ws.ID, "dec"); err != nil {
		t.Fatal(err)
	}
	applyAs(t, db, ws.ID, uploader, posts...)
	if _, sts := approvalOf(t, db, ws.ID, "a"); sts[0] != herald.StatusPendingApproval {
		t.Errorf("pending post revived as %v", sts)
	}
	if _, sts := approvalOf(t, db, ws.ID, "b"); sts[0] != herald.StatusScheduled {
		t.Errorf("approved post revived as %v", sts)
	}
}

// A delivery missed for want of approval is not retried into publishing
// while its post still waits; once approved it may be.
func TestApprovalRetryWaitsForApproval(t *testing.T) {
	db, ws := approvalWorkspace(t, false, internalStep)
	due := t0.Add(time.Hour)
	applyAs(t, db, ws.ID, uploader, mkPost("a", 2, due, "Hello", "tg-main"))
	late := due.Add(herald.DefaultMaxLateness + time.Minute)
	clockOf(db).Set(late)
	if _, err := db.ClaimDue(ctx, "w1", late, time.Minute, 10); err != nil {
		t.Fatal(err)
	}
	id := deliveryIDs(t, db, ws.ID)[[2]string{"a", "tg-main"}]
	_, err := db.RetryDelivery(ctx, ws.ID, id)
	wantCode(t, err, herald.ECONFLICT)
	if !strings.Contains(herald.ErrorMessage(err), "still waits for approval") {
		t.Errorf("message %q", herald.ErrorMessage(err))
	}
	if _, err := decide(t, db, ws.ID, manager, herald.RoleManager, herald.DecisionApproved); err != nil {
		t.Fatal(err)
	}
	if statusOf(t, db, id) != herald.StatusMissed {
		t.Fatal("approval moved a missed delivery")
	}
	if d, err := db.RetryDelivery(ctx, ws.ID, id); err != nil || d.Status != herald.StatusScheduled {
		t.Fatalf("retry after approval: %+v %v", d, err)
	}
}

// The instance admin decides any step; an owner only those naming owners.
func TestApprovalAdminAnyStep(t *testing.T) {
	db, ws := approvalWorkspace(t, false, internalStep, clientStep)
	applyAs(t, db, ws.ID, uploader, mkPost("a", 2, t0.Add(48*time.Hour), "Hello", "tg-main"))
	owner := herald.DecisionRequest{Decision: herald.DecisionApproved, Role: herald.RoleOwner}
	_, err := db.DecidePosts(as(manager), ws.ID, "dec", owner)
	wantCode(t, err, herald.EFORBIDDEN)
	admin := owner
	admin.Admin = true
	for _, want := range []string{herald.ApprovalPending, herald.ApprovalApproved} {
		res, err := db.DecidePosts(as(manager), ws.ID, "dec", admin)
		if err != nil || res.Posts[0].State != want {
			t.Fatalf("admin: %+v %v, want %s", res, err, want)
		}
	}
}
