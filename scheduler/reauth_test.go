package scheduler

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// A reauth outcome reaches the store as such (held, not failed or unknown),
// and the held channel is not published again.
func TestReauthOutcomeIsRecorded(t *testing.T) {
	st := newStore(t, nil)
	id := st.add("a", "fake", herald.Now(), "post")
	other := st.add("b", "fake", herald.Now(), "post")
	pub := newFakePublisher(0)
	pub.fn = func(_ context.Context, req herald.PublishRequest) herald.Result {
		if req.Channel.Name == "a" {
			return herald.Result{Outcome: herald.OutcomeReauth, Reason: "401 Unauthorized"}
		}
		return herald.Result{Outcome: herald.OutcomePublished, RemoteID: "1"}
	}
	start(t, st.DB, map[string]Publisher{"fake": pub}, Config{Tick: never})
	eventually(t, func() bool {
		a := st.attemptsOf(id)
		return len(a) == 1 && a[0].Outcome != "" && st.status(other) == herald.StatusPublished
	}, 2*time.Second, "reauth recorded")
	if a := st.attemptsOf(id)[0]; a.Outcome != herald.OutcomeReauth || a.Error != "401 Unauthorized" {
		t.Fatalf("attempt %+v, want reauth with the platform's reason", a)
	}
	if d := st.get(id); d.Status != herald.StatusScheduled || d.Error != "401 Unauthorized" {
		t.Fatalf("delivery %+v, want scheduled (held)", d)
	}
	if ch, err := st.Channel(context.Background(), st.wsID, "a"); err != nil || ch.Status != herald.ChannelNeedsReauth {
		t.Fatalf("channel %+v %v, want needs_reauth: it holds the delivery", ch, err)
	}
	if n := pub.callsOf(id); n != 1 {
		t.Fatalf("held delivery published %d times", n)
	}
}

// Throttled retries wait as asked and never count toward MaxAttempts; other
// retries still do.
func TestThrottledRetriesDoNotCount(t *testing.T) {
	st := newStore(t, nil)
	id := st.add("a", "fake", herald.Now(), "post")
	pub := newFakePublisher(0)
	var mu sync.Mutex
	calls := 0
	pub.fn = func(context.Context, herald.PublishRequest) herald.Result {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls <= 4 {
			return herald.Result{Outcome: herald.OutcomeRetry, Throttled: true, RetryAfter: time.Millisecond, Reason: "429"}
		}
		return herald.Result{Outcome: herald.OutcomeRetry, Reason: "503"}
	}
	start(t, st.DB, map[string]Publisher{"fake": pub}, Config{Tick: never, MaxAttempts: 2,
		BaseBackoff: time.Millisecond, MaxBackoff: time.Millisecond})
	eventually(t, func() bool { return st.status(id) == herald.StatusFailed }, 5*time.Second, "failed after the real attempts")
	d := st.get(id)
	if d.Attempts != 6 || !strings.HasPrefix(d.Error, "gave up after 2 attempts: 503") {
		t.Fatalf("delivery %+v: want 4 throttled + 2 counted attempts, then gave up after 2", d)
	}
}

// A throttled retry waits RetryAfter exactly, or about BaseBackoff when the
// platform named no wait: never the grown backoff of a late attempt.
func TestThrottledRetryDelay(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	clk := newClock(t0)
	st := newStore(t, clk.Now)
	ids := map[string]int64{}
	after := map[string]time.Duration{"given": time.Hour, "none": 0}
	for ch := range after {
		// Due an hour ago, tried and retried 11 times then (not throttled),
		// the last retry asked for t0.
		id := st.add(ch, "fake", t0.Add(-time.Hour), "post")
		st.retried(id, 11, t0.Add(-time.Hour), t0)
		ids[ch] = id
	}
	pub := newFakePublisher(0)
	pub.fn = func(_ context.Context, req herald.PublishRequest) herald.Result {
		return herald.Result{Outcome: herald.OutcomeRetry, Throttled: true, RetryAfter: after[req.Channel.Name]}
	}
	start(t, st.DB, map[string]Publisher{"fake": pub}, Config{Now: clk.Now, MaxAttempts: 3, Tick: never})
	for ch, id := range ids {
		eventually(t, func() bool { return st.get(id).Attempts == 12 && st.status(id) == herald.StatusRetrying }, 2*time.Second, ch+" retrying")
	}
	if got := st.get(ids["given"]).NextAttemptAt.Sub(t0); got != time.Hour {
		t.Errorf("retry after %s, want the platform's 1h", got)
	}
	if got := st.get(ids["none"]).NextAttemptAt.Sub(t0); got < 4*time.Second || got > 6*time.Second {
		t.Errorf("retry after %s, want BaseBackoff 5s ±20%%", got)
	}
}

