package storage

import (
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

var ops = herald.WithActor(ctx, herald.Actor{Kind: "token", ID: "7", Name: "ops"})

func wsTarget(ws *herald.Workspace) herald.PauseTarget {
	return herald.PauseTarget{WorkspaceID: ws.ID, Workspace: ws.Slug}
}

func chTarget(ws *herald.Workspace, ch *herald.Channel) herald.PauseTarget {
	return herald.PauseTarget{WorkspaceID: ws.ID, Workspace: ws.Slug, ChannelID: ch.ID, Channel: ch.Name}
}

func mustPause(tb testing.TB, db *DB, t herald.PauseTarget, reason string) *herald.PauseResult {
	tb.Helper()
	res, err := db.Pause(ops, t, herald.PauseRequest{Reason: reason})
	if err != nil {
		tb.Fatalf("pause %s: %v", t, err)
	}
	return res
}

func mustResume(tb testing.TB, db *DB, t herald.PauseTarget) *herald.ResumeResult {
	tb.Helper()
	res, err := db.Resume(ops, t)
	if err != nil {
		tb.Fatalf("resume %s: %v", t, err)
	}
	return res
}

func mustClaim(tb testing.TB, db *DB, now time.Time) []herald.Job {
	tb.Helper()
	jobs, err := db.ClaimDue(ctx, "w1", now, time.Minute, 100)
	if err != nil {
		tb.Fatal(err)
	}
	return jobs
}

func completeAll(tb testing.TB, db *DB, jobs []herald.Job, now time.Time) {
	tb.Helper()
	for _, j := range jobs {
		if err := db.Complete(ctx, "w1", j, herald.Result{Outcome: herald.OutcomePublished, RemoteID: "r"}, now, time.Time{}); err != nil {
			tb.Fatal(err)
		}
	}
}

func lastEvent(tb testing.TB, db *DB, wsID, id int64) herald.DeliveryEvent {
	tb.Helper()
	evs, err := db.DeliveryEvents(ctx, wsID, id)
	if err != nil || len(evs) == 0 {
		tb.Fatalf("events of %d: %v %v", id, evs, err)
	}
	return evs[len(evs)-1]
}

// A paused workspace: nothing of it is claimed (another workspace's is),
// NextDue does not count it, nothing of it is marked missed however late,
// and what was publishing is listed in flight. On resume what is past its
// lateness window becomes missed through the lifecycle (an event each, the
// pause's reason); the rest goes out in due order per channel.
func TestPauseWorkspaceHoldsThenResumeJudgesLateness(t *testing.T) {
	db := MustOpenDB(t)
	clk := clockOf(db)
	ws := mustWorkspace(t, db, "acme")
	ws.MaxLateness = herald.Duration(90 * time.Minute)
	if err := db.UpdateWorkspace(ctx, ws); err != nil {
		t.Fatal(err)
	}
	mustChannel(t, db, ws.ID, "tg", "telegram")
	mustChannel(t, db, ws.ID, "masto", "mastodon")
	other := mustWorkspace(t, db, "other")
	mustChannel(t, db, other.ID, "tg", "telegram")
	mustApply(t, db, ws.ID, "p", []herald.Post{
		mkPost("flying", 2, t0.Add(-20*time.Minute), "x", "masto"),
		mkPost("a", 3, t0.Add(-10*time.Minute), "x", "tg"), // window ends t0+80m
		mkPost("b", 4, t0.Add(20*time.Minute), "x", "tg"),  // t0+110m
		mkPost("c", 5, t0.Add(40*time.Minute), "x", "masto"),
		mkPost("e", 6, t0.Add(50*time.Minute), "x", "masto"),
		mkPost("f", 7, t0.Add(60*time.Minute), "x", "tg"),
		mkPost("d", 8, t0.Add(3*time.Hour), "x", "masto"),
	})
	mustApply(t, db, other.ID, "p", []herald.Post{mkPost("o1", 2, t0.Add(-time.Minute), "x", "tg"), mkPost("o2", 3, t0.Add(2*time.Hour), "x", "tg")})
	ids := deliveryIDs(t, db, ws.ID)

	// "flying" is being published when the pause comes.
	jobs, err := db.ClaimDue(ctx, "w1", t0, time.Hour, 1)
	if err != nil || claimKeys(jobs) != "flying@masto" {
		t.Fatalf("claimed %s, %v", claimKeys(jobs), err)
	}
	res := mustPause(t, db, wsTarget(ws), "  crisis: hold everything ")
	if res.Scope != herald.ScopeWorkspace || res.Workspace != "acme" || res.Reason != "crisis: hold everything" || !res.PausedAt.Equal(t0) ||
		res.By != "token:7" || res.ByName != "ops" || res.Until != nil || res.Already {
		t.Fatalf("pause answer %+v", res)
	}
	if len(res.InFlight) != 1 || res.InFlight[0] != (herald.InFlight{ID: ids[[2]string{"flying", "masto"}], Channel: "masto", Plan: "p", Post: "flying"}) {
		t.Fatalf("in flight %+v", res.InFlight)
	}
	completeAll(t, db, jobs, t0) // an in-flight publish still finishes

	jobs = mustClaim(t, db, t0)
	if got := claimKeys(jobs); got != "o1@tg" {
		t.Fatalf("claimed %q while acme is paused; want only the other workspace's", got)
	}
	completeAll(t, db, jobs, t0)
	if next, ok, err := db.NextDue(ctx); err != nil || !ok || !next.Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("NextDue = %v %v %v, want the other workspace's o2 (paused deliveries are not due)", next, ok, err)
	}

	// Two hours on, a and b are past their window, but held: not missed.
	now := t0.Add(2 * time.Hour)
	clk.Set(now)
	jobs = mustClaim(t, db, now)
	if got := claimKeys(jobs); got != "o2@tg" {
		t.Fatalf("claimed %q", got)
	}
	completeAll(t, db, jobs, now)
	for _, k := range [][2]string{{"a", "tg"}, {"b", "tg"}, {"c", "masto"}} {
		if s := statusOf(t, db, ids[k]); s != herald.StatusScheduled {
			t.Fatalf("%s is %s while paused, want scheduled", k, s)
		}
	}

	rr := mustResume(t, db, wsTarget(ws))
	if rr.Missed != 2 || rr.WillPublish != 3 || rr.StillHeld != 0 || !rr.ResumedAt.Equal(now) || !rr.PausedAt.Equal(t0) ||
		rr.Reason != "crisis: hold everything" || rr.Scope != herald.ScopeWorkspace {
		t.Fatalf("resume answer %+v, want 2 missed (a, b), 3 to publish (c, e, f)", rr)
	}
	for _, k := range []string{"a", "b"} {
		id := ids[[2]string{k, "tg"}]
		e := lastEvent(t, db, ws.ID, id)
		if e.From != herald.StatusScheduled || e.To != herald.StatusMissed || e.Reason != herald.MissedPaused || e.Actor != "token:7" {
			t.Fatalf("%s's last event %+v", k, e)
		}
		d, _ := db.Delivery(ctx, ws.ID, id)
		if !strings.Contains(d.Error, "paused") || !strings.Contains(d.Error, "crisis") {
			t.Fatalf("%s's error %q", k, d.Error)
		}
	}
	// In due order per channel: c then e on masto, f on tg; d at its time.
	var order []string
	for range 3 {
		jobs := mustClaim(t, db, now)
		order = append(order, claimKeys(jobs))
		completeAll(t, db, jobs, now)
	}
	if got := strings.Join(order, " | "); got != "c@masto f@tg | e@masto | " {
		t.Fatalf("after resume claimed %s", got)
	}
	if s := statusOf(t, db, ids[[2]string{"d", "masto"}]); s != herald.StatusScheduled {
		t.Fatalf("d is %s", s)
	}
	if _, err := db.Resume(ops, wsTarget(ws)); herald.ErrorCode(err) != herald.ECONFLICT || !strings.Contains(herald.ErrorMessage(err), "not paused") {
		t.Fatalf("resume again: %v, want ECONFLICT saying it is not paused", err)
	}
}

