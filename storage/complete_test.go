package storage

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/jmoiron/sqlx"
	"github.com/rs/zerolog"
)

// oneClaimed sets up one workspace with channels tg (telegram) and masto
// (mastodon), one post on each due at t0, and claims both as "w1".
func oneClaimed(t *testing.T) (*DB, *herald.Workspace, map[string]herald.Job) {
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "acme")
	mustChannel(t, db, ws.ID, "tg", "telegram")
	mustChannel(t, db, ws.ID, "masto", "mastodon")
	mustApply(t, db, ws.ID, "p", []herald.Post{mkPost("a", 2, t0, "A", "tg"), mkPost("b", 3, t0, "B", "masto")})
	jobs, err := db.ClaimDue(ctx, "w1", t0, time.Minute, 10)
	if err != nil || len(jobs) != 2 {
		t.Fatalf("claim: %v %v", jobs, err)
	}
	byChannel := map[string]herald.Job{}
	for _, j := range jobs {
		byChannel[j.Channel.Name] = j
	}
	return db, ws, byChannel
}

func TestCompleteOutcomes(t *testing.T) {
	db, ws, jobs := oneClaimed(t)
	tg, masto := jobs["tg"], jobs["masto"]
	fin := t0.Add(3 * time.Second)

	pub := herald.Result{Outcome: herald.OutcomePublished, RemoteID: "42", URL: "https://t.me/acme/42",
		Request: "sendMessage", Response: `{"ok":true}`, ConfigUpdate: map[string]any{"chat_id": "-100200"}}
	wantCode(t, db.Complete(ctx, "w2", tg, pub, fin, time.Time{}), herald.ECONFLICT) // not the lease owner
	if statusOf(t, db, tg.Delivery.ID) != herald.StatusPublishing {
		t.Fatal("a rejected Complete wrote")
	}
	stale := tg
	stale.Attempt = 7
	wantCode(t, db.Complete(ctx, "w1", stale, pub, fin, time.Time{}), herald.ECONFLICT) // not this attempt
	if err := db.Complete(ctx, "w1", tg, pub, fin, time.Time{}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, db.Complete(ctx, "w1", tg, pub, fin, time.Time{}), herald.ECONFLICT) // twice
	d, _ := db.Delivery(ctx, ws.ID, tg.Delivery.ID)
	if d.Status != herald.StatusPublished || d.RemoteID != "42" || d.URL != pub.URL || d.PublishedAt == nil ||
		!d.PublishedAt.Equal(fin) || d.LeaseOwner != "" || d.LeaseUntil != nil || d.Error != "" {
		t.Fatalf("published delivery %+v", d)
	}
	atts, _ := db.Attempts(ctx, ws.ID, tg.Delivery.ID)
	if a := atts[0]; len(atts) != 1 || a.Outcome != herald.OutcomePublished || !a.FinishedAt.Equal(fin) || a.Request != "sendMessage" ||
		a.Response != `{"ok":true}` || a.RemoteID != "42" || a.RetryAt != nil {
		t.Fatalf("attempt %+v", atts)
	}
	ch, _ := db.Channel(ctx, ws.ID, "tg")
	if ch.ConfigString("chat_id") != "-100200" {
		t.Fatalf("config update not applied: %v", ch.Config)
	}

	// retry, then failed on the second attempt.
	retryAt := t0.Add(time.Minute)
	if err := db.Complete(ctx, "w1", masto, herald.Result{Outcome: herald.OutcomeRetry, Reason: "HTTP 503"}, fin, retryAt); err != nil {
		t.Fatal(err)
	}
	d, _ = db.Delivery(ctx, ws.ID, masto.Delivery.ID)
	if d.Status != herald.StatusRetrying || !d.NextAttemptAt.Equal(retryAt) || d.Error != "HTTP 503" || d.Attempts != 1 {
		t.Fatalf("retrying delivery %+v", d)
	}
	if jobs, _ := db.ClaimDue(ctx, "w1", retryAt.Add(-time.Second), time.Minute, 10); len(jobs) != 0 {
		t.Fatal("claimed before its retry time")
	}
	again, err := db.ClaimDue(ctx, "w1", retryAt, time.Minute, 10)
	if err != nil || len(again) != 1 || again[0].Attempt != 2 {
		t.Fatalf("retry claim %+v %v", again, err)
	}
	if err := db.Complete(ctx, "w1", again[0], herald.Result{Outcome: herald.OutcomeFailed, Reason: "422 text too long"}, retryAt, time.Time{}); err != nil {
		t.Fatal(err)
	}
	d, _ = db.Delivery(ctx, ws.ID, masto.Delivery.ID)
	atts, _ = db.Attempts(ctx, ws.ID, masto.Delivery.ID)
	if d.Status != herald.StatusFailed || d.Error != "422 text too long" || len(atts) != 2 || atts[0].RetryAt == nil ||
		!atts[0].RetryAt.Equal(retryAt) || atts[1].Outcome != herald.OutcomeFailed || atts[1].Number != 2 {
		t.Fatalf("failed delivery %+v attempts %+v", d, atts)
	}
	wantCode(t, db.Complete(ctx, "w1", again[0], herald.Result{Outcome: "weird"}, fin, time.Time{}), herald.EINVALID)
}

