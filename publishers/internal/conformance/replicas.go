package conformance

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/testkit"
	"github.com/heraldhq/herald/publishers/outbound"
)

// Epoch is where the replica scenarios pin the clock of the fake and of
// both adapters: a fixed instant, so nothing depends on today's date.
var Epoch = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// Replicas runs the scenarios of two replicas of herald serve on one
// database, each on a fresh fake. The fake, A (the adapter Start returns)
// and B (Entry.Replica: another instance, its limits its own) read one
// clock pinned at Epoch, which only the scenario moves. The database's
// part is played by hand: B's request carries A's Result.Blocks, and B is
// called no earlier than A's Result.NotBefore.
//
//   - pace: A publishes at t; its NotBefore is exactly t+Entry.Pace (zero
//     when Pace is 0), in UTC. B, called at that NotBefore, publishes at
//     once, and its NotBefore is Pace after that.
//   - blocks: the platform throttles A (Throttle); A's Result.Blocks holds,
//     in UTC, a block reaching at least A's RetryAfter. B, given those
//     Blocks, answers a throttled retry with RetryAfter > 0 without a
//     single call to the platform, on the channel and, for a Sharer, on
//     its SharedChannel. Once the blocks and A's NotBefore are over, B
//     publishes on the channel.
//
// An Entry without Replica fails them, unless its Platform scripts no
// Throttle and its Pace is 0 (it calls nothing: the outbox), where they
// are skipped.
func Replicas(t *testing.T, e Entry) {
	t.Run("pace", func(t *testing.T) { replicaPace(t, e) })
	t.Run("blocks", func(t *testing.T) { replicaBlocks(t, e) })
}

// replicas are two instances of one platform's adapter against one fake.
type replicas struct {
	p     Platform
	a, b  Publisher
	clock *testkit.Clock
	calls *atomic.Int64 // B's calls to the platform
}

func startReplicas(t *testing.T, e Entry) replicas {
	t.Helper()
	clock := testkit.NewClock(Epoch)
	p, a := e.Start(t, testkit.Loopback, clock)
	t.Cleanup(p.Close)
	if e.Replica == nil {
		if !supports(p, Throttle) && e.Pace == 0 {
			t.Skipf("%s paces nothing and scripts no %s", p.Name(), Throttle)
		}
		t.Fatalf("%s has no Replica: two replicas of herald serve must share its pace and waits through the database", p.Name())
	}
	client, calls := counting(t)
	return replicas{p: p, a: a, b: e.Replica(p, client, clock), clock: clock, calls: calls}
}

func replicaPace(t *testing.T, e Entry) {
	r := startReplicas(t, e)
	t0 := r.clock.Now()
	resA := publish(t, r.a, request(e, r.p, "replica-a"))
	if resA.Outcome != herald.OutcomePublished {
		t.Fatalf("A: outcome %q (reason %q), want published", resA.Outcome, resA.Reason)
	}
	if err := expectNotBefore(resA, t0, e.Pace); err != "" {
		t.Fatalf("A: %s", err)
	}
	if e.Pace == 0 {
		return
	}
	// The database holds the channel until A's NotBefore; then B claims it.
	r.clock.Add(resA.NotBefore.Sub(t0))
	req := request(e, r.p, "replica-b")
	req.Blocks = resA.Blocks
	resB := publish(t, r.b, req)
	if resB.Outcome != herald.OutcomePublished {
		t.Fatalf("B at A's NotBefore: outcome %q throttled=%v retry_after=%s (reason %q), want published",
			resB.Outcome, resB.Throttled, resB.RetryAfter, resB.Reason)
	}
	if err := expectNotBefore(resB, resA.NotBefore, e.Pace); err != "" {
		t.Fatalf("B: %s", err)
	}
	if n := len(r.p.Posted()); n != 2 {
		t.Errorf("the fake published %d posts, want 2", n)
	}
}

