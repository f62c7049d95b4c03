package scheduler

import (
	"context"
	"maps"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// The delivery's saved platform state reaches the publisher (and a
// reconciler) as PublishRequest.State.
func TestPublishRequestCarriesState(t *testing.T) {
	st := newStore(t, nil)
	pub := newFakePublisher(0)
	pub.idempotent = true
	now := herald.Now()
	due := now.Add(-10 * time.Minute)
	id := st.add("a", "fake", due, "hello")
	state := map[string]string{"container_id": "c1"}
	// A process claimed it, saved a step of a multi-step publish and died;
	// its lease has expired, so Start recovers it for a retry.
	st.claimAs("dead-process", due, time.Minute, id)
	if err := st.SaveDeliveryState(context.Background(), id, state); err != nil {
		t.Fatal(err)
	}
	start(t, st.DB, map[string]Publisher{"fake": pub}, Config{Tick: never})
	eventually(t, func() bool { return st.status(id) == herald.StatusPublished }, 2*time.Second, "published")
	pub.mu.Lock()
	req := pub.reqs[id][0]
	pub.mu.Unlock()
	if !maps.Equal(req.State, state) {
		t.Fatalf("request state %v, want %v", req.State, state)
	}

	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	ust := newStore(t, func() time.Time { return t0 })
	uid := ust.add("ch-x", "rec", t0, "x")
	job := ust.claimAs("earlier-process", t0, time.Minute, uid)
	if err := ust.SaveDeliveryState(context.Background(), uid, state); err != nil {
		t.Fatal(err)
	}
	ust.complete("earlier-process", job, herald.Result{Outcome: herald.OutcomeUnknown, Reason: "timeout after sending"}, t0, time.Time{})
	rec := &fakeReconciler{fakePublisher: newFakePublisher(0), looked: map[int64]time.Time{}}
	var got map[string]string
	rec.fn = func(req herald.PublishRequest, since time.Time) (herald.Result, bool, error) {
		got = req.State
		return herald.Result{}, false, nil
	}
	s := New(ust.DB, map[string]Publisher{"rec": rec}, Config{Now: func() time.Time { return t0 }})
	if _, err := s.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(got, state) {
		t.Fatalf("reconcile request state %v, want %v", got, state)
	}
}

// A wait a platform named to one process reaches the next publish of that
// platform, in any process, as PublishRequest.Blocks.
func TestPublishRequestCarriesRateBlocks(t *testing.T) {
	st := newStore(t, nil)
	pub := newFakePublisher(0)
	now := herald.Now()
	first := st.add("a", "fake", now.Add(-time.Minute), "one")
	until := now.Add(time.Hour).Truncate(time.Millisecond).UTC()
	job := st.claimAs("another-process", now, time.Minute, first)
	st.complete("another-process", job, herald.Result{Outcome: herald.OutcomePublished, RemoteID: "r1",
		Blocks: map[string]time.Time{"fake:app:1": until}}, now, time.Time{})
	second := st.add("b", "fake", now.Add(-time.Second), "two")
	start(t, st.DB, map[string]Publisher{"fake": pub}, Config{Tick: never})
	eventually(t, func() bool { return st.status(second) == herald.StatusPublished }, 5*time.Second, "published")
	pub.mu.Lock()
	req := pub.reqs[second][0]
	pub.mu.Unlock()
	if got := req.Blocks["fake:app:1"]; len(req.Blocks) != 1 || !got.Equal(until) {
		t.Fatalf("request blocks %v, want fake:app:1 until %s", req.Blocks, until)
	}
}
