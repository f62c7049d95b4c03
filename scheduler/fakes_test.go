package scheduler

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// fakeStore implements Store in memory with the contract's semantics: at
// most one claim per channel, each channel's earliest (due_at, id)
// scheduled/retrying delivery, only when due and the channel has nothing
// publishing; leases; Complete only under the owner's lease.
type fakeStore struct {
	mu       sync.Mutex
	nextID   int64
	recs     map[int64]*fakeRec
	lateness time.Duration

	claimCalls    int
	completeCalls int
	released      []int64
	failComplete  int             // the next n Complete calls fail with an internal error
	completeErr   error           // when set, every Complete fails with it
	held          map[string]bool // channels in needs_reauth: not claimed
	resolved      []int64         // ResolveUnknown calls that succeeded
}

type fakeRec struct {
	d        herald.Delivery
	ch       herald.Channel
	msg      herald.Message
	attempts []fakeAttempt
}

type fakeAttempt struct {
	number    int
	outcome   herald.Outcome
	reason    string
	retryAt   time.Time
	throttled bool
}

func newFakeStore() *fakeStore {
	return &fakeStore{recs: map[int64]*fakeRec{}, lateness: herald.DefaultMaxLateness, held: map[string]bool{}}
}

// add schedules a delivery of text on channel (platform) due at due.
func (f *fakeStore) add(channel, platform string, due time.Time, text string) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	id := f.nextID
	f.recs[id] = &fakeRec{
		d: herald.Delivery{ID: id, Workspace: "ws", ChannelName: channel, Platform: platform,
			Status: herald.StatusScheduled, DueAt: due, NextAttemptAt: due,
			IdempotencyKey: fmt.Sprintf("herald-%d-abc", id)},
		ch:  herald.Channel{Name: channel, Platform: platform, Credentials: map[string]string{"token": "SECRET-TOKEN"}},
		msg: herald.Message{Text: text},
	}
	return id
}

// set changes a delivery in place (to seed publishing/expired states).
func (f *fakeStore) set(id int64, fn func(d *herald.Delivery)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(&f.recs[id].d)
}

func (f *fakeStore) get(id int64) herald.Delivery {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.recs[id].d
}

func (f *fakeStore) attemptsOf(id int64) []fakeAttempt {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeAttempt(nil), f.recs[id].attempts...)
}

// count returns how many deliveries are in status.
func (f *fakeStore) count(status herald.DeliveryStatus) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.recs {
		if r.d.Status == status {
			n++
		}
	}
	return n
}

func (f *fakeStore) status(id int64) herald.DeliveryStatus { return f.get(id).Status }

func (f *fakeStore) ClaimDue(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]herald.Job, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.claimCalls++
	heads := map[string]*fakeRec{}
	busy := map[string]bool{}
	for _, r := range f.recs {
		switch r.d.Status {
		case herald.StatusScheduled, herald.StatusRetrying:
			if r.d.DueAt.Add(f.lateness).Before(now) {
				r.d.Status = herald.StatusMissed
				r.d.Error = fmt.Sprintf("missed: due at %s and not published within the lateness window", r.d.DueAt)
				continue
			}
			h := heads[r.ch.Name]
			if h == nil || r.d.DueAt.Before(h.d.DueAt) || (r.d.DueAt.Equal(h.d.DueAt) && r.d.ID < h.d.ID) {
				heads[r.ch.Name] = r
			}
		case herald.StatusPublishing:
			busy[r.ch.Name] = true
		}
	}
	var cands []*fakeRec
	for name, h := range heads {
		if !busy[name] && !f.held[name] && !h.d.NextAttemptAt.After(now) {
			cands = append(cands, h)
		}
	}
	sort.Slice(cands, func(i, j int) bool {
		a, b := cands[i].d, cands[j].d
		if !a.DueAt.Equal(b.DueAt) {
			return a.DueAt.Before(b.DueAt)
		}
		return a.ID < b.ID
	})
	if len(cands) > limit {
		cands = cands[:limit]
	}
	jobs := make([]herald.Job, 0, len(cands))
	for _, r := range cands {
		until := now.Add(lease)
		r.d.Status = herald.StatusPublishing
		r.d.Attempts++
		r.d.LeaseOwner, r.d.LeaseUntil = owner, &until
		r.attempts = append(r.attempts, fakeAttempt{number: r.d.Attempts})
		jobs = append(jobs, herald.Job{Delivery: r.d, Channel: r.ch, Message: r.msg, Attempt: r.d.Attempts})
	}
	return jobs, nil
}

func (f *fakeStore) Complete(ctx context.Context, owner string, job herald.Job, res herald.Result, finished, retryAt time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.completeCalls++
	if f.completeErr != nil {
		return f.completeErr
	}
	if f.failComplete > 0 {
		f.failComplete--
		return errors.New("database is locked")
	}
	r := f.recs[job.Delivery.ID]
	if r == nil || r.d.Status != herald.StatusPublishing || r.d.LeaseOwner != owner {
		return herald.Errorf(herald.ECONFLICT, "delivery %d is not publishing under %s's lease", job.Delivery.ID, owner)
	}
	switch res.Outcome {
	case herald.OutcomePublished:
		r.d.Status, r.d.RemoteID, r.d.URL, r.d.PublishedAt, r.d.Error = herald.StatusPublished, res.RemoteID, res.URL, &finished, ""
	case herald.OutcomeRetry:
		r.d.Status, r.d.NextAttemptAt, r.d.Error = herald.StatusRetrying, retryAt, res.Reason
	case herald.OutcomeFailed:
		r.d.Status, r.d.Error = herald.StatusFailed, res.Reason
	case herald.OutcomeUnknown:
		r.d.Status, r.d.Error = herald.StatusUnknown, res.Reason
	case herald.OutcomeReauth:
		r.d.Status, r.d.Error = herald.StatusScheduled, res.Reason
		f.held[r.ch.Name] = true
	default:
		return fmt.Errorf("bad outcome %q", res.Outcome)
	}
	a := &r.attempts[len(r.attempts)-1]
	a.outcome, a.reason, a.retryAt = res.Outcome, res.Reason, retryAt
	a.throttled = res.Outcome == herald.OutcomeRetry && res.Throttled
	r.d.LeaseOwner, r.d.LeaseUntil = "", nil
	return nil
}

