package scheduler

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

func TestDueOrderPerChannelOneAtATimeParallelAcrossChannels(t *testing.T) {
	st := newStore(t, nil)
	pub := newFakePublisher(30 * time.Millisecond)
	now := herald.Now()
	want := map[string][]int64{}
	for _, ch := range []string{"a", "b", "c", "d", "e"} {
		// Inserted latest first, so id order is the reverse of due order.
		var ids []int64
		for k := 4; k >= 1; k-- {
			ids = append(ids, st.add(ch, "fake", now.Add(-time.Duration(5-k)*time.Second), "post"))
		}
		slices.Reverse(ids)
		want[ch] = ids
	}
	start(t, st.DB, map[string]Publisher{"fake": pub}, Config{Workers: 3, Tick: never})

	eventually(t, func() bool {
		for _, ids := range want {
			for _, id := range ids {
				if st.status(id) != herald.StatusPublished {
					return false
				}
			}
		}
		return true
	}, 5*time.Second, "every delivery published")

	pub.mu.Lock()
	defer pub.mu.Unlock()
	if len(pub.overlaps) > 0 {
		t.Errorf("concurrent publishes on one channel: %v", pub.overlaps)
	}
	if pub.maxRunning != 3 {
		t.Errorf("max concurrent publishes = %d, want 3 (Workers)", pub.maxRunning)
	}
	for ch, ids := range want {
		if got := pub.order[ch]; !slices.Equal(got, ids) {
			t.Errorf("channel %s published %v, want due order %v", ch, got, ids)
		}
	}
}

func TestPublishRequestCarriesJob(t *testing.T) {
	st := newStore(t, nil)
	pub := newFakePublisher(0)
	id := st.add("a", "fake", herald.Now(), "hello")
	start(t, st.DB, map[string]Publisher{"fake": pub}, Config{Tick: never})
	eventually(t, func() bool { return st.status(id) == herald.StatusPublished }, 2*time.Second, "published")
	pub.mu.Lock()
	req := pub.reqs[id][0]
	pub.mu.Unlock()
	if req.Workspace != "ws" || req.DeliveryID != id || req.IdempotencyKey == "" || req.IdempotencyKey != st.get(id).IdempotencyKey ||
		req.Attempt != 1 || req.Channel.Name != "a" || req.Channel.Credentials["token"] != "SECRET-TOKEN" || req.Message.Text != "hello" {
		t.Errorf("request = %+v", req)
	}
	if d := st.get(id); d.RemoteID != fmt.Sprint(id) || d.PublishedAt == nil {
		t.Errorf("delivery after publish = %+v", d)
	}
}

func TestRetryAtHonoursRetryAfterAndBackoff(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	clk := newClock(t0)
	st := newStore(t, clk.Now)
	cases := []struct {
		ch         string
		priorTries int
		retryAfter time.Duration
		lo, hi     time.Duration
	}{
		{"first", 0, 0, 4 * time.Second, 6 * time.Second},                     // 5s ±20 %
		{"fourth", 3, 0, 32 * time.Second, 48 * time.Second},                  // 5s·2³ = 40s ±20 %
		{"capped", 11, 0, 24 * time.Minute, 36 * time.Minute},                 // min(30m, 5s·2¹¹) ±20 %
		{"after-long", 0, time.Hour, time.Hour, time.Hour},                    // Retry-After wins
		{"after-equal", 0, 5 * time.Second, 5 * time.Second, 6 * time.Second}, // jitter never below Retry-After
	}
	after := map[string]time.Duration{}
	ids := map[string]int64{}
	for _, c := range cases {
		if c.priorTries == 0 {
			ids[c.ch] = st.add(c.ch, "fake", t0, "post")
		} else {
			// Due an hour ago, tried and retried then, the last retry asked for t0.
			id := st.add(c.ch, "fake", t0.Add(-time.Hour), "post")
			st.retried(id, c.priorTries, t0.Add(-time.Hour), t0)
			ids[c.ch] = id
		}
		after[c.ch] = c.retryAfter
	}
	pub := newFakePublisher(0)
	pub.fn = func(_ context.Context, req herald.PublishRequest) herald.Result {
		return herald.Result{Outcome: herald.OutcomeRetry, Reason: "throttled", RetryAfter: after[req.Channel.Name]}
	}
	start(t, st.DB, map[string]Publisher{"fake": pub}, Config{Now: clk.Now, MaxAttempts: 20, Tick: never})

	for _, c := range cases {
		id := ids[c.ch]
		eventually(t, func() bool { return st.status(id) == herald.StatusRetrying && st.get(id).Attempts == c.priorTries+1 },
			2*time.Second, c.ch+" retrying")
		d := st.get(id)
		if got := d.NextAttemptAt.Sub(t0); got < c.lo || got > c.hi {
			t.Errorf("%s: retry in %s, want within [%s, %s]", c.ch, got, c.lo, c.hi)
		}
		if d.Error != "throttled" {
			t.Errorf("%s: error %q, want the platform's reason", c.ch, d.Error)
		}
		if n := pub.callsOf(id); n != 1 {
			t.Errorf("%s: %d publish calls before retryAt, want 1", c.ch, n)
		}
	}
}