func TestCompleteUnknown(t *testing.T) {
	db, ws, jobs := oneClaimed(t)
	if err := db.Complete(ctx, "w1", jobs["tg"], herald.Result{Outcome: herald.OutcomeUnknown, Reason: "timeout after sending"}, t0, time.Time{}); err != nil {
		t.Fatal(err)
	}
	d, _ := db.Delivery(ctx, ws.ID, jobs["tg"].Delivery.ID)
	if d.Status != herald.StatusUnknown || d.Error != "timeout after sending" {
		t.Fatalf("%+v", d)
	}
}

func TestRelease(t *testing.T) {
	db, ws, jobs := oneClaimed(t)
	// masto had an attempt before: retry, then claimed again.
	if err := db.Complete(ctx, "w1", jobs["masto"], herald.Result{Outcome: herald.OutcomeRetry, Reason: "429"}, t0, t0); err != nil {
		t.Fatal(err)
	}
	again, _ := db.ClaimDue(ctx, "w1", t0, time.Minute, 10)
	if len(again) != 1 {
		t.Fatalf("reclaim: %d", len(again))
	}
	ids := []int64{jobs["tg"].Delivery.ID, again[0].Delivery.ID}
	if err := db.Release(ctx, "someone-else", ids); err != nil {
		t.Fatal(err)
	}
	if statusOf(t, db, ids[0]) != herald.StatusPublishing {
		t.Fatal("released another owner's claim")
	}
	if err := db.Release(ctx, "w1", ids); err != nil {
		t.Fatal(err)
	}
	tg, _ := db.Delivery(ctx, ws.ID, ids[0])
	m, _ := db.Delivery(ctx, ws.ID, ids[1])
	if tg.Status != herald.StatusScheduled || tg.Attempts != 0 || tg.LeaseOwner != "" || tg.LeaseUntil != nil {
		t.Fatalf("released tg %+v", tg)
	}
	if m.Status != herald.StatusRetrying || m.Attempts != 1 {
		t.Fatalf("released masto %+v", m)
	}
	tgAtts, _ := db.Attempts(ctx, ws.ID, ids[0])
	mAtts, _ := db.Attempts(ctx, ws.ID, ids[1])
	if len(tgAtts) != 0 || len(mAtts) != 1 || mAtts[0].Outcome != herald.OutcomeRetry {
		t.Fatalf("attempts after release: %+v %+v", tgAtts, mAtts)
	}
	// Claimable again at once, as the same attempt number.
	jobs2, _ := db.ClaimDue(ctx, "w2", t0, time.Minute, 10)
	if len(jobs2) != 2 || jobs2[0].Attempt+jobs2[1].Attempt != 3 {
		t.Fatalf("after release: %+v", jobs2)
	}
}

