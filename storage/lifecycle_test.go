package storage

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/jmoiron/sqlx"
	"github.com/rs/zerolog"
)

// transitions renders a delivery's events as "from>to by actor" lines.
func transitions(t *testing.T, db *DB, wsID, id int64) []string {
	t.Helper()
	evs, err := db.DeliveryEvents(ctx, wsID, id)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = string(e.From) + ">" + string(e.To) + " by " + e.Actor
		if i > 0 && e.ID <= evs[i-1].ID {
			t.Errorf("event ids do not increase: %+v", evs)
		}
		if e.Node != db.Node() || !e.At.Equal(clockOf(db).Now()) && e.At.After(clockOf(db).Now()) {
			t.Errorf("event %+v: node %q, want %q, at no later than the clock", e, e.Node, db.Node())
		}
	}
	return out
}

// Each status change of a delivery is one event, in order, naming who made
// it and the attempt it was at.
func TestEveryStatusChangeIsAnEvent(t *testing.T) {
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "acme")
	mustChannel(t, db, ws.ID, "masto", "mastodon")
	person := herald.WithActor(ctx, herald.Actor{Kind: "token", ID: "7"})
	if _, err := db.ApplyPlan(person, ws.ID, herald.Plan{Key: "p"}, []herald.Post{mkPost("a", 2, t0, "A", "masto")}, false); err != nil {
		t.Fatal(err)
	}
	sched := herald.WithActor(ctx, herald.Actor{Kind: "scheduler", ID: "w1"})
	jobs, err := db.ClaimDue(sched, "w1", t0, time.Minute, 10)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("claim: %v %v", jobs, err)
	}
	id := jobs[0].Delivery.ID
	if err := db.Complete(sched, "w1", jobs[0], herald.Result{Outcome: herald.OutcomeFailed, Reason: "HTTP 422: too long"}, t0, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RetryDelivery(person, ws.ID, id); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CancelDelivery(person, ws.ID, id); err != nil {
		t.Fatal(err)
	}
	want := []string{">scheduled by token:7", "scheduled>publishing by scheduler:w1", "publishing>failed by scheduler:w1",
		"failed>scheduled by token:7", "scheduled>cancelled by token:7"}
	if got := transitions(t, db, ws.ID, id); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	evs, _ := db.DeliveryEvents(ctx, ws.ID, id)
	if evs[2].Attempt != 1 || !strings.Contains(evs[2].Reason, "too long") || evs[1].Attempt != 1 || evs[0].Attempt != 0 {
		t.Errorf("attempts and reasons: %+v", evs)
	}
	atts, _ := db.Attempts(ctx, ws.ID, id)
	if len(atts) != 1 || atts[0].Node != db.Node() {
		t.Errorf("attempt %+v should name node %q", atts, db.Node())
	}
	// Another workspace's delivery is not found.
	other := mustWorkspace(t, db, "other")
	wantCode(t, func() error { _, err := db.DeliveryEvents(ctx, other.ID, id); return err }(), herald.ENOTFOUND)

	// The workspace's events follow with a cursor: pages of two, each
	// once, in order, then none; a cursor not given by the server is
	// refused.
	var got []int64
	cursor := ""
	for range 10 {
		page, next, err := db.EventsAfter(ctx, ws.ID, cursor, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			if next != cursor {
				t.Errorf("an empty page moved the cursor %q → %q", cursor, next)
			}
			break
		}
		for _, e := range page {
			got = append(got, e.ID)
		}
		cursor = next
	}
	var ids []int64
	for _, e := range evs {
		ids = append(ids, e.ID)
	}
	if !slices.Equal(got, ids) {
		t.Errorf("followed %v, want %v", got, ids)
	}
	_, _, err = db.EventsAfter(ctx, ws.ID, "x1", 2)
	wantCode(t, err, herald.EINVALID)
}