// Pausing twice keeps the first paused_at and updates the reason, until and
// who; an empty reason and an unknown channel are refused.
func TestPauseTwiceUpdates(t *testing.T) {
	db := MustOpenDB(t)
	clk := clockOf(db)
	ws := mustWorkspace(t, db, "acme")
	ch := mustChannel(t, db, ws.ID, "tg", "telegram")
	mustPause(t, db, chTarget(ws, ch), "first")
	clk.Set(t0.Add(time.Minute))
	until := t0.Add(time.Hour)
	res, err := db.Pause(herald.WithActor(ctx, herald.Actor{Kind: "user", ID: "2", Name: "Ann"}), chTarget(ws, ch),
		herald.PauseRequest{Reason: "second", Until: &until})
	if err != nil || !res.Already || !res.PausedAt.Equal(t0) || res.Reason != "second" || res.By != "user:2" || res.ByName != "Ann" ||
		res.Until == nil || !res.Until.Equal(until) || res.Scope != herald.ScopeChannel || res.Channel != "tg" {
		t.Fatalf("pause again: %+v %v", res, err)
	}
	ps, err := db.Pauses(ctx, ws.ID)
	if err != nil || len(ps) != 1 || ps[0].Reason != "second" || !ps[0].At.Equal(t0) || ps[0].Channel != "tg" || ps[0].Until == nil {
		t.Fatalf("pauses %+v %v", ps, err)
	}
	_, err = db.Pause(ops, chTarget(ws, ch), herald.PauseRequest{Reason: "  "})
	wantCode(t, err, herald.EINVALID)
	_, err = db.Pause(ops, herald.PauseTarget{WorkspaceID: ws.ID, Workspace: ws.Slug, ChannelID: ch.ID + 100, Channel: "nope"},
		herald.PauseRequest{Reason: "x"})
	wantCode(t, err, herald.ENOTFOUND)
}