func TestRecoverExpired(t *testing.T) {
	db, ws, jobs := oneClaimed(t)
	idem := func(ch herald.Channel) bool { return ch.Platform == "mastodon" }
	if n, err := db.RecoverExpired(ctx, t0.Add(time.Minute), idem); err != nil || n != 0 {
		t.Fatalf("leases still valid (until == now): n=%d %v", n, err)
	}
	later := t0.Add(2 * time.Minute)
	n, err := db.RecoverExpired(ctx, later, idem)
	if err != nil || n != 2 {
		t.Fatalf("recovered %d, %v", n, err)
	}
	m, _ := db.Delivery(ctx, ws.ID, jobs["masto"].Delivery.ID)
	if m.Status != herald.StatusRetrying || !m.NextAttemptAt.Equal(later) || m.LeaseOwner != "" || m.Attempts != 1 {
		t.Fatalf("mastodon (idempotent) %+v", m)
	}
	tg, _ := db.Delivery(ctx, ws.ID, jobs["tg"].Delivery.ID)
	if tg.Status != herald.StatusUnknown || tg.Error != errLeaseUnknown {
		t.Fatalf("telegram (not idempotent) %+v", tg)
	}
	for _, id := range []int64{m.ID, tg.ID} {
		atts, _ := db.Attempts(ctx, ws.ID, id)
		if len(atts) != 1 || atts[0].Outcome != herald.OutcomeUnknown || !atts[0].FinishedAt.Equal(later) || atts[0].Error == "" {
			t.Fatalf("attempt of %d: %+v", id, atts)
		}
	}
	if n, _ := db.RecoverExpired(ctx, later, idem); n != 0 {
		t.Fatalf("second recovery: %d", n)
	}
	// The old owner's late answer is refused; the retry keeps the idempotency key.
	wantCode(t, db.Complete(ctx, "w1", jobs["masto"], herald.Result{Outcome: herald.OutcomePublished}, later, time.Time{}), herald.ECONFLICT)
	again, _ := db.ClaimDue(ctx, "w2", later, time.Minute, 10)
	if len(again) != 1 || again[0].Delivery.IdempotencyKey != jobs["masto"].Delivery.IdempotencyKey || again[0].Attempt != 2 {
		t.Fatalf("retry after recovery: %+v", again)
	}
}

// TestCompleteBatch runs completions in one shared transaction: a refused
// one (wrong owner) and one the database fails (a config update that cannot
// be stored) fail alone; the others are written. The fallback to one by
// one is logged.
func TestCompleteBatch(t *testing.T) {
	var logs syncBuffer
	db := mustOpenDSN(t, testDSN(t, filepath.Join(t.TempDir(), "herald.db")), zerolog.New(&logs))
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	ws := mustWorkspace(t, db, "acme")
	var posts []herald.Post
	for _, name := range []string{"a", "b", "c", "d"} {
		mustChannel(t, db, ws.ID, name, "outbox")
		posts = append(posts, mkPost("p-"+name, len(posts)+2, t0, name, name))
	}
	mustApply(t, db, ws.ID, "p", posts)
	jobs, err := db.ClaimDue(ctx, "w1", t0, time.Minute, 10)
	if err != nil || len(jobs) != 4 {
		t.Fatalf("claim %d %v", len(jobs), err)
	}
	ok := herald.Result{Outcome: herald.OutcomePublished, RemoteID: "1"}
	bad := herald.Result{Outcome: herald.OutcomePublished, ConfigUpdate: map[string]any{"x": make(chan int)}}
	var batch []*completion
	for i, j := range jobs {
		owner, res := "w1", ok
		switch i {
		case 1:
			owner = "w2"
		case 2:
			res = bad
		}
		c, err := prepareCompletion(owner, j, res, t0, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		batch = append(batch, c)
	}
	db.runBatch(batch)
	for _, c := range batch {
		<-c.done
	}
	if batch[0].err != nil || batch[3].err != nil {
		t.Fatalf("good completions failed: %v, %v", batch[0].err, batch[3].err)
	}
	wantCode(t, batch[1].err, herald.ECONFLICT)
	wantCode(t, batch[2].err, herald.EINTERNAL)
	if l := logs.String(); !strings.Contains(l, "a batch of publish results failed; writing each on its own") || !strings.Contains(l, `"results":4`) {
		t.Errorf("the fallback is not logged: %s", l)
	}
	want := []herald.DeliveryStatus{herald.StatusPublished, herald.StatusPublishing, herald.StatusPublishing, herald.StatusPublished}
	for i, j := range jobs {
		if got := statusOf(t, db, j.Delivery.ID); got != want[i] {
			t.Errorf("delivery %d: %s, want %s", i, got, want[i])
		}
	}
	// Through Complete, from many goroutines at once.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, j := range []herald.Job{jobs[1], jobs[2]} {
		wg.Go(func() { errs[i] = db.Complete(ctx, "w1", j, ok, t0, time.Time{}) })
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("concurrent completes: %v", errs)
	}
}

