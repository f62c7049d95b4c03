package conformance

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/testkit"
	"github.com/heraldhq/herald/publishers/outbound"
)

// LostAnswers runs the lost-answer scenarios, each on a fresh fake:
//
//   - fresh: the platform makes the post (LostAnswer on the publishing
//     call), on a connection opened for the publish;
//   - kept-alive: the same on a connection an earlier call left open, the
//     way pooled connections go out in production. There Go's transport
//     itself sends a request it takes for idempotent (one with an
//     Idempotency-Key header) again when the connection closes before any
//     answer, behind the adapter's back;
//   - early (a Platform implementing EarlyLoss): the answer of a call
//     before the publishing one is lost, nothing is posted: the publish is
//     a plain retry, and the retry posts once.
//
// In fresh and kept-alive a publisher that is not Idempotent must answer
// unknown, with a Reason saying the post may be on the platform (never a
// retry, which could post twice; never failed, since the post may be
// live), and the fake must hold exactly that one post. An Idempotent one
// answers retry (or published, when the request went out again with its
// key), and the same request again publishes it, still once. A Platform
// that does not script LostAnswer is skipped when its publisher is
// Idempotent and fails otherwise.
func LostAnswers(t *testing.T, e Entry) {
	t.Run("fresh", func(t *testing.T) { lostAnswer(t, e, false) })
	t.Run("kept-alive", func(t *testing.T) { lostAnswer(t, e, true) })
	t.Run("early", func(t *testing.T) { earlyLoss(t, e) })
}

// ScriptsLostAnswer reports whether p scripts LostAnswer: the scenario
// that checks a non-idempotent publisher's unknown depends on it.
func ScriptsLostAnswer(p Platform) bool {
	l, ok := p.(FaultLister)
	return !ok || slices.Contains(l.Faults(), LostAnswer)
}

func lostAnswer(t *testing.T, e Entry, kept bool) {
	client, reused := testkit.Loopback, (*atomic.Int64)(nil)
	if kept {
		client, reused = keptAlive(t)
	}
	p, pub := startWith(t, e, client)
	if !ScriptsLostAnswer(p) {
		if pub.Idempotent() {
			t.Skipf("%s does not script %s", p.Name(), LostAnswer)
		}
		t.Fatalf("%s is not idempotent, so a lost answer must be unknown, but its Platform does not script %s", p.Name(), LostAnswer)
	}
	if kept {
		if !warmUp(t, client, p, pub) {
			t.Skipf("%s declares no endpoint to keep a connection to", p.Name())
		}
		reused.Store(0)
	}
	req := request(e, p, "lost-answer")
	p.Script(LostAnswer)
	res := publish(t, pub, req)
	if kept && reused.Load() == 0 {
		t.Fatal("no call of the publish went out on the kept-alive connection")
	}
	if err := ExpectLost(pub.Idempotent(), res); err != nil {
		t.Fatal(err)
	}
	if res.Outcome == herald.OutcomeRetry {
		req.Attempt++
		if res = publish(t, pub, req); res.Outcome != herald.OutcomePublished {
			t.Fatalf("second attempt %q (reason %q), want published", res.Outcome, res.Reason)
		}
	}
	post, ok := onePost(t, p, req)
	if ok && res.Outcome == herald.OutcomePublished && (res.RemoteID != post.ID || res.URL != post.URL) {
		t.Errorf("result id %q url %q, the fake published id %q url %q", res.RemoteID, res.URL, post.ID, post.URL)
	}
}

// earlyLoss: an answer lost before the publishing call leaves nothing
// posted; the publish is a plain retry, and the retry posts once.
func earlyLoss(t *testing.T, e Entry) {
	p, pub := start(t, e)
	el, ok := p.(EarlyLoss)
	if !ok {
		t.Skipf("%s loses no answer before its publishing call", p.Name())
	}
	req := request(e, p, "early-loss")
	el.ScriptEarlyLoss(&req)
	res := publish(t, pub, req)
	if res.Outcome != herald.OutcomeRetry || res.Throttled || res.RetryAfter != 0 {
		t.Fatalf("got %q throttled=%v retry_after=%s (reason %q), want a plain retry: nothing was posted yet",
			res.Outcome, res.Throttled, res.RetryAfter, res.Reason)
	}
	if posted := p.Posted(); len(posted) != 0 {
		t.Fatalf("the fake published %d posts before the publishing call, want none: %+v", len(posted), posted)
	}
	req.Attempt++
	if res = publish(t, pub, req); res.Outcome != herald.OutcomePublished {
		t.Fatalf("second attempt %q (reason %q), want published", res.Outcome, res.Reason)
	}
	post, ok := onePost(t, p, req)
	if !ok {
		return
	}
	if res.RemoteID != post.ID || res.URL != post.URL {
		t.Errorf("result id %q url %q, the fake published id %q url %q", res.RemoteID, res.URL, post.ID, post.URL)
	}
	if post.Media != len(req.Message.Media) {
		t.Errorf("the post carries %d media, want %d", post.Media, len(req.Message.Media))
	}
}

