package conformance

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/ratelimit"
)

// memory is an in-process platform, with an idempotency key or without:
// the harness's own reference, which must pass every scenario. Its
// adapter (memoryPublisher) paces each channel at memoryPace and answers
// a Throttle by blocking the app, as the adapters do through ratelimit.
type memory struct {
	mu         sync.Mutex
	next       Fault
	posts      []Posted
	byKey      map[string]int // with idempotent: the post of each key
	idempotent bool
	secret     string
}

const memoryPace = time.Second

func (m *memory) Name() string { return "memory" }
func (m *memory) Close()       {}
func (m *memory) Channel() *herald.Channel {
	return &herald.Channel{ID: 1, Name: "mem", Platform: "memory", Credentials: map[string]string{"token": m.secret}}
}
func (m *memory) SharedChannel() *herald.Channel {
	ch := m.Channel()
	ch.ID, ch.Name = 2, "mem-2"
	return ch
}
func (m *memory) Script(f Fault) { m.mu.Lock(); m.next = f; m.mu.Unlock() }
func (m *memory) Posted() []Posted {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Posted(nil), m.posts...)
}

// memoryPublisher is one instance of memory's adapter.
type memoryPublisher struct {
	m      *memory
	limits *ratelimit.Set
}

func (p *memoryPublisher) Idempotent() bool                             { return p.m.idempotent }
func (p *memoryPublisher) Endpoints() []string                          { return nil }
func (p *memoryPublisher) Check(context.Context, *herald.Channel) error { return nil }

func (p *memoryPublisher) Publish(_ context.Context, req herald.PublishRequest) herald.Result {
	lim := p.limits.Begin(req.Blocks)
	limits := []ratelimit.Limit{{Key: fmt.Sprintf("memory:%d", req.Channel.ID), Every: memoryPace, Burst: 2}, {Key: "memory:app"}}
	res := p.publish(lim, req, limits)
	lim.Finish(&res, limits...)
	return res
}

func (p *memoryPublisher) publish(lim *ratelimit.Call, req herald.PublishRequest, limits []ratelimit.Limit) herald.Result {
	if d := lim.DelayAll(limits...); d > 0 {
		return herald.Result{Outcome: herald.OutcomeRetry, Throttled: true, RetryAfter: d, Reason: "held back"}
	}
	m := p.m
	m.mu.Lock()
	defer m.mu.Unlock()
	f := m.next
	m.next = 0
	switch f {
	case Throttle:
		r := herald.Result{Reason: "slow down"}
		lim.Throttle("memory:app", &r, time.Second)
		return r
	case ServerError:
		return herald.Result{Outcome: herald.OutcomeRetry, Reason: "500"}
	case Permanent:
		return herald.Result{Outcome: herald.OutcomeFailed, Reason: "too long"}
	case Unauthorized:
		return herald.Result{Outcome: herald.OutcomeReauth, Reason: "bad token"}
	}
	i, ok := m.byKey[req.IdempotencyKey]
	if !ok || !m.idempotent {
		id := strconv.Itoa(len(m.posts) + 1)
		m.posts = append(m.posts, Posted{ID: id, URL: "https://memory.example/" + id, Text: req.Message.Body()})
		i = len(m.posts) - 1
		m.byKey[req.IdempotencyKey] = i
	}
	switch {
	case f == LostAnswer && m.idempotent:
		return herald.Result{Outcome: herald.OutcomeRetry, Reason: "connection reset"}
	case f == LostAnswer:
		return herald.Result{Outcome: herald.OutcomeUnknown, Reason: "connection reset: the post may have been posted"}
	}
	return herald.Result{Outcome: herald.OutcomePublished, RemoteID: m.posts[i].ID, URL: m.posts[i].URL}
}

func memoryEntry(idempotent bool) Entry {
	replica := func(p Platform, _ *http.Client, clock Clock) Publisher {
		return &memoryPublisher{m: p.(*memory), limits: ratelimit.New(clock.Now)}
	}
	return Entry{Name: "memory", Replica: replica, Pace: memoryPace,
		Start: func(t *testing.T, client *http.Client, clock Clock) (Platform, Publisher) {
			m := &memory{byKey: map[string]int{}, idempotent: idempotent, secret: "s3cret-token"}
			return m, replica(m, client, clock)
		}}
}