func TestRetryDelayJitterBounds(t *testing.T) {
	s := New(newStore(t, nil).DB, nil, Config{BaseBackoff: time.Second, MaxBackoff: time.Minute})
	for attempt := 1; attempt <= 70; attempt++ {
		want := min(time.Minute, time.Second<<min(attempt-1, 20))
		lo, hi := time.Duration(float64(want)*0.8), time.Duration(float64(want)*1.2)
		seenLow, seenHigh := false, false
		for range 300 {
			d := s.retryDelay(attempt, 0)
			if d < lo || d > hi {
				t.Fatalf("attempt %d: delay %s outside [%s, %s]", attempt, d, lo, hi)
			}
			seenLow = seenLow || d < time.Duration(float64(want)*0.9)
			seenHigh = seenHigh || d > time.Duration(float64(want)*1.1)
			if ra := hi + time.Millisecond; s.retryDelay(attempt, ra) != ra {
				t.Fatalf("attempt %d: Retry-After %s not honoured", attempt, ra)
			}
			if ra := want; s.retryDelay(attempt, ra) < ra {
				t.Fatalf("attempt %d: jitter went below Retry-After %s", attempt, ra)
			}
		}
		if !seenLow || !seenHigh {
			t.Errorf("attempt %d: no jitter spread (low %v, high %v)", attempt, seenLow, seenHigh)
		}
	}
}

func TestMaxAttemptsFails(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	clk := newClock(t0)
	st := newStore(t, clk.Now)
	id := st.add("a", "fake", t0, "post")
	pub := newFakePublisher(0)
	pub.fn = func(context.Context, herald.PublishRequest) herald.Result {
		return herald.Result{Outcome: herald.OutcomeRetry, Reason: "HTTP 503"}
	}
	s := start(t, st.DB, map[string]Publisher{"fake": pub}, Config{Now: clk.Now, MaxAttempts: 3, Tick: never})

	for attempt := 1; attempt < 3; attempt++ {
		eventually(t, func() bool { d := st.get(id); return d.Status == herald.StatusRetrying && d.Attempts == attempt },
			2*time.Second, "retrying")
		clk.Set(st.get(id).NextAttemptAt)
		s.Wake()
	}
	eventually(t, func() bool { return st.status(id) == herald.StatusFailed }, 2*time.Second, "failed")
	if got, want := st.get(id).Error, "gave up after 3 attempts: HTTP 503"; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
	pub.mu.Lock()
	defer pub.mu.Unlock()
	var attempts []int
	for _, r := range pub.reqs[id] {
		attempts = append(attempts, r.Attempt)
	}
	if !slices.Equal(attempts, []int{1, 2, 3}) {
		t.Errorf("attempt numbers sent = %v, want [1 2 3]", attempts)
	}
}

