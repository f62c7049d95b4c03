// Package ratelimit holds the per-key rate limiters the publisher adapters
// share: a token bucket per key for the platform's documented pace, and a
// block until a time the platform named (Retry-After, retry_after,
// X-RateLimit-Reset…). Adapters ask before calling the platform; a
// throttled delivery waits (a retry with Throttled set), it never fails.
//
// Keys are "<platform>:<channel id>" and, where the platform limits the
// app as a whole, "<platform>:app:<app id>".
package ratelimit

import (
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/heraldhq/herald"
)

// Set is a set of limiters keyed by string. It is safe for concurrent use.
// The zero value is not usable; use New.
type Set struct {
	now  func() time.Time
	mu   sync.Mutex
	keys map[string]*entry
}

type entry struct {
	lim     *rate.Limiter // nil until Delay gives a pace
	blocked time.Time     // no call before this instant
}

// New returns an empty Set reading the time from now (herald.Now when nil).
func New(now func() time.Time) *Set {
	if now == nil {
		now = herald.Now
	}
	return &Set{now: now, keys: make(map[string]*entry)}
}

// Delay reserves a call for key, paced at one call per every with bursts
// of up to burst calls, and returns how long the caller must wait first.
// 0 means go now (the slot is taken). When the result is > 0 nothing is
// reserved: the caller should not call the platform, and reports a
// throttled retry after the returned wait. A block set by BlockUntil
// counts too. every <= 0 applies no pace (only blocks); burst < 1 is 1.
// The pace of a key follows the latest every and burst given for it.
func (s *Set) Delay(key string, every time.Duration, burst int) time.Duration {
	return s.DelayAll(Limit{Key: key, Every: every, Burst: burst})
}

// Limit is one pace for DelayAll: one call per Every on Key, with bursts
// of up to Burst calls.
type Limit struct {
	Key   string
	Every time.Duration
	Burst int
}

// DelayAll is Delay over several limits at once (a chat's and the bot's,
// a channel's and the app's): it returns 0 and takes a slot on every key
// when all allow a call now, else the longest wait among them, taking
// nothing.
func (s *Set) DelayAll(limits ...Limit) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var wait time.Duration
	taken := make([]*rate.Reservation, 0, len(limits))
	for _, l := range limits {
		e := s.entry(l.Key)
		wait = max(wait, e.blocked.Sub(now))
		if l.Every <= 0 {
			continue
		}
		r := e.limiter(now, l.Every, max(l.Burst, 1)).ReserveN(now, 1)
		if !r.OK() {
			wait = max(wait, l.Every)
			continue
		}
		taken = append(taken, r)
		wait = max(wait, r.DelayFrom(now))
	}
	if wait > 0 {
		for i := len(taken) - 1; i >= 0; i-- {
			taken[i].CancelAt(now)
		}
		return wait
	}
	return 0
}

// limiter returns e's limiter set to the given pace.
func (e *entry) limiter(now time.Time, every time.Duration, burst int) *rate.Limiter {
	limit := rate.Every(every)
	if e.lim == nil {
		e.lim = rate.NewLimiter(limit, burst)
		// Anchor the new (full) bucket to the Set's clock.
		e.lim.SetLimitAt(now, limit)
	} else if e.lim.Limit() != limit || e.lim.Burst() != burst {
		e.lim.SetLimitAt(now, limit)
		e.lim.SetBurstAt(now, burst)
	}
	return e.lim
}

// BlockUntil holds every call for key until t: Delay answers at least the
// time left until then. An earlier t than a block already set is ignored,
// so the latest signal of several cannot shorten a wait.
func (s *Set) BlockUntil(key string, t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entry(key)
	if t.After(e.blocked) {
		e.blocked = t
	}
}

// BlockFor is BlockUntil d from now, by the Set's clock: the wait a
// platform named (Retry-After, retry_after, …) applied to key.
func (s *Set) BlockFor(key string, d time.Duration) {
	s.BlockUntil(key, s.now().Add(d))
}

// Throttle makes res a throttled retry after wait and, when wait > 0,
// holds key as long (BlockFor), so that the channel's other deliveries
// wait without calling the platform.
func (s *Set) Throttle(key string, res *herald.Result, wait time.Duration) {
	res.Outcome, res.Throttled, res.RetryAfter = herald.OutcomeRetry, true, wait
	if wait > 0 {
		s.BlockFor(key, wait)
	}
}

// Blocked reports how long key is still blocked by BlockUntil (0 when it
// is not), without reserving anything.
func (s *Set) Blocked(key string) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.keys[key]; ok {
		return max(0, e.blocked.Sub(s.now()))
	}
	return 0
}

func (s *Set) entry(key string) *entry {
	e, ok := s.keys[key]
	if !ok {
		e = &entry{}
		s.keys[key] = e
	}
	return e
}
