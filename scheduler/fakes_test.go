package scheduler

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// fakePublisher answers with fn (or published) after latency, and checks
// that no two calls for one channel overlap.
type fakePublisher struct {
	latency    time.Duration
	idempotent bool
	fn         func(ctx context.Context, req herald.PublishRequest) herald.Result

	mu          sync.Mutex
	inFlight    map[string]int
	running     int
	maxRunning  int
	overlaps    []string            // "channel: deliveries a and b at once"
	order       map[string][]int64  // channel → delivery ids in publish order
	calls       map[int64]int       // delivery id → publish calls
	started     map[int64]time.Time // delivery id → last call start
	finished    map[int64]time.Time // delivery id → last call end
	reqs        map[int64][]herald.PublishRequest
	channelBusy map[string]int64
}

func newFakePublisher(latency time.Duration) *fakePublisher {
	return &fakePublisher{latency: latency, inFlight: map[string]int{}, order: map[string][]int64{},
		calls: map[int64]int{}, started: map[int64]time.Time{}, finished: map[int64]time.Time{},
		reqs: map[int64][]herald.PublishRequest{}, channelBusy: map[string]int64{}}
}

func (p *fakePublisher) Idempotent() bool { return p.idempotent }

func (p *fakePublisher) Publish(ctx context.Context, req herald.PublishRequest) herald.Result {
	ch := req.Channel.Name
	p.mu.Lock()
	if p.inFlight[ch] > 0 {
		p.overlaps = append(p.overlaps, fmt.Sprintf("%s: deliveries %d and %d at once", ch, p.channelBusy[ch], req.DeliveryID))
	}
	p.inFlight[ch]++
	p.channelBusy[ch] = req.DeliveryID
	p.running++
	p.maxRunning = max(p.maxRunning, p.running)
	p.order[ch] = append(p.order[ch], req.DeliveryID)
	p.calls[req.DeliveryID]++
	p.started[req.DeliveryID] = herald.Now()
	p.reqs[req.DeliveryID] = append(p.reqs[req.DeliveryID], req)
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.inFlight[ch]--
		p.running--
		p.finished[req.DeliveryID] = herald.Now()
		p.mu.Unlock()
	}()
	if p.latency > 0 {
		t := time.NewTimer(p.latency)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return herald.Result{Outcome: herald.OutcomeUnknown, Reason: ctx.Err().Error()}
		}
	}
	if p.fn != nil {
		return p.fn(ctx, req)
	}
	return herald.Result{Outcome: herald.OutcomePublished, RemoteID: fmt.Sprint(req.DeliveryID)}
}

func (p *fakePublisher) callsOf(id int64) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[id]
}

func (p *fakePublisher) startedAt(id int64) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.started[id]
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// eventually fails the test unless cond becomes true within timeout.
func eventually(t testing.TB, cond func() bool, timeout time.Duration, what string) {
	t.Helper()
	deadline := herald.Now().Add(timeout)
	for !cond() {
		if herald.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// never is the tick of tests that must not rely on it (once a year).
const never = "0 0 0 1 1 *"

// start builds and starts a scheduler, shutting it down at test end.
func start(t testing.TB, st Store, pubs map[string]Publisher, cfg Config) *Scheduler {
	t.Helper()
	s := New(st, pubs, cfg)
	if err := s.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return s
}