func (f *fakeStore) Release(ctx context.Context, owner string, ids []int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range ids {
		r := f.recs[id]
		if r == nil || r.d.Status != herald.StatusPublishing || r.d.LeaseOwner != owner {
			continue
		}
		r.d.Attempts--
		r.d.Status = herald.StatusScheduled
		if r.d.Attempts > 0 {
			r.d.Status = herald.StatusRetrying
		}
		r.attempts = r.attempts[:len(r.attempts)-1]
		r.d.LeaseOwner, r.d.LeaseUntil = "", nil
		f.released = append(f.released, id)
	}
	return nil
}

func (f *fakeStore) RenewLeases(ctx context.Context, owner string, ids []int64, until time.Time) ([]int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var lost []int64
	for _, id := range ids {
		r := f.recs[id]
		if r == nil || r.d.Status != herald.StatusPublishing || r.d.LeaseOwner != owner {
			lost = append(lost, id)
			continue
		}
		u := until
		r.d.LeaseUntil = &u
	}
	return lost, nil
}

func (f *fakeStore) Heartbeat(ctx context.Context, now time.Time) error { return nil }

// Elect: the fake's only process leads.
func (f *fakeStore) Elect(ctx context.Context, duty string, now time.Time, term time.Duration) (bool, error) {
	return true, nil
}

func (f *fakeStore) Resign(ctx context.Context, duty string) error { return nil }

// RecoverAbandoned: the fake is shared like a database of several processes.
func (f *fakeStore) RecoverAbandoned(ctx context.Context, owner string, now time.Time, idempotent func(platform string) bool) (int, error) {
	return f.RecoverExpired(ctx, now, idempotent)
}

func (f *fakeStore) RecoverExpired(ctx context.Context, now time.Time, idempotent func(platform string) bool) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.recs {
		if r.d.Status != herald.StatusPublishing || r.d.LeaseUntil == nil || !r.d.LeaseUntil.Before(now) {
			continue
		}
		n++
		if idempotent(r.ch.Platform) {
			r.d.Status, r.d.NextAttemptAt = herald.StatusRetrying, now
			r.d.Error = "lease expired; retried with the same idempotency key"
		} else {
			r.d.Status = herald.StatusUnknown
			r.d.Error = "the process stopped while publishing; the post may or may not be on the platform"
		}
		if len(r.attempts) > 0 {
			r.attempts[len(r.attempts)-1].outcome = herald.OutcomeUnknown
		}
		r.d.LeaseOwner, r.d.LeaseUntil = "", nil
	}
	return n, nil
}

func (f *fakeStore) NextDue(ctx context.Context) (time.Time, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var next time.Time
	ok := false
	for _, r := range f.recs {
		if r.d.Status == herald.StatusScheduled || r.d.Status == herald.StatusRetrying {
			if !ok || r.d.NextAttemptAt.Before(next) {
				next, ok = r.d.NextAttemptAt, true
			}
		}
	}
	return next, ok, nil
}

func (f *fakeStore) ThrottledAttempts(ctx context.Context, id int64) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, a := range f.recs[id].attempts {
		if a.throttled {
			n++
		}
	}
	return n, nil
}

func (f *fakeStore) UnknownDeliveries(ctx context.Context, limit int) ([]herald.Job, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var recs []*fakeRec
	for _, r := range f.recs {
		if r.d.Status == herald.StatusUnknown && !f.held[r.ch.Name] {
			recs = append(recs, r)
		}
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].d.ID < recs[j].d.ID })
	if len(recs) > limit {
		recs = recs[:limit]
	}
	jobs := make([]herald.Job, len(recs))
	for i, r := range recs {
		jobs[i] = herald.Job{Delivery: r.d, Channel: r.ch, Message: r.msg, Attempt: r.d.Attempts}
	}
	return jobs, nil
}

func (f *fakeStore) ResolveUnknown(ctx context.Context, id int64, res herald.Result, at time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.recs[id]
	if r == nil {
		return herald.Errorf(herald.ENOTFOUND, "delivery %d not found", id)
	}
	if r.d.Status != herald.StatusUnknown {
		return herald.Errorf(herald.ECONFLICT, "delivery %d is %s", id, r.d.Status)
	}
	r.d.Status, r.d.RemoteID, r.d.URL, r.d.PublishedAt, r.d.Error = herald.StatusPublished, res.RemoteID, res.URL, &at, ""
	r.d.Attempts++
	r.attempts = append(r.attempts, fakeAttempt{number: r.d.Attempts, outcome: herald.OutcomePublished, reason: "reconciled"})
	f.resolved = append(f.resolved, id)
	return nil
}

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