// fakeReconciler is a publisher that can look up posts.
type fakeReconciler struct {
	*fakePublisher
	fn func(req herald.PublishRequest, since time.Time) (herald.Result, bool, error)

	mu     sync.Mutex
	looked map[int64]time.Time // delivery id → since
}

func (r *fakeReconciler) Reconcile(ctx context.Context, req herald.PublishRequest, since time.Time) (herald.Result, bool, error) {
	r.mu.Lock()
	r.looked[req.DeliveryID] = since
	r.mu.Unlock()
	return r.fn(req, since)
}

func TestReconcileResolvesFoundLeavesOthers(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	now := t0.Add(time.Hour)
	st := newStore(t, func() time.Time { return now })
	ids := st.unknowns(t0, "found", "missing", "broken")
	plain := st.add("plain", "plain", t0, "found")
	st.unknownAfter(plain, t0, "timeout after sending")
	rec := &fakeReconciler{fakePublisher: newFakePublisher(0), looked: map[int64]time.Time{}}
	rec.fn = func(req herald.PublishRequest, since time.Time) (herald.Result, bool, error) {
		switch req.Message.Text {
		case "found":
			return herald.Result{RemoteID: "r1", URL: "https://example.social/@a/r1"}, true, nil
		case "broken":
			return herald.Result{}, false, errors.New("HTTP 503")
		}
		return herald.Result{}, false, nil
	}
	plainPub := newFakePublisher(0)
	s := New(st.DB, map[string]Publisher{"rec": rec, "plain": plainPub}, Config{Now: func() time.Time { return now }})
	n, err := s.Reconcile(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("Reconcile = %d, %v; want 1 resolved", n, err)
	}
	d := st.get(ids[0])
	if d.Status != herald.StatusPublished || d.RemoteID != "r1" || d.URL != "https://example.social/@a/r1" || !d.PublishedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("found delivery %+v", d)
	}
	for _, id := range []int64{ids[1], ids[2], plain} {
		if st.status(id) != herald.StatusUnknown {
			t.Errorf("delivery %d is %s, want left unknown", id, st.status(id))
		}
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.looked) != 3 || !rec.looked[ids[0]].Equal(t0.Add(-time.Hour)) {
		t.Errorf("looked up %v, want the 3 reconcilable deliveries since due − 1h", rec.looked)
	}
	if _, ok := rec.looked[plain]; ok || plainPub.callsOf(plain) != 0 {
		t.Error("a publisher without Reconcile was used")
	}
}

// The pass runs at Start and then every ReconcileEvery, until Shutdown.
func TestReconcileLoop(t *testing.T) {
	t0 := herald.Now()
	st := newStore(t, nil)
	ids := st.unknowns(t0, "found")
	rec := &fakeReconciler{fakePublisher: newFakePublisher(0), looked: map[int64]time.Time{}}
	var mu sync.Mutex
	ready := false
	rec.fn = func(herald.PublishRequest, time.Time) (herald.Result, bool, error) {
		mu.Lock()
		defer mu.Unlock()
		return herald.Result{RemoteID: "r1"}, ready, nil
	}
	s := start(t, st.DB, map[string]Publisher{"rec": rec}, Config{Tick: never, ReconcileEvery: 20 * time.Millisecond})
	eventually(t, func() bool {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return len(rec.looked) == 1
	}, 2*time.Second, "first pass at start")
	mu.Lock()
	ready = true
	mu.Unlock()
	eventually(t, func() bool { return st.status(ids[0]) == herald.StatusPublished }, 2*time.Second, "resolved by a later pass")
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}
