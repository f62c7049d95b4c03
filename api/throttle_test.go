package api_test

import (
	"bytes"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/api"
	"github.com/rs/zerolog"
)

// Wrong tokens from one address: after the burst, 429 with Retry-After —
// even for the right token — until the interval passes; each is logged.
func TestWrongTokensAreThrottledPerAddress(t *testing.T) {
	e := newEnv(t)
	var (
		mu  sync.Mutex
		now = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	var logs bytes.Buffer
	srv := httptest.NewServer(api.New(e.db, api.Config{Logger: zerolog.New(&logs), Now: clock,
		AuthFailureBurst: 5, AuthFailureEvery: 10 * time.Second}).Handler())
	defer srv.Close()
	e.srv = srv

	for i := 0; i < 5; i++ {
		must(t, e.doAs("Bearer hrld_wrong", "GET", "/api/v1/workspaces", nil), 401)
	}
	r := must(t, e.doAs("Bearer hrld_wrong", "GET", "/api/v1/workspaces", nil), 429)
	if r.errorCode(t) != "rate_limited" || r.header.Get("Retry-After") != "10" {
		t.Errorf("sixth wrong token: %v %s", r.header, r.body)
	}
	must(t, e.do("GET", "/api/v1/workspaces", nil), 429) // the address is held, whatever it sends
	mu.Lock()
	now = now.Add(10 * time.Second)
	mu.Unlock()
	must(t, e.do("GET", "/api/v1/workspaces", nil), 200)
	must(t, e.doAs("Bearer hrld_wrong", "GET", "/api/v1/workspaces", nil), 401)
	must(t, e.doAs("Bearer hrld_wrong", "GET", "/api/v1/workspaces", nil), 429)
	if n := strings.Count(logs.String(), "wrong API token"); n != 6 {
		t.Errorf("%d wrong tokens logged, want 6:\n%s", n, logs.String())
	}
}