// TestRowRemovedWhilePublishing: a delivery whose row leaves the plan while
// it is publishing never goes back to waiting.
func TestRowRemovedWhilePublishing(t *testing.T) {
	db, ws, jobs := oneClaimed(t)
	res := mustApply(t, db, ws.ID, "p", nil)
	if res.Cancelled != 2 || !strings.Contains(res.Rows[0].Message, "being published") {
		t.Fatalf("apply %+v", res)
	}
	if err := db.Complete(ctx, "w1", jobs["tg"], herald.Result{Outcome: herald.OutcomeRetry, Reason: "503"}, t0, t0); err != nil {
		t.Fatal(err)
	}
	if s := statusOf(t, db, jobs["tg"].Delivery.ID); s != herald.StatusCancelled {
		t.Fatalf("retry of a removed row: %s", s)
	}
	if err := db.Release(ctx, "w1", []int64{jobs["masto"].Delivery.ID}); err != nil {
		t.Fatal(err)
	}
	if s := statusOf(t, db, jobs["masto"].Delivery.ID); s != herald.StatusCancelled {
		t.Fatalf("release of a removed row: %s", s)
	}
	if jobs, _ := db.ClaimDue(ctx, "w2", t0.Add(time.Minute), time.Minute, 10); len(jobs) != 0 {
		t.Fatalf("claimed a removed row: %+v", jobs)
	}
}

// The idempotency callback gets each channel's platform and config, so a
// channel may say a retry is safe where its platform cannot (a webhook
// receiver that honours Idempotency-Key).
func TestRecoverExpiredByChannel(t *testing.T) {
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "acme")
	for name, idem := range map[string]bool{"safe": true, "unsafe": false} {
		if err := db.CreateChannel(ctx, &herald.Channel{WorkspaceID: ws.ID, Name: name, Platform: "webhook",
			Config: map[string]any{"url": "https://hooks.example/" + name, "idempotent": idem}, Credentials: map[string]string{"secret": "SECRET-" + name}}); err != nil {
			t.Fatal(err)
		}
	}
	mustApply(t, db, ws.ID, "p", []herald.Post{mkPost("a", 2, t0, "A", "safe", "unsafe")})
	jobs, err := db.ClaimDue(ctx, "w1", t0, time.Minute, 10)
	if err != nil || len(jobs) != 2 {
		t.Fatalf("claim: %v %v", jobs, err)
	}
	var asked []string
	n, err := db.RecoverExpired(ctx, t0.Add(time.Hour), func(ch herald.Channel) bool {
		asked = append(asked, ch.Name)
		if ch.ID == 0 || ch.Platform != "webhook" || ch.Credentials != nil {
			t.Errorf("asked about %+v: want the channel's id, platform and config, no credentials", ch)
		}
		return ch.Config["idempotent"] == true
	})
	if err != nil || n != 2 || len(asked) != 2 {
		t.Fatalf("recovered %d (%v), asked about %v", n, err, asked)
	}
	for _, j := range jobs {
		want := map[string]herald.DeliveryStatus{"safe": herald.StatusRetrying, "unsafe": herald.StatusUnknown}[j.Channel.Name]
		if s := statusOf(t, db, j.Delivery.ID); s != want {
			t.Errorf("%s after recovery: %s, want %s", j.Channel.Name, s, want)
		}
	}
}

func TestRecoverExpiredRemovedRow(t *testing.T) {
	db, ws, jobs := oneClaimed(t)
	mustApply(t, db, ws.ID, "p", []herald.Post{mkPost("a", 2, t0, "A", "tg")}) // b (masto) removed
	if n, err := db.RecoverExpired(ctx, t0.Add(time.Hour), func(herald.Channel) bool { return true }); err != nil || n != 2 {
		t.Fatalf("recovered %d %v", n, err)
	}
	if s := statusOf(t, db, jobs["masto"].Delivery.ID); s != herald.StatusUnknown {
		t.Fatalf("removed row after recovery: %s", s)
	}
	if s := statusOf(t, db, jobs["tg"].Delivery.ID); s != herald.StatusRetrying {
		t.Fatalf("live row after recovery: %s", s)
	}
}