// Channel and instance scopes: a paused channel holds only its own
// deliveries; the instance holds every workspace's. Resuming a channel
// whose workspace is paused, or a workspace while the instance is, is a
// conflict that names the wider pause; resuming a channel inside a paused
// workspace releases nothing (still held), and nothing of it goes missed.
func TestPauseChannelAndInstance(t *testing.T) {
	db := MustOpenDB(t)
	clk := clockOf(db)
	ws := mustWorkspace(t, db, "acme")
	tg := mustChannel(t, db, ws.ID, "tg", "telegram")
	mustChannel(t, db, ws.ID, "masto", "mastodon")
	other := mustWorkspace(t, db, "other")
	mustChannel(t, db, other.ID, "vk", "vk")
	mustApply(t, db, ws.ID, "p", []herald.Post{mkPost("a", 2, t0, "x", "tg"), mkPost("b", 3, t0, "x", "masto"),
		mkPost("late", 4, t0.Add(-119*time.Minute), "x", "tg")}) // inside the 2h window at t0; past it at t0+2m
	mustApply(t, db, other.ID, "p", []herald.Post{mkPost("o", 2, t0, "x", "vk")})

	mustPause(t, db, chTarget(ws, tg), "tg token leaked")
	jobs := mustClaim(t, db, t0)
	if got := claimKeys(jobs); got != "b@masto o@vk" {
		t.Fatalf("channel paused: claimed %q", got)
	}
	completeAll(t, db, jobs, t0)

	mustPause(t, db, herald.PauseTarget{}, "instance-wide stop")
	mustApply(t, db, other.ID, "p2", []herald.Post{mkPost("o2", 2, t0, "x", "vk")})
	if got := claimKeys(mustClaim(t, db, t0)); got != "" {
		t.Fatalf("instance paused: claimed %q", got)
	}
	if _, ok, err := db.NextDue(ctx); ok || err != nil {
		t.Fatalf("instance paused: NextDue ok=%v %v", ok, err)
	}
	_, err := db.Resume(ops, wsTarget(other))
	if herald.ErrorCode(err) != herald.ECONFLICT || !strings.Contains(herald.ErrorMessage(err), "POST /api/v1/resume") {
		t.Fatalf("resume a workspace under an instance pause: %v", err)
	}
	ps, err := db.Pauses(ctx, ws.ID)
	if err != nil || len(ps) != 2 || ps[0].Scope != herald.ScopeInstance || ps[1].Scope != herald.ScopeChannel || ps[1].Channel != "tg" {
		t.Fatalf("pauses of acme %+v %v", ps, err)
	}
	if ps, _ := db.Pauses(ctx, other.ID); len(ps) != 1 || ps[0].Scope != herald.ScopeInstance {
		t.Fatalf("pauses of other %+v", ps)
	}
	rr := mustResume(t, db, herald.PauseTarget{})
	if rr.Scope != herald.ScopeInstance || rr.WillPublish != 1 || rr.StillHeld != 2 || rr.Missed != 0 {
		t.Fatalf("instance resume %+v, want o2 to go and tg's a and late still held", rr)
	}
	if got := claimKeys(mustClaim(t, db, t0)); got != "o2@vk" {
		t.Fatalf("after the instance resume claimed %q", got)
	}

	mustPause(t, db, wsTarget(ws), "workspace too")
	masto, _ := db.Channel(ctx, ws.ID, "masto")
	_, err = db.Resume(ops, chTarget(ws, masto))
	if herald.ErrorCode(err) != herald.ECONFLICT || !strings.Contains(herald.ErrorMessage(err), "/api/v1/workspaces/acme/resume") {
		t.Fatalf("resume a channel of a paused workspace: %v", err)
	}
	now := t0.Add(2 * time.Minute)
	clk.Set(now)
	rr = mustResume(t, db, chTarget(ws, tg))
	if rr.Missed != 0 || rr.WillPublish != 0 || rr.StillHeld != 2 {
		t.Fatalf("channel resume inside a paused workspace %+v, want both held, none missed", rr)
	}
	rr = mustResume(t, db, wsTarget(ws))
	if rr.Missed != 1 || rr.WillPublish != 1 {
		t.Fatalf("workspace resume %+v, want late missed and a to go", rr)
	}
	if got := claimKeys(mustClaim(t, db, now)); got != "a@tg" {
		t.Fatalf("after resumes claimed %q", got)
	}
}