func TestPanicMissingPublisherAndBadOutcome(t *testing.T) {
	st := newStore(t, nil)
	now := herald.Now()
	boom := st.add("a", "panicky", now, "post")
	ghost := st.add("b", "ghost", now, "post")
	empty := st.add("c", "empty", now, "post")
	ok := st.add("d", "fake", now, "post")
	panicky := newFakePublisher(0)
	panicky.fn = func(context.Context, herald.PublishRequest) herald.Result { panic("boom: nil map") }
	emptyPub := newFakePublisher(0)
	emptyPub.fn = func(context.Context, herald.PublishRequest) herald.Result { return herald.Result{} }
	start(t, st.DB, map[string]Publisher{"panicky": panicky, "empty": emptyPub, "fake": newFakePublisher(0)}, Config{Tick: never})

	eventually(t, func() bool {
		return st.status(boom).Final() && st.status(ghost).Final() && st.status(empty).Final() && st.status(ok).Final()
	}, 2*time.Second, "all resolved")
	check := func(id int64, status herald.DeliveryStatus, errPart string) {
		t.Helper()
		d := st.get(id)
		if d.Status != status || !strings.Contains(d.Error, errPart) {
			t.Errorf("delivery %d: %s %q, want %s with %q", id, d.Status, d.Error, status, errPart)
		}
	}
	check(boom, herald.StatusUnknown, "publisher panicked: boom: nil map")
	check(ghost, herald.StatusFailed, "no publisher for platform ghost")
	check(empty, herald.StatusUnknown, "no valid outcome")
	check(ok, herald.StatusPublished, "")
}

func TestWakeClaimsImmediately(t *testing.T) {
	st := newStore(t, nil)
	pub := newFakePublisher(0)
	s := start(t, st.DB, map[string]Publisher{"fake": pub}, Config{Tick: never})
	// Nothing was due at start, so no timer is armed and the tick never comes:
	// only Wake can get this delivery out.
	id := st.add("a", "fake", herald.Now(), "post")
	s.Wake()
	eventually(t, func() bool { return st.status(id) == herald.StatusPublished }, 2*time.Second, "published after Wake")
}

func TestFinishedWorkerClaimsChannelsNextDelivery(t *testing.T) {
	st := newStore(t, nil)
	pub := newFakePublisher(10 * time.Millisecond)
	now := herald.Now()
	var ids []int64
	for range 5 {
		ids = append(ids, st.add("a", "fake", now, "post"))
	}
	start(t, st.DB, map[string]Publisher{"fake": pub}, Config{Tick: never})
	eventually(t, func() bool { return st.status(ids[4]) == herald.StatusPublished }, 2*time.Second, "the chain published")
	pub.mu.Lock()
	defer pub.mu.Unlock()
	if !slices.Equal(pub.order["a"], ids) {
		t.Errorf("order %v, want %v", pub.order["a"], ids)
	}
}

func TestPublishesAtDueTimeWithoutTick(t *testing.T) {
	st := newStore(t, nil)
	pub := newFakePublisher(0)
	due := herald.Now().Add(300 * time.Millisecond).Truncate(time.Millisecond) // as the store keeps it
	id := st.add("a", "fake", due, "post")
	start(t, st.DB, map[string]Publisher{"fake": pub}, Config{Tick: never})
	eventually(t, func() bool { return pub.callsOf(id) == 1 }, 2*time.Second, "published")
	if late := pub.startedAt(id).Sub(due); late < 0 || late > 150*time.Millisecond {
		t.Errorf("published %s after due, want within [0, 150ms]", late)
	}
}