// With several batches allowed at once (PostgreSQL), every Complete of many
// concurrent callers is written once and returns its own final result.
func TestCompleteConcurrentBatches(t *testing.T) {
	db := MustOpenDB(t)
	db.completer.limit = 3
	ws := mustWorkspace(t, db, "acme")
	var posts []herald.Post
	for i := range 300 {
		name := fmt.Sprintf("c%03d", i)
		mustChannel(t, db, ws.ID, name, "outbox")
		posts = append(posts, mkPost("p-"+name, i+2, t0, name, name))
	}
	mustApply(t, db, ws.ID, "p", posts)
	jobs, err := db.ClaimDue(ctx, "w1", t0, time.Minute, 1000)
	if err != nil || len(jobs) != 300 {
		t.Fatalf("claim %d %v", len(jobs), err)
	}
	var wg sync.WaitGroup
	for i, j := range jobs {
		owner := "w1"
		if i%10 == 0 {
			owner = "someone-else"
		}
		wg.Go(func() {
			err := db.Complete(ctx, owner, j, herald.Result{Outcome: herald.OutcomePublished, RemoteID: "1"}, t0, time.Time{})
			status := statusOf(t, db, j.Delivery.ID) // the result is final when Complete returns
			if owner == "w1" && (err != nil || status != herald.StatusPublished) {
				t.Errorf("delivery %d: %v, %s", j.Delivery.ID, err, status)
			}
			if owner != "w1" && (herald.ErrorCode(err) != herald.ECONFLICT || status != herald.StatusPublishing) {
				t.Errorf("another owner's completion of %d: %v, %s; want a conflict, nothing written", j.Delivery.ID, err, status)
			}
		})
	}
	wg.Wait()
	if db.completer.running != 0 || len(db.completer.pending) != 0 {
		t.Errorf("completer left running %d, pending %d", db.completer.running, len(db.completer.pending))
	}
}

// The delivery claimed with a result is the earliest due over every
// channel: a channel waiting for its first post does not wait behind the
// next post of the channel just freed.
func TestCompleteAndClaimNextTakesTheEarliestDue(t *testing.T) {
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "acme")
	mustChannel(t, db, ws.ID, "a", "outbox")
	mustChannel(t, db, ws.ID, "b", "outbox")
	mustApply(t, db, ws.ID, "p", []herald.Post{mkPost("a1", 2, t0, "A1", "a"), mkPost("a2", 3, t0.Add(time.Second), "A2", "a"),
		mkPost("b1", 4, t0, "B1", "b")})
	now := t0.Add(2 * time.Second)
	jobs, err := db.ClaimDue(ctx, "w1", now, time.Minute, 1)
	if err != nil || len(jobs) != 1 || jobs[0].Delivery.PostKey != "a1" {
		t.Fatalf("claim: %+v %v, want a1", jobs, err)
	}
	next, err := db.CompleteAndClaimNext(ctx, "w1", jobs[0], herald.Result{Outcome: herald.OutcomePublished, RemoteID: "1"}, now, time.Time{}, time.Minute)
	if err != nil || next == nil || next.Delivery.PostKey != "b1" {
		t.Fatalf("next: %+v %v, want b1 (due at t0) before a2 (due a second later)", next, err)
	}
	next, err = db.CompleteAndClaimNext(ctx, "w1", *next, herald.Result{Outcome: herald.OutcomePublished, RemoteID: "2"}, now, time.Time{}, time.Minute)
	if err != nil || next == nil || next.Delivery.PostKey != "a2" {
		t.Fatalf("then: %+v %v, want a2", next, err)
	}
}