// On PostgreSQL an event can take a lower id than another and commit
// after it. A follower that had passed the higher id must still get it:
// it sees nothing of a transaction newer than one still running, and the
// late event comes after the cursor once committed.
func TestPostgresEventsFollowedInCommitOrder(t *testing.T) {
	postgresOnly(t)
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "acme")
	mustChannel(t, db, ws.ID, "tg", "telegram")
	mustApply(t, db, ws.ID, "p", []herald.Post{mkPost("a", 2, t0, "A", "tg")})
	id := deliveryIDs(t, db, ws.ID)[[2]string{"a", "tg"}]
	_, cursor, err := db.EventsAfter(ctx, ws.ID, "", 100) // the creation
	if err != nil {
		t.Fatal(err)
	}
	event := func(tx *sqlx.Tx, reason string) {
		mustExecTx(t, tx, `INSERT INTO delivery_events (delivery_id, workspace_id, from_status, to_status, at, reason)
			VALUES (?, ?, 'scheduled', 'scheduled', ?, ?)`, id, ws.ID, ms(t0), reason)
	}
	begin := func() *sqlx.Tx {
		tx, err := db.w.BeginTxx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tx.Rollback() })
		return tx
	}
	follow := func() []string {
		page, next, err := db.EventsAfter(ctx, ws.ID, cursor, 100)
		if err != nil {
			t.Fatal(err)
		}
		cursor = next
		var out []string
		for _, e := range page {
			out = append(out, e.Reason)
		}
		return out
	}
	// B takes its transaction id first; A writes the lower event id; B
	// writes the higher one and commits while A runs.
	b := begin()
	mustExecTx(t, b, `SELECT pg_current_xact_id()`)
	a := begin()
	event(a, "a: lower id, commits last")
	event(b, "b: higher id, commits first")
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := follow(); !slices.Equal(got, []string{"b: higher id, commits first"}) {
		t.Errorf("while a runs: %q, want b's alone (its transaction is older than a's)", got)
	}
	// C starts after A and commits: newer than A, which still runs, so not
	// settled yet.
	c := begin()
	event(c, "c: after a")
	if err := c.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := follow(); len(got) != 0 {
		t.Errorf("while a runs: %q, want nothing newer than a", got)
	}
	if err := a.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := follow(); !slices.Equal(got, []string{"a: lower id, commits last", "c: after a"}) {
		t.Errorf("after a commits: %q, want a's then c's", got)
	}
}

// Plan edits, row removals, plan deletion and revival, channel deletion,
// missed-marking, lease recovery and reconciliation are events too.
func TestPlanAndMaintenanceChangesAreEvents(t *testing.T) {
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "acme")
	mustChannel(t, db, ws.ID, "tg", "telegram")
	mustChannel(t, db, ws.ID, "masto", "mastodon")
	later := t0.Add(48 * time.Hour)
	mustApply(t, db, ws.ID, "p", []herald.Post{mkPost("a", 2, later, "A", "tg"), mkPost("b", 3, later, "B", "tg", "masto"),
		mkPost("c", 4, t0.Add(-2*herald.DefaultMaxLateness), "C", "tg")})
	ids := deliveryIDs(t, db, ws.ID)
	mustApply(t, db, ws.ID, "p", []herald.Post{mkPost("a", 2, later.Add(time.Hour), "A", "tg"), mkPost("b", 3, later, "B", "tg"),
		mkPost("c", 4, t0.Add(-2*herald.DefaultMaxLateness), "C", "tg")})
	if _, err := db.ClaimDue(ctx, "w1", t0, time.Minute, 0); err != nil { // marks c missed
		t.Fatal(err)
	}
	if _, err := db.DeletePlan(ctx, ws.ID, "p"); err != nil {
		t.Fatal(err)
	}
	mustApply(t, db, ws.ID, "p", []herald.Post{mkPost("a", 2, later.Add(time.Hour), "A", "tg")})
	checks := map[[2]string][]string{
		{"a", "tg"}:    {">scheduled", "scheduled>scheduled", "scheduled>cancelled", "cancelled>scheduled"},
		{"b", "masto"}: {">scheduled", "scheduled>cancelled"},
		{"b", "tg"}:    {">scheduled", "scheduled>scheduled", "scheduled>cancelled", "cancelled>scheduled", "scheduled>cancelled"},
		{"c", "tg"}:    {">scheduled", "scheduled>missed", "missed>cancelled"},
	}
	for k, want := range checks {
		var got []string
		for _, line := range transitions(t, db, ws.ID, ids[k]) {
			got = append(got, strings.Fields(line)[0])
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%v: %v, want %v", k, got, want)
		}
	}
	if db.Missed() != 1 {
		t.Errorf("Missed() = %d, want 1", db.Missed())
	}
}

