// Package ratelimit holds the per-key rate limiters the publisher adapters
// share: a token bucket per key for the platform's documented pace, and a
// block until a time the platform named (Retry-After, retry_after,
// X-RateLimit-Reset…). Adapters ask before calling the platform; a
// throttled delivery waits (a retry with Throttled set), it never fails.
//
// Keys are "<platform>:<channel id>" and, where the platform limits the
// app, a token or an account as a whole, "<platform>:app:<app id>",
// "<platform>:token:<hash>"… They never hold a secret: they travel
// through the database.
//
// A Set lives in one process. Several processes (replicas of herald serve
// on one database) share what matters through each publish (see Call):
// the blocks the database knows come in with the request and are imported
// before anything is decided, the blocks a publish set go back in its
// Result, and so does the instant the channel's pace allows its next call,
// which the database holds the channel's next claim until.
package ratelimit

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/heraldhq/herald"
)

// Set is a set of limiters keyed by string. It is safe for concurrent use.
// The zero value is not usable; use New. Adapters use it through a Call.
type Set struct {
	now  func() time.Time
	mu   sync.Mutex
	keys map[string]*entry
}

type entry struct {
	lim     *rate.Limiter // nil until a Limit gives a pace
	blocked time.Time     // no call before this instant
}

// New returns an empty Set reading the time from now (herald.Now when nil).
func New(now func() time.Time) *Set {
	if now == nil {
		now = herald.Now
	}
	return &Set{now: now, keys: make(map[string]*entry)}
}

// Limit is one pace: one call per Every on Key, with bursts of up to Burst
// calls (Burst < 1 is 1). Every <= 0 applies no pace: only Key's blocks.
type Limit struct {
	Key   string
	Every time.Duration
	Burst int
}

// delayAll reserves a call on every limit's key when all allow one now
// (returning 0), else returns the longest wait among them, taking nothing.
func (s *Set) delayAll(limits ...Limit) time.Duration {
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

// block holds key until t unless it is held as long already. It reports
// whether it moved the block to t.
func (s *Set) block(key string, t time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entry(key)
	if !t.After(e.blocked) {
		return false
	}
	e.blocked = t
	return true
}

// blocked is how long key is still blocked (0 when it is not).
func (s *Set) blocked(key string) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.keys[key]; ok {
		return max(0, e.blocked.Sub(s.now()))
	}
	return 0
}

// notBefore is the instant from which a process that never saw limits'
// keys would be right about them: every key's block is over and its
// bucket is full again. Zero when that is not after now. It reserves
// nothing.
func (s *Set) notBefore(limits ...Limit) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var at time.Time
	for _, l := range limits {
		e, ok := s.keys[l.Key]
		if !ok {
			continue
		}
		if e.blocked.After(at) {
			at = e.blocked
		}
		if l.Every <= 0 || e.lim == nil {
			continue
		}
		// Whole calls count exactly: one call after a full bucket is Every.
		if missing := float64(max(l.Burst, 1)) - e.lim.TokensAt(now); missing > 0 {
			if full := now.Add(time.Duration(math.Ceil(missing * float64(l.Every)))); full.After(at) {
				at = full
			}
		}
	}
	if !at.After(now) {
		return time.Time{}
	}
	return at.UTC()
}

func (s *Set) entry(key string) *entry {
	e, ok := s.keys[key]
	if !ok {
		e = &entry{}
		s.keys[key] = e
	}
	return e
}
