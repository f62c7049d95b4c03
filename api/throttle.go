package api

import (
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Defaults of the throttle on failed sign-ins by address.
const (
	defaultAuthFailureBurst = 20
	defaultAuthFailureEvery = 3 * time.Second
	// Defaults of the throttle on wrong passwords, per email and per address.
	defaultLoginFailureBurst = 10
	defaultLoginFailureEvery = 30 * time.Second
	// maxThrottled bounds the addresses remembered; past it the oldest
	// state is dropped (a flood from many addresses costs memory no more).
	maxThrottled = 10_000
)

// failureThrottle limits how many wrong tokens one address may try: a
// burst, then one every interval. Its state is per process.
type failureThrottle struct {
	mu     sync.Mutex
	now    func() time.Time
	every  time.Duration
	burst  int
	byAddr map[string]*rate.Limiter
}

func newFailureThrottle(burst int, every time.Duration, now func() time.Time) *failureThrottle {
	if burst <= 0 {
		burst = defaultAuthFailureBurst
	}
	if every <= 0 {
		every = defaultAuthFailureEvery
	}
	return &failureThrottle{now: now, every: every, burst: burst, byAddr: map[string]*rate.Limiter{}}
}

// addr is the client address a request came from: the connection's peer,
// never a header a client can write (X-Forwarded-For).
func addr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (t *failureThrottle) limiter(a string) *rate.Limiter {
	l := t.byAddr[a]
	if l == nil {
		if len(t.byAddr) >= maxThrottled {
			clear(t.byAddr)
		}
		l = rate.NewLimiter(rate.Every(t.every), t.burst)
		t.byAddr[a] = l
	}
	return l
}

// blocked reports how long a must wait before its next try (0: it may try).
func (t *failureThrottle) blocked(a string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	l, ok := t.byAddr[a]
	if !ok {
		return 0
	}
	now := t.now()
	if l.TokensAt(now) >= 1 {
		return 0
	}
	r := l.ReserveN(now, 1)
	wait := r.DelayFrom(now)
	r.CancelAt(now)
	return wait
}

// fail records a failed try from a.
func (t *failureThrottle) fail(a string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.limiter(a).AllowN(t.now(), 1)
}

// retryAfter is a Retry-After value in whole seconds, at least 1.
func retryAfter(d time.Duration) string {
	return strconv.Itoa(int(math.Max(1, math.Ceil(d.Seconds()))))
}