// until: the pause resumes itself at the first claim from its until on —
// NextDue wakes the scheduler then — and judges lateness as Resume does.
func TestPauseUntilResumesAtTheClaim(t *testing.T) {
	db := MustOpenDB(t)
	clk := clockOf(db)
	ws := mustWorkspace(t, db, "acme")
	ws.MaxLateness = herald.Duration(30 * time.Minute)
	if err := db.UpdateWorkspace(ctx, ws); err != nil {
		t.Fatal(err)
	}
	mustChannel(t, db, ws.ID, "tg", "telegram")
	mustApply(t, db, ws.ID, "p", []herald.Post{mkPost("old", 2, t0.Add(10*time.Minute), "x", "tg"),
		mkPost("new", 3, t0.Add(50*time.Minute), "x", "tg"), mkPost("later", 4, t0.Add(5*time.Hour), "x", "tg")})
	until := t0.Add(time.Hour)
	if _, err := db.Pause(ops, wsTarget(ws), herald.PauseRequest{Reason: "an hour's silence", Until: &until}); err != nil {
		t.Fatal(err)
	}
	if next, ok, _ := db.NextDue(ctx); !ok || !next.Equal(until) {
		t.Fatalf("NextDue = %v %v, want the pause's until %v", next, ok, until)
	}
	clk.Set(t0.Add(59 * time.Minute))
	if got := claimKeys(mustClaim(t, db, t0.Add(59*time.Minute))); got != "" {
		t.Fatalf("claimed %q before until", got)
	}
	clk.Set(until)
	jobs, err := db.ClaimDue(herald.WithActor(ctx, herald.Actor{Kind: "scheduler", ID: "w1"}), "w1", until, time.Minute, 10)
	if got := claimKeys(jobs); err != nil || got != "new@tg" {
		t.Fatalf("at until claimed %q, want new (old is past its window)", got)
	}
	ids := deliveryIDs(t, db, ws.ID)
	e := lastEvent(t, db, ws.ID, ids[[2]string{"old", "tg"}])
	if e.To != herald.StatusMissed || e.Reason != herald.MissedPaused || e.Actor != "scheduler:w1" {
		t.Fatalf("old's last event %+v", e)
	}
	if ps, _ := db.Pauses(ctx, ws.ID); len(ps) != 0 {
		t.Fatalf("pauses after until %+v", ps)
	}
	if _, err := db.Resume(ops, wsTarget(ws)); herald.ErrorCode(err) != herald.ECONFLICT {
		t.Fatalf("resume after until: %v", err)
	}
}