// expectNotBefore checks res.NotBefore after a post at t: t+pace in UTC,
// or zero without a pace. It returns what is wrong, or "".
func expectNotBefore(res herald.Result, t time.Time, pace time.Duration) string {
	switch {
	case pace == 0 && !res.NotBefore.IsZero():
		return "NotBefore " + res.NotBefore.String() + " without a documented pace, want zero"
	case pace == 0:
		return ""
	case !res.NotBefore.Equal(t.Add(pace)):
		return "NotBefore " + res.NotBefore.String() + ", want the documented pace " + pace.String() + " after the post: " + t.Add(pace).String()
	case res.NotBefore.Location() != time.UTC:
		return "NotBefore " + res.NotBefore.String() + " is not in UTC"
	}
	return ""
}

func replicaBlocks(t *testing.T, e Entry) {
	r := startReplicas(t, e)
	if !supports(r.p, Throttle) {
		t.Skipf("%s does not script %s", r.p.Name(), Throttle)
	}
	t0 := r.clock.Now()
	r.p.Script(Throttle)
	resA := publish(t, r.a, request(e, r.p, "replica-a"))
	if err := Expect(Throttle, resA); err != nil {
		t.Fatalf("A: %v", err)
	}
	last := resA.NotBefore
	for key, until := range resA.Blocks {
		if !strings.HasPrefix(key, r.p.Name()+":") {
			t.Errorf("A's block of %q: a key must start with the platform's name and ':' (the scheduler passes a platform's blocks by that prefix)", key)
		}
		if !until.After(t0) || until.Location() != time.UTC {
			t.Errorf("A's block of %s until %v: want a later instant than the call (%v), in UTC", key, until, t0)
		}
		if until.After(last) {
			last = until
		}
	}
	if last.Before(t0.Add(resA.RetryAfter)) {
		t.Fatalf("A was told to wait %s, but its Blocks %v and NotBefore %v hold nothing as long: another replica would call",
			resA.RetryAfter, resA.Blocks, resA.NotBefore)
	}

	// Within A's wait, B — given A's Blocks — holds back without calling.
	channels := []*herald.Channel{r.p.Channel()}
	if s, ok := r.p.(Sharer); ok {
		channels = append(channels, s.SharedChannel())
	}
	r.clock.Add(resA.RetryAfter / 2)
	for _, ch := range channels {
		req := requestOn(e, ch, "replica-b")
		req.Blocks = resA.Blocks
		res := publish(t, r.b, req)
		if res.Outcome != herald.OutcomeRetry || !res.Throttled || res.RetryAfter <= 0 {
			t.Errorf("B on channel %d within A's block: got %q throttled=%v retry_after=%s (reason %q), want a throttled retry",
				ch.ID, res.Outcome, res.Throttled, res.RetryAfter, res.Reason)
		}
		if n := r.calls.Swap(0); n != 0 {
			t.Errorf("B on channel %d within A's block called the platform %d times, want none", ch.ID, n)
		}
	}
	if n := len(r.p.Posted()); n != 0 {
		t.Fatalf("the fake published %d posts within the block, want none", n)
	}

	// Once the blocks are over, the channel is B's to publish on.
	r.clock.Add(last.Sub(r.clock.Now()))
	req := request(e, r.p, "replica-b-after")
	req.Blocks = resA.Blocks
	if res := publish(t, r.b, req); res.Outcome != herald.OutcomePublished {
		t.Fatalf("B after A's blocks: outcome %q throttled=%v retry_after=%s (reason %q), want published",
			res.Outcome, res.Throttled, res.RetryAfter, res.Reason)
	}
}

// counting returns a client that allows loopback and counts the requests
// sent through it.
func counting(t *testing.T) (*http.Client, *atomic.Int64) {
	c := outbound.New(outbound.Options{Allow: testkit.AllowLoopback})
	tr := c.Transport
	if h, ok := tr.(*http.Transport); ok {
		t.Cleanup(h.CloseIdleConnections)
	}
	n := new(atomic.Int64)
	c.Transport = roundTripper(func(r *http.Request) (*http.Response, error) {
		n.Add(1)
		return tr.RoundTrip(r)
	})
	return c, n
}