// A batch of results written together (one statement for all their
// deliveries, one for their attempts) leaves the database as the same
// results written one by one: every outcome, a row removed while
// publishing, a config update, a reauth, and two completions that are no
// longer theirs to write (another owner, a stale attempt), which conflict
// alone.
func TestBatchCompletionIsEachCompletion(t *testing.T) {
	names := []string{"c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8"}
	retryAt := t0.Add(time.Minute)
	results := map[string]herald.Result{
		"c0": {Outcome: herald.OutcomePublished, RemoteID: "42", URL: "https://t.me/c0/42", Request: "req", Response: "resp",
			ConfigUpdate: map[string]any{"chat_id": "-100"}},
		"c1": {Outcome: herald.OutcomeRetry, Reason: "HTTP 429", Throttled: true},
		"c2": {Outcome: herald.OutcomeFailed, Reason: "HTTP 400: text too long"},
		"c3": {Outcome: herald.OutcomeUnknown, Reason: "timeout after sending"},
		"c4": {Outcome: herald.OutcomeReauth},
		"c5": {Outcome: herald.OutcomeRetry, Reason: "HTTP 503"}, // row removed: cancelled
		"c6": {Outcome: herald.OutcomeReauth},                    // row removed: cancelled
		"c7": {Outcome: herald.OutcomePublished, RemoteID: "7"},  // another owner's
		"c8": {Outcome: herald.OutcomePublished, RemoteID: "8"},  // a stale attempt
	}
	// run completes every job, in one batch or one by one, and describes
	// what is then stored of each channel's delivery, with the errors.
	run := func(together bool) map[string]string {
		db := MustOpenDB(t)
		ws := mustWorkspace(t, db, "acme")
		var posts []herald.Post
		for i, n := range names {
			mustChannel(t, db, ws.ID, n, "telegram")
			posts = append(posts, mkPost("p-"+n, i+2, t0, "text "+n, n))
		}
		mustApply(t, db, ws.ID, "p", posts)
		jobs, err := db.ClaimDue(ctx, "w1", t0, time.Minute, 20)
		if err != nil || len(jobs) != len(names) {
			t.Fatalf("claim %d %v", len(jobs), err)
		}
		mustApply(t, db, ws.ID, "p", slices.DeleteFunc(slices.Clone(posts), func(p herald.Post) bool {
			return p.Key == "p-c5" || p.Key == "p-c6"
		}))
		var batch []*completion
		for _, j := range jobs {
			owner, n := "w1", j.Channel.Name
			if n == "c7" {
				owner = "w2"
			}
			if n == "c8" {
				j.Attempt = 3
			}
			c, err := prepareCompletion(owner, j, results[n], t0.Add(time.Second), retryAt)
			if err != nil {
				t.Fatal(err)
			}
			c.actor = herald.Actor{Kind: "scheduler", ID: owner}
			batch = append(batch, c)
		}
		if together {
			// applyBatch itself, not runBatch: runBatch's fallback (each
			// completion on its own after a failed batch) would hide a
			// batch statement that never works.
			if err := db.inTx(ctx, func(tx *sqlx.Tx) error { return db.applyBatch(ctx, tx, batch) }); err != nil {
				t.Fatal(err)
			}
		} else {
			for _, c := range batch {
				db.runBatch([]*completion{c})
			}
		}
		out := map[string]string{}
		for _, c := range batch {
			id := c.job.Delivery.ID
			d, err := db.Delivery(ctx, ws.ID, id)
			if err != nil {
				t.Fatal(err)
			}
			atts, _ := db.Attempts(ctx, ws.ID, id)
			evs, _ := db.DeliveryEvents(ctx, ws.ID, id)
			ch, _ := db.Channel(ctx, ws.ID, c.job.Channel.Name)
			s := fmt.Sprintf("err=%v\ndelivery %s %q %s %s %v next=%v lease=%q/%v attempts=%d\nchannel %s %q %v\n",
				c.err, d.Status, d.Error, d.RemoteID, d.URL, d.PublishedAt, d.NextAttemptAt, d.LeaseOwner, d.LeaseUntil, d.Attempts,
				ch.Status, ch.StatusReason, ch.Config)
			for _, a := range atts {
				s += fmt.Sprintf("attempt %d %s %q %q %q %s %s fin=%v retry=%v\n", a.Number, a.Outcome, a.Error,
					a.Request, a.Response, a.RemoteID, a.URL, a.FinishedAt, a.RetryAt)
			}
			throttled, _ := db.ThrottledAttempts(ctx, id)
			s += fmt.Sprintf("throttled %d\n", throttled)
			for _, e := range evs {
				s += fmt.Sprintf("event %s>%s %s %q attempt %d\n", e.From, e.To, e.Actor, e.Reason, e.Attempt)
			}
			out[c.job.Channel.Name] = s
		}
		return out
	}
	one, all := run(false), run(true)
	for _, n := range names {
		if one[n] != all[n] {
			t.Errorf("%s one by one:\n%s\nin one batch:\n%s", n, one[n], all[n])
		}
	}
	for n, want := range map[string]string{"c0": "delivery published", "c1": "delivery retrying", "c2": "delivery failed",
		"c3": "delivery unknown", "c4": "delivery scheduled", "c5": "delivery cancelled", "c6": "delivery cancelled",
		"c7": "delivery publishing", "c8": "delivery publishing"} {
		if !strings.Contains(all[n], want) {
			t.Errorf("%s:\n%s\nwant %q", n, all[n], want)
		}
	}
	for _, n := range []string{"c7", "c8"} {
		if !strings.Contains(all[n], "code=conflict") || !strings.Contains(all[n], "no longer publishing under this lease") {
			t.Errorf("%s should conflict:\n%s", n, all[n])
		}
	}
}
