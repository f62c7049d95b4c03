// Package fakeserver holds the machinery the platform fakes share: a
// recorded log tests can wait on, a script of faults, a gate that holds
// calls until released, per-call latency and dropped connections.
package fakeserver

import (
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Log is an append-only, thread-safe record that can be waited on.
type Log[T any] struct {
	mu      sync.Mutex
	items   []T
	changed chan struct{}
}

// Append records v and wakes every waiter.
func (l *Log[T]) Append(v T) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.items = append(l.items, v)
	if l.changed != nil {
		close(l.changed)
		l.changed = nil
	}
}

// All returns a copy of what was recorded, in order.
func (l *Log[T]) All() []T {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]T(nil), l.items...)
}

// Wait returns the records once there are at least n, or an error naming
// how many arrived when timeout passes first.
func (l *Log[T]) Wait(n int, timeout time.Duration) ([]T, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		l.mu.Lock()
		if len(l.items) >= n {
			items := append([]T(nil), l.items...)
			l.mu.Unlock()
			return items, nil
		}
		if l.changed == nil {
			l.changed = make(chan struct{})
		}
		ch, got := l.changed, len(l.items)
		l.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			return l.All(), fmt.Errorf("waited %s for %d records, got %d", timeout, n, got)
		}
	}
}

// Script is a thread-safe queue of scripted faults.
type Script[F any] struct {
	mu sync.Mutex
	q  []F
}

// Push appends faults to the queue.
func (s *Script[F]) Push(faults ...F) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.q = append(s.q, faults...)
}

// Take removes and returns the first queued fault that match accepts.
func (s *Script[F]) Take(match func(F) bool) (F, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.q {
		if match(f) {
			s.q = append(s.q[:i:i], s.q[i+1:]...)
			return f, true
		}
	}
	var zero F
	return zero, false
}

// Len reports how many faults are still queued.
func (s *Script[F]) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.q)
}

// Gate holds calls until Release or Close. The zero value is not usable;
// use NewGate.
type Gate struct {
	mu      sync.Mutex
	open    chan struct{} // closed by Release; replaced for later calls
	closed  chan struct{} // closed by Close
	waiting int
	done    bool
}

// NewGate returns a closed gate: Hold blocks until Release.
func NewGate() *Gate {
	return &Gate{open: make(chan struct{}), closed: make(chan struct{})}
}

// Hold blocks until Release or Close is called.
func (g *Gate) Hold() {
	g.mu.Lock()
	if g.done {
		g.mu.Unlock()
		return
	}
	open := g.open
	g.waiting++
	g.mu.Unlock()
	select {
	case <-open:
	case <-g.closed:
	}
	g.mu.Lock()
	g.waiting--
	g.mu.Unlock()
}

// Release lets every call held so far go on; later calls are held again.
func (g *Gate) Release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	close(g.open)
	g.open = make(chan struct{})
}

// Waiting reports how many calls are held now.
func (g *Gate) Waiting() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.waiting
}

// Close releases every held call for good, and ends every Delay early.
func (g *Gate) Close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.done {
		g.done = true
		close(g.closed)
	}
}

// Delay waits d, or less when the gate is closed (the server shuts down).
func (g *Gate) Delay(d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-g.closed:
	}
}

// Drop closes the client's connection without answering.
func Drop(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("fakeserver: connection cannot be hijacked")
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(fmt.Sprintf("fakeserver: hijack: %v", err))
	}
	conn.Close()
}

// Latency is a thread-safe duration setting.
type Latency struct {
	mu sync.Mutex
	d  time.Duration
}

// Set changes the latency.
func (l *Latency) Set(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.d = d
}

// Get returns the latency.
func (l *Latency) Get() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.d
}