func TestStartRecoversExpiredLeases(t *testing.T) {
	st := newStore(t, nil)
	now := herald.Now()
	expired := now.Add(-time.Minute)
	live := now.Add(time.Hour)
	// Each delivery was claimed, when it was due, by a process that died
	// publishing it: its lease runs until until.
	seed := func(platform string, until time.Time) int64 {
		due := now.Add(-10 * time.Minute)
		id := st.add("ch-"+platform, platform, due, "post")
		st.claimAs("dead-process", due, until.Sub(due), id)
		return id
	}
	idem, plain, ghost, held := seed("idem", expired), seed("plain", expired), seed("ghost", expired), seed("held", live)
	idemPub := newFakePublisher(0)
	idemPub.idempotent = true
	plainPub := newFakePublisher(0)
	heldPub := newFakePublisher(0)
	heldPub.idempotent = true
	start(t, st.DB, map[string]Publisher{"idem": idemPub, "plain": plainPub, "held": heldPub}, Config{Tick: never})

	// Recovery ran inside Start, before it returned.
	if s := st.status(plain); s != herald.StatusUnknown {
		t.Errorf("non-idempotent platform: status %s, want unknown", s)
	}
	if s := st.status(ghost); s != herald.StatusUnknown {
		t.Errorf("platform without publisher: status %s, want unknown", s)
	}
	eventually(t, func() bool { return st.status(idem) == herald.StatusPublished }, 2*time.Second, "idempotent delivery retried")
	idemPub.mu.Lock()
	req := idemPub.reqs[idem][0]
	idemPub.mu.Unlock()
	if req.Attempt != 2 || req.IdempotencyKey != st.get(idem).IdempotencyKey {
		t.Errorf("retry request attempt %d key %q", req.Attempt, req.IdempotencyKey)
	}
	if plainPub.callsOf(plain) != 0 || st.status(held) != herald.StatusPublishing || heldPub.callsOf(held) != 0 {
		t.Errorf("re-published a delivery that must not be: plain calls %d, held %s", plainPub.callsOf(plain), st.status(held))
	}
}

// hookPublisher is a fakePublisher whose idempotency is each channel's
// (config.idempotent), as the webhook adapter's.
type hookPublisher struct{ *fakePublisher }

func (p hookPublisher) IdempotentOn(ch herald.Channel) bool { return ch.Config["idempotent"] == true }

// A publisher that says per channel whether a retry is safe
// (ChannelIdempotent) decides the recovery of its expired claims: retried
// with the same key on a channel that says so, unknown on the others,
// though the platform as a whole is not idempotent.
func TestStartRecoversByChannelIdempotency(t *testing.T) {
	st := newStore(t, nil)
	due := herald.Now().Add(-10 * time.Minute)
	seed := func(name string, idempotent bool) int64 {
		if err := st.CreateChannel(context.Background(), &herald.Channel{WorkspaceID: st.wsID, Name: name, Platform: "hook",
			Timezone: "UTC", Config: map[string]any{"idempotent": idempotent}, Credentials: map[string]string{"token": "SECRET-TOKEN"}}); err != nil {
			t.Fatal(err)
		}
		id := st.add(name, "hook", due, "post")
		st.claimAs("dead-process", due, time.Minute, id) // its lease ended 9 minutes ago
		return id
	}
	safe, unsafe := seed("safe", true), seed("unsafe", false)
	pub := hookPublisher{newFakePublisher(0)}
	start(t, st.DB, map[string]Publisher{"hook": pub}, Config{Tick: never})
	if s := st.status(unsafe); s != herald.StatusUnknown {
		t.Errorf("channel without idempotency: status %s, want unknown", s)
	}
	eventually(t, func() bool { return st.status(safe) == herald.StatusPublished }, 2*time.Second, "idempotent channel's delivery retried")
	if n := pub.callsOf(unsafe); n != 0 {
		t.Errorf("the unknown delivery was published again (%d calls)", n)
	}
}

func TestLoopRecoversLeasesThatExpireLater(t *testing.T) {
	t0 := herald.Now()
	clk := newClock(t0)
	st := newStore(t, clk.Now)
	id := st.add("a", "plain", t0, "post")
	st.claimAs("other", t0, time.Second, id) // its lease runs until t0+1s
	s := start(t, st.DB, map[string]Publisher{}, Config{Now: clk.Now, Tick: never})
	if got := st.status(id); got != herald.StatusPublishing {
		t.Fatalf("after Start: %s, want publishing (its lease has not expired)", got)
	}
	clk.Set(t0.Add(recoverEvery + time.Second))
	s.Wake()
	eventually(t, func() bool { return st.status(id) == herald.StatusUnknown }, 2*time.Second, "recovered by the loop")
}

