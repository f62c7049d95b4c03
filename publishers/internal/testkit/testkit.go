// Package testkit holds what the publisher and fake tests share: a
// settable clock, a log sink safe for concurrent use, and the outbound
// client that allows loopback. Only tests import it.
package testkit

import (
	"bytes"
	"context"
	"net/netip"
	"sync"
	"time"

	"github.com/heraldhq/herald/publishers/outbound"
)

// Clock is a settable clock, shared by a fake, a publisher and their waits:
// Wait advances it instead of sleeping. Its methods are safe for concurrent
// use.
type Clock struct {
	mu     sync.Mutex
	t      time.Time
	waited time.Duration
}

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock on by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Wait moves the clock on by d at once, counts d in Waited and returns
// ctx's error.
func (c *Clock) Wait(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	c.waited += d
	return ctx.Err()
}

// Waited reports the total of every Wait so far.
func (c *Clock) Waited() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.waited
}

// SyncBuffer is a bytes.Buffer safe for concurrent Write and String: a log
// sink for publishes that run at once.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p; it never fails.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// AllowLoopback allows the loopback networks, where the fakes and media
// servers of the tests listen.
var AllowLoopback = outbound.Allow{Prefixes: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}}

// Loopback is the client adapter tests pass explicitly (HTTPClient): the
// default client refuses the loopback addresses their fakes listen on.
var Loopback = outbound.New(outbound.Options{Allow: AllowLoopback})