func TestRunOnAConformingPlatform(t *testing.T) {
	for _, idempotent := range []bool{true, false} {
		t.Run(fmt.Sprintf("idempotent=%v", idempotent), func(t *testing.T) { Run(t, memoryEntry(idempotent)) })
	}
}

func TestExpect(t *testing.T) {
	good := map[Fault]herald.Result{
		Throttle:     {Outcome: herald.OutcomeRetry, Throttled: true, RetryAfter: time.Second},
		ServerError:  {Outcome: herald.OutcomeRetry},
		Permanent:    {Outcome: herald.OutcomeFailed, Reason: "too long"},
		Unauthorized: {Outcome: herald.OutcomeReauth, Reason: "bad token"},
	}
	bad := map[Fault][]herald.Result{
		Throttle: {{Outcome: herald.OutcomeRetry, RetryAfter: time.Second}, {Outcome: herald.OutcomeRetry, Throttled: true},
			{Outcome: herald.OutcomeFailed, Throttled: true, RetryAfter: time.Second}},
		ServerError:  {{Outcome: herald.OutcomeFailed, Reason: "500"}, {Outcome: herald.OutcomeUnknown}},
		Permanent:    {{Outcome: herald.OutcomeFailed}, {Outcome: herald.OutcomeRetry, Reason: "x"}},
		Unauthorized: {{Outcome: herald.OutcomeFailed, Reason: "bad token"}, {Outcome: herald.OutcomeReauth}},
	}
	for _, f := range []Fault{Throttle, ServerError, Permanent, Unauthorized} {
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

func TestExpectLost(t *testing.T) {
	if err := Expect(LostAnswer, herald.Result{Outcome: herald.OutcomeRetry}); err == nil {
		t.Error("Expect judged a lost answer without knowing whether the publisher is idempotent")
	}
	for _, tc := range []struct {
		idempotent bool
		res        herald.Result
		ok         bool
	}{
		{true, herald.Result{Outcome: herald.OutcomeRetry, Reason: "connection reset"}, true},
		{true, herald.Result{Outcome: herald.OutcomePublished, RemoteID: "1"}, true},
		{true, herald.Result{Outcome: herald.OutcomeUnknown, Reason: "it may have been posted"}, false},
		{true, herald.Result{Outcome: herald.OutcomeFailed, Reason: "EOF"}, false},
		{false, herald.Result{Outcome: herald.OutcomeUnknown, Reason: "no answer from Telegram, the message may have been posted: EOF"}, true},
		{false, herald.Result{Outcome: herald.OutcomeUnknown, Reason: "(the container 17 may be published; a retry checks it first)"}, true},
		{false, herald.Result{Outcome: herald.OutcomeUnknown, Reason: "no answer from the receiver, it may have acted on the post: EOF"}, true},
		{false, herald.Result{Outcome: herald.OutcomeUnknown, Reason: "whether it was posted is unknown"}, true},
		{false, herald.Result{Outcome: herald.OutcomeUnknown, Reason: "EOF"}, false},
		{false, herald.Result{Outcome: herald.OutcomeUnknown}, false},
		{false, herald.Result{Outcome: herald.OutcomeRetry, Reason: "the message may have been posted: EOF"}, false},
		{false, herald.Result{Outcome: herald.OutcomeFailed, Reason: "the message may have been posted: EOF"}, false},
		{false, herald.Result{Outcome: herald.OutcomePublished, RemoteID: "1"}, false},
	} {
		if err := ExpectLost(tc.idempotent, tc.res); (err == nil) != tc.ok {
			t.Errorf("idempotent=%v %+v: %v, want ok=%v", tc.idempotent, tc.res, err, tc.ok)
		}
	}
}

func TestLeaks(t *testing.T) {
	ch := herald.Channel{Credentials: map[string]string{"token": "s3cret-token", "short": "ab"}}
	if l := Leaks(ch, herald.Result{Reason: "ab cd", Request: "POST /x <redacted>"}); len(l) != 0 {
		t.Errorf("clean result: %v", l)
	}
	l := Leaks(ch, herald.Result{Request: "POST /bots3cret-token/send", ConfigUpdate: map[string]any{"k": "s3cret-token"},
		Blocks: map[string]time.Time{"memory:s3cret-token": {}}})
	if len(l) != 3 || !strings.Contains(l[0], "Blocks") || !strings.Contains(l[1], "ConfigUpdate") || !strings.Contains(l[2], "Request") {
		t.Errorf("leaks %v, want Blocks, ConfigUpdate and Request", l)
	}
}