// The freed worker's claim (CompleteAndClaimNext) passes over a paused
// scope as ClaimDue does.
func TestPauseHoldsTheNextClaimOfAFreedWorker(t *testing.T) {
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "acme")
	ch := mustChannel(t, db, ws.ID, "tg", "telegram")
	mustApply(t, db, ws.ID, "p", []herald.Post{mkPost("a", 2, t0, "x", "tg"), mkPost("b", 3, t0, "x", "tg")})
	jobs := mustClaim(t, db, t0)
	mustPause(t, db, chTarget(ws, ch), "hold")
	next, err := db.CompleteAndClaimNext(ctx, "w1", jobs[0], herald.Result{Outcome: herald.OutcomePublished, RemoteID: "1"}, t0, time.Time{}, time.Minute)
	if err != nil || next != nil {
		t.Fatalf("next claim while paused: %+v %v", next, err)
	}
	mustResume(t, db, chTarget(ws, ch))
	if got := claimKeys(mustClaim(t, db, t0)); got != "b@tg" {
		t.Fatalf("after resume claimed %q", got)
	}
}

// Deleting a paused workspace takes its pauses with it.
func TestPauseGoesWithItsWorkspace(t *testing.T) {
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "acme")
	ch := mustChannel(t, db, ws.ID, "tg", "telegram")
	mustPause(t, db, wsTarget(ws), "x")
	mustPause(t, db, chTarget(ws, ch), "y")
	if err := db.DeleteWorkspace(ctx, ws.ID); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := get(ctx, db.r, &n, `SELECT COUNT(*) FROM pauses`); err != nil || n != 0 {
		t.Fatalf("%d pauses left, %v", n, err)
	}
}

// Every pause and resume is in the audit log with who made it, in its
// workspace's log (the instance's in the instance log), and the resume at
// a pause's until as the system's doing.
func TestPauseAudited(t *testing.T) {
	db := MustOpenDB(t)
	clk := clockOf(db)
	ws := mustWorkspace(t, db, "acme")
	ch := mustChannel(t, db, ws.ID, "tg", "telegram")
	mustPause(t, db, wsTarget(ws), "crisis")
	mustPause(t, db, wsTarget(ws), "crisis, still")
	mustPause(t, db, chTarget(ws, ch), "token rotation")
	mustResume(t, db, chTarget(ws, ch))
	mustResume(t, db, wsTarget(ws))
	until := t0.Add(time.Hour)
	if _, err := db.Pause(ops, herald.PauseTarget{}, herald.PauseRequest{Reason: "maintenance", Until: &until}); err != nil {
		t.Fatal(err)
	}
	wantLines(t, auditLines(t, db, herald.AuditFilter{WorkspaceID: ws.ID, Action: "workspace.", ActorKind: "token"}),
		`workspace.paused workspace acme by token:7 (ops) {"already_paused":false,"reason":"crisis"}`,
		`workspace.paused workspace acme by token:7 (ops) {"already_paused":true,"reason":"crisis, still"}`,
		`workspace.resumed workspace acme by token:7 (ops) {"missed":0,"reason":"crisis, still","still_held":0,"will_publish":0}`)
	wantLines(t, auditLines(t, db, herald.AuditFilter{WorkspaceID: ws.ID, Action: "channel.", ActorKind: "token"}),
		`channel.paused channel tg by token:7 (ops) {"already_paused":false,"reason":"token rotation"}`,
		`channel.resumed channel tg by token:7 (ops) {"missed":0,"reason":"token rotation","still_held":0,"will_publish":0}`)
	wantLines(t, auditLines(t, db, herald.AuditFilter{Action: "instance."}),
		`instance.paused instance by token:7 (ops) {"already_paused":false,"reason":"maintenance","until":"`+until.UTC().Format(time.RFC3339)+`"}`)
	clk.Set(until)
	if _, err := db.ClaimDue(ctx, "w1", until, time.Minute, 10); err != nil {
		t.Fatal(err)
	}
	wantLines(t, auditLines(t, db, herald.AuditFilter{Action: "instance.resumed"}),
		`instance.resumed instance by system:pause-until {"missed":0,"reason":"maintenance","still_held":0,"why":"the pause's until came","will_publish":0}`)
}
