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
	st := newFakeStore()
	pub := newFakePublisher(0)
	id := st.add("a", "fake", herald.Now(), "hello")
	state := map[string]string{"container_id": "c1"}
	st.set(id, func(d *herald.Delivery) { d.PlatformState = state })
	start(t, st, map[string]Publisher{"fake": pub}, Config{Tick: never})
	eventually(t, func() bool { return st.status(id) == herald.StatusPublished }, 2*time.Second, "published")
	pub.mu.Lock()
	req := pub.reqs[id][0]
	pub.mu.Unlock()
	if !maps.Equal(req.State, state) {
		t.Fatalf("request state %v, want %v", req.State, state)
	}

	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	ust, ids := unknownStore(t0, "x")
	ust.set(ids[0], func(d *herald.Delivery) { d.PlatformState = state })
	rec := &fakeReconciler{fakePublisher: newFakePublisher(0), looked: map[int64]time.Time{}}
	var got map[string]string
	rec.fn = func(req herald.PublishRequest, since time.Time) (herald.Result, bool, error) {
		got = req.State
		return herald.Result{}, false, nil
	}
	s := New(ust, map[string]Publisher{"rec": rec}, Config{Now: func() time.Time { return t0 }})
	if _, err := s.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(got, state) {
		t.Fatalf("reconcile request state %v, want %v", got, state)
	}
}