// Marking a delivery missed is logged, with what it was and when it was due.
func TestMissedIsLogged(t *testing.T) {
	var logs bytes.Buffer
	clk := &Clock{t: t0}
	db, err := Open(filepath.Join(t.TempDir(), "h.db"), Options{SecretKey: testKey, Now: clk.Now, Logger: zerolog.New(&logs)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	clocks.Store(db, clk)
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	ws := mustWorkspace(t, db, "acme")
	mustChannel(t, db, ws.ID, "tg", "telegram")
	mustApply(t, db, ws.ID, "p", []herald.Post{mkPost("a", 2, t0.Add(-2*herald.DefaultMaxLateness), "A", "tg")})
	if _, err := db.ClaimDue(ctx, "w1", t0, time.Minute, 1); err != nil {
		t.Fatal(err)
	}
	line := logs.String()
	if !strings.Contains(line, `"message":"delivery missed: not published within its lateness window"`) ||
		!strings.Contains(line, `"workspace":"acme"`) || !strings.Contains(line, `"channel":"tg"`) || db.Missed() != 1 {
		t.Errorf("log %q, missed %d", line, db.Missed())
	}
}

// A strict move whose delivery is no longer where it expected writes
// nothing and gives ECONFLICT; a transition the table does not have is
// refused whatever the caller asks.
func TestMoveDeliveriesPreconditions(t *testing.T) {
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "acme")
	mustChannel(t, db, ws.ID, "tg", "telegram")
	mustApply(t, db, ws.ID, "p", []herald.Post{mkPost("a", 2, t0, "A", "tg")})
	id := deliveryIDs(t, db, ws.ID)[[2]string{"a", "tg"}]
	publish(t, db, t0) // published now

	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		_, err := db.moveDeliveries(ctx, tx, []int64{id}, move{from: herald.StatusSet{herald.StatusScheduled},
			to: to(herald.StatusScheduled), set: "due_at = due_at + 1", strict: true, reason: "a stale edit"})
		return err
	})
	wantCode(t, err, herald.ECONFLICT)
	if !strings.Contains(herald.ErrorMessage(err), "published now") {
		t.Errorf("conflict %q should say what the delivery is now", herald.ErrorMessage(err))
	}
	err = db.inTx(ctx, func(tx *sqlx.Tx) error {
		_, err := db.moveDeliveries(ctx, tx, []int64{id}, move{from: herald.StatusSet{herald.StatusPublished},
			to: to(herald.StatusScheduled), reason: "publish it again"})
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "not a transition") {
		t.Fatalf("published → scheduled: %v, want refused", err)
	}
	if got := transitions(t, db, ws.ID, id); len(got) != 3 || statusOf(t, db, id) != herald.StatusPublished {
		t.Errorf("after refused moves: %v, %s", got, statusOf(t, db, id))
	}
}

// At most one delivery of a channel is publishing, whoever writes: the
// database refuses a second.
func TestOnePublishingPerChannelIsTheDatabases(t *testing.T) {
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "acme")
	mustChannel(t, db, ws.ID, "tg", "telegram")
	mustApply(t, db, ws.ID, "p", []herald.Post{mkPost("a", 2, t0, "A", "tg"), mkPost("b", 3, t0, "B", "tg")})
	if _, err := exec(ctx, db.w, `UPDATE deliveries SET status = 'publishing'`); err == nil || !isUnique(err) {
		t.Fatalf("two publishing deliveries on one channel: %v, want a unique violation", err)
	}
}

// Every UPDATE of a delivery's status is moveDeliveries's: no other storage
// code writes the status column, so no change escapes its precondition and
// its event.
func TestStatusChangesGoThroughMoveDeliveries(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	update := regexp.MustCompile(`(?i)UPDATE\s+deliveries\s+SET\s`)
	where := regexp.MustCompile(`(?i)\sWHERE\s`)
	setsStatus := regexp.MustCompile(`(?i)(^|[\s,])status\s*=`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "lifecycle.go" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, loc := range update.FindAllIndex(b, -1) {
			set := b[loc[1]:]
			if end := where.FindIndex(set); end != nil {
				set = set[:end[0]]
			}
			if setsStatus.Match(set) {
				line := bytes.Count(b[:loc[0]], []byte("\n")) + 1
				t.Errorf("%s:%d sets a delivery's status outside moveDeliveries", f, line)
			}
		}
	}
}
