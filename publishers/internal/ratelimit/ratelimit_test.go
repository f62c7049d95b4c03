package ratelimit

import (
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestDelayPacesAfterTheBurst(t *testing.T) {
	c := newClock()
	s := New(c.Now).Begin(nil)
	for i := range 3 {
		if d := s.Delay("telegram:1", time.Second, 3); d != 0 {
			t.Fatalf("call %d of the burst: wait %s, want 0", i+1, d)
		}
	}
	if d := s.Delay("telegram:1", time.Second, 3); d != time.Second {
		t.Fatalf("4th call: wait %s, want 1s", d)
	}
	// The refused call took no slot: after the wait exactly one call goes.
	c.Add(time.Second)
	if d := s.Delay("telegram:1", time.Second, 3); d != 0 {
		t.Fatalf("after the wait: %s, want 0", d)
	}
	if d := s.Delay("telegram:1", time.Second, 3); d != time.Second {
		t.Fatalf("the next: %s, want 1s", d)
	}
	// Keys are independent.
	if d := s.Delay("telegram:2", time.Second, 3); d != 0 {
		t.Fatalf("another key: %s, want 0", d)
	}
}

func TestBlockUntil(t *testing.T) {
	c := newClock()
	s := New(c.Now).Begin(nil)
	s.BlockUntil("mastodon:7", c.Now().Add(30*time.Second))
	s.BlockUntil("mastodon:7", c.Now().Add(10*time.Second)) // earlier: ignored
	if d := s.Delay("mastodon:7", 0, 0); d != 30*time.Second {
		t.Fatalf("blocked: wait %s, want 30s", d)
	}
	if d := s.Blocked("mastodon:7"); d != 30*time.Second {
		t.Fatalf("Blocked: %s, want 30s", d)
	}
	c.Add(29 * time.Second)
	if d := s.Delay("mastodon:7", time.Second, 1); d != time.Second {
		t.Fatalf("still blocked: %s, want 1s", d)
	}
	c.Add(time.Second)
	if d := s.Delay("mastodon:7", time.Second, 1); d != 0 {
		t.Fatalf("after the block: %s, want 0", d)
	}
	if d := s.Blocked("mastodon:7"); d != 0 {
		t.Fatalf("Blocked after: %s", d)
	}
}

func TestDelayAllTakesAllOrNothing(t *testing.T) {
	c := newClock()
	s := New(c.Now).Begin(nil)
	chat := Limit{Key: "chat", Every: time.Second, Burst: 1}
	bot := Limit{Key: "bot", Every: 10 * time.Second, Burst: 2}
	if d := s.DelayAll(chat, bot); d != 0 {
		t.Fatalf("first: %s", d)
	}
	if d := s.DelayAll(chat, bot); d != time.Second {
		t.Fatalf("second: %s, want 1s (the chat's pace)", d)
	}
	// The refused call must not have used the bot's second slot.
	if d := s.Delay("bot", 10*time.Second, 2); d != 0 {
		t.Fatalf("bot slot was taken by a refused call: %s", d)
	}
	c.Add(time.Second)
	if d := s.DelayAll(chat, bot); d != 9*time.Second {
		t.Fatalf("bot exhausted: %s, want 9s", d)
	}
	// ...and the chat slot stays free.
	if d := s.Delay("chat", time.Second, 1); d != 0 {
		t.Fatalf("chat slot was taken by a refused call: %s", d)
	}
}

func TestPaceChangesApply(t *testing.T) {
	c := newClock()
	s := New(c.Now).Begin(nil)
	s.Delay("k", time.Second, 1)
	if d := s.Delay("k", 3*time.Second, 1); d != 3*time.Second {
		t.Fatalf("slower pace: %s, want 3s", d)
	}
}

func TestConcurrentUse(t *testing.T) {
	s := New(nil).Begin(nil)
	var wg sync.WaitGroup
	var mu sync.Mutex
	went := 0
	for range 50 {
		wg.Go(func() {
			if s.Delay("k", time.Hour, 5) == 0 {
				mu.Lock()
				went++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if went != 5 {
		t.Fatalf("%d calls went, want the burst of 5", went)
	}
}

func TestBlockForCountsFromTheSetsClock(t *testing.T) {
	c := newClock()
	s := New(c.Now).Begin(nil)
	s.BlockFor("k", 30*time.Second)
	if got := s.Blocked("k"); got != 30*time.Second {
		t.Fatalf("Blocked = %s, want 30s", got)
	}
	c.Add(10 * time.Second)
	s.BlockFor("k", 5*time.Second) // shorter than what is left: ignored
	if got := s.Delay("k", 0, 1); got != 20*time.Second {
		t.Fatalf("Delay = %s, want 20s", got)
	}
}

func TestThrottleMakesAThrottledRetryAndHoldsTheKey(t *testing.T) {
	s := New(newClock().Now).Begin(nil)
	res := herald.Result{Outcome: herald.OutcomeFailed, Reason: "429"}
	s.Throttle("k", &res, time.Minute)
	if res.Outcome != herald.OutcomeRetry || !res.Throttled || res.RetryAfter != time.Minute || res.Reason != "429" {
		t.Fatalf("got %+v", res)
	}
	if got := s.Blocked("k"); got != time.Minute {
		t.Fatalf("Blocked = %s, want 1m", got)
	}
	s.Throttle("other", &res, 0) // no wait named: nothing held
	if got := s.Blocked("other"); got != 0 {
		t.Fatalf("Blocked(other) = %s, want 0", got)
	}
}
