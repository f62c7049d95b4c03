package conformance

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// memory is an in-process platform with an idempotency key: the harness's
// own reference, which must pass every scenario.
type memory struct {
	mu     sync.Mutex
	next   Fault
	posts  []Posted
	byKey  map[string]int
	secret string
}

func (m *memory) Name() string { return "memory" }
func (m *memory) Close()       {}
func (m *memory) Channel() *herald.Channel {
	return &herald.Channel{ID: 1, Name: "mem", Platform: "memory", Credentials: map[string]string{"token": m.secret}}
}
func (m *memory) Script(f Fault) { m.mu.Lock(); m.next = f; m.mu.Unlock() }
func (m *memory) Posted() []Posted {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Posted(nil), m.posts...)
}

func (m *memory) Idempotent() bool                             { return true }
func (m *memory) Endpoints() []string                          { return nil }
func (m *memory) Check(context.Context, *herald.Channel) error { return nil }

func (m *memory) Publish(_ context.Context, req herald.PublishRequest) herald.Result {
	m.mu.Lock()
	defer m.mu.Unlock()
	f := m.next
	m.next = 0
	switch f {
	case Throttle:
		return herald.Result{Outcome: herald.OutcomeRetry, Throttled: true, RetryAfter: time.Second, Reason: "slow down"}
	case ServerError:
		return herald.Result{Outcome: herald.OutcomeRetry, Reason: "500"}
	case Permanent:
		return herald.Result{Outcome: herald.OutcomeFailed, Reason: "too long"}
	case Unauthorized:
		return herald.Result{Outcome: herald.OutcomeReauth, Reason: "bad token"}
	}
	i, ok := m.byKey[req.IdempotencyKey]
	if !ok {
		id := strconv.Itoa(len(m.posts) + 1)
		m.posts = append(m.posts, Posted{ID: id, URL: "https://memory.example/" + id, Text: req.Message.Body()})
		i = len(m.posts) - 1
		m.byKey[req.IdempotencyKey] = i
	}
	if f == LostAnswer {
		return herald.Result{Outcome: herald.OutcomeRetry, Reason: "connection reset"}
	}
	return herald.Result{Outcome: herald.OutcomePublished, RemoteID: m.posts[i].ID, URL: m.posts[i].URL}
}

func TestRunOnAConformingPlatform(t *testing.T) {
	Run(t, Entry{Name: "memory", Start: func(t *testing.T, _ *http.Client) (Platform, Publisher) {
		m := &memory{byKey: map[string]int{}, secret: "s3cret-token"}
		return m, m
	}})
}

func TestExpect(t *testing.T) {
	good := map[Fault]herald.Result{
		Throttle:     {Outcome: herald.OutcomeRetry, Throttled: true, RetryAfter: time.Second},
		ServerError:  {Outcome: herald.OutcomeRetry},
		Permanent:    {Outcome: herald.OutcomeFailed, Reason: "too long"},
		Unauthorized: {Outcome: herald.OutcomeReauth, Reason: "bad token"},
		LostAnswer:   {Outcome: herald.OutcomeRetry},
	}
	bad := map[Fault][]herald.Result{
		Throttle: {{Outcome: herald.OutcomeRetry, RetryAfter: time.Second}, {Outcome: herald.OutcomeRetry, Throttled: true},
			{Outcome: herald.OutcomeFailed, Throttled: true, RetryAfter: time.Second}},
		ServerError:  {{Outcome: herald.OutcomeFailed, Reason: "500"}, {Outcome: herald.OutcomeUnknown}},
		Permanent:    {{Outcome: herald.OutcomeFailed}, {Outcome: herald.OutcomeRetry, Reason: "x"}},
		Unauthorized: {{Outcome: herald.OutcomeFailed, Reason: "bad token"}, {Outcome: herald.OutcomeReauth}},
		LostAnswer:   {{Outcome: herald.OutcomeUnknown}, {Outcome: herald.OutcomePublished}},
	}
	for _, f := range AllFaults {
		if err := Expect(f, good[f]); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		for _, res := range bad[f] {
			if err := Expect(f, res); err == nil {
				t.Errorf("%s: %+v accepted", f, res)
			}
		}
	}
}

func TestLeaks(t *testing.T) {
	ch := herald.Channel{Credentials: map[string]string{"token": "s3cret-token", "short": "ab"}}
	if l := Leaks(ch, herald.Result{Reason: "ab cd", Request: "POST /x <redacted>"}); len(l) != 0 {
		t.Errorf("clean result: %v", l)
	}
	l := Leaks(ch, herald.Result{Request: "POST /bots3cret-token/send", ConfigUpdate: map[string]any{"k": "s3cret-token"}})
	if len(l) != 2 || !strings.Contains(l[0], "ConfigUpdate") || !strings.Contains(l[1], "Request") {
		t.Errorf("leaks %v, want ConfigUpdate and Request", l)
	}
}