// maybePosted matches a Reason telling a person that the post may be on
// the platform: "… may have been posted", "… may be published", "it may
// have acted on the post", "… is unknown".
var maybePosted = regexp.MustCompile(`(?i)\bmay (have been|be) (posted|published|made)\b|\bmay have acted on\b|\bunknown\b`)

// ExpectLost checks the Result of the first publish call whose answer was
// lost after the platform made the post. It returns an error saying what
// is wrong, or nil: an idempotent publisher retries (the same request is
// safe to repeat) or answers published (it went out again with its key);
// any other answers unknown, with a Reason saying the post may be on the
// platform.
func ExpectLost(idempotent bool, res herald.Result) error {
	if idempotent {
		if res.Outcome != herald.OutcomeRetry && res.Outcome != herald.OutcomePublished {
			return fmt.Errorf("after %s: got %q (reason %q), want retry (the same request is safe to repeat)", LostAnswer, res.Outcome, res.Reason)
		}
		return nil
	}
	switch {
	case res.Outcome != herald.OutcomeUnknown:
		why := "the post may be on the platform"
		if res.Outcome == herald.OutcomeRetry {
			why = "a retry could post it twice: there is no idempotency key"
		}
		return fmt.Errorf("after %s: got %q (reason %q), want unknown: %s", LostAnswer, res.Outcome, res.Reason, why)
	case !maybePosted.MatchString(res.Reason):
		return fmt.Errorf("after %s: unknown, but the reason %q does not say the post may be on the platform", LostAnswer, res.Reason)
	}
	return nil
}

// onePost returns the one post the fake holds, failing t unless it holds
// exactly one, with req's text.
func onePost(t *testing.T, p Platform, req herald.PublishRequest) (Posted, bool) {
	t.Helper()
	posted := p.Posted()
	if len(posted) != 1 {
		t.Errorf("the fake published %d posts, want 1: %+v", len(posted), posted)
		return Posted{}, false
	}
	if posted[0].Text != req.Message.Body() {
		t.Errorf("the fake published %q, want %q", posted[0].Text, req.Message.Body())
	}
	return posted[0], true
}

// keptAlive returns a client that allows loopback and keeps at most one
// connection per host, so that once a call has left a connection open
// every later call to that host goes out on it, and the count of calls
// that went out on a connection already used.
func keptAlive(t *testing.T) (*http.Client, *atomic.Int64) {
	c := outbound.New(outbound.Options{Allow: testkit.AllowLoopback})
	tr := c.Transport.(*http.Transport)
	tr.MaxConnsPerHost = 1
	t.Cleanup(tr.CloseIdleConnections)
	reused := new(atomic.Int64)
	trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) {
		if i.Reused {
			reused.Add(1)
		}
	}}
	c.Transport = roundTripper(func(r *http.Request) (*http.Response, error) {
		return tr.RoundTrip(r.WithContext(httptrace.WithClientTrace(r.Context(), trace)))
	})
	return c, reused
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// warmUp leaves a connection open to the host of p's first declared
// endpoint: a GET of its URL, whatever the fake answers, read to the end.
// It reports false when p's channel sets no endpoint.
func warmUp(t *testing.T, client *http.Client, p Platform, pub Publisher) bool {
	t.Helper()
	ch := p.Channel()
	for _, key := range pub.Endpoints() {
		kind, name, _ := strings.Cut(key, ".")
		raw := ch.Credentials[name]
		if kind == "config" {
			raw = ch.ConfigString(name)
		}
		if raw == "" {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), Timeout)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("warming up a connection to %s: %v", key, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return true
	}
	return false
}