func TestCompleteRetriedOnStoreErrorNotOnLostLease(t *testing.T) {
	st := newStore(t, nil)
	busy := &busyComplete{DB: st.DB, fail: 2}
	id := st.add("a", "fake", herald.Now(), "post")
	start(t, busy, map[string]Publisher{"fake": newFakePublisher(0)}, Config{Tick: never})
	eventually(t, func() bool { return st.status(id) == herald.StatusPublished }, 5*time.Second, "published despite store errors")
	if n := busy.completeCalls(); n != 3 {
		t.Errorf("Complete called %d times, want 3", n)
	}

	// The lease is lost while publishing: another process recovers the
	// delivery, as if this one had stalled past its lease. The store refuses
	// the late result (ECONFLICT), which is not retried.
	st2 := newStore(t, nil)
	counted := &busyComplete{DB: st2.DB}
	id2 := st2.add("a", "fake", herald.Now(), "post")
	pub := newFakePublisher(0)
	var takeover struct {
		sync.Mutex
		n   int
		err error
	}
	pub.fn = func(_ context.Context, req herald.PublishRequest) herald.Result {
		n, err := st2.RecoverExpired(context.Background(), herald.Now().Add(time.Hour), nil)
		takeover.Lock()
		takeover.n, takeover.err = n, err
		takeover.Unlock()
		return herald.Result{Outcome: herald.OutcomePublished, RemoteID: "late"}
	}
	s2 := start(t, counted, map[string]Publisher{"fake": pub}, Config{Tick: never})
	eventually(t, func() bool {
		s2.mu.Lock()
		defer s2.mu.Unlock()
		return counted.completeCalls() > 0 && s2.busy == 0
	}, 2*time.Second, "worker done")
	takeover.Lock()
	n, err := takeover.n, takeover.err
	takeover.Unlock()
	if n != 1 || err != nil {
		t.Fatalf("takeover recovered %d: %v, want the delivery", n, err)
	}
	if n := counted.completeCalls(); n != 1 {
		t.Errorf("Complete called %d times after a lost lease, want 1", n)
	}
	if d := st2.get(id2); d.Status != herald.StatusUnknown || d.RemoteID != "" {
		t.Errorf("after the refused result: %s remote id %q, want unknown as the takeover left it", d.Status, d.RemoteID)
	}
}

func TestStartValidatesConfig(t *testing.T) {
	st := newStore(t, nil)
	s := New(st.DB, nil, Config{})
	if s.cfg.Workers != 64 || s.cfg.Lease != 30*time.Second || s.cfg.PublishTimeout != time.Minute ||
		s.cfg.ShutdownGrace != 30*time.Second || s.cfg.MaxAttempts != 10 || s.cfg.BaseBackoff != 5*time.Second ||
		s.cfg.MaxBackoff != 30*time.Minute || s.cfg.Tick != "* * * * * *" || s.Owner() == "" {
		t.Errorf("defaults = %+v", s.cfg)
	}
	if o := New(st.DB, nil, Config{}).Owner(); o == s.Owner() {
		t.Errorf("two schedulers share owner %q", o)
	}
	for name, cfg := range map[string]Config{
		"lease too short to renew": {Lease: time.Second / 2},
		"tick without seconds":     {Tick: "* * * * *"},
		"max below base backoff":   {BaseBackoff: time.Minute, MaxBackoff: time.Second},
	} {
		if err := New(st.DB, nil, cfg).Start(context.Background()); herald.ErrorCode(err) != herald.EINVALID {
			t.Errorf("%s: Start = %v, want EINVALID", name, err)
		}
	}
}
