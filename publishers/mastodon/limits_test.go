package mastodon_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/mastodon"
	"github.com/heraldhq/herald/publishers/mastodon/mastodonfake"
)

func TestTooManyRequestsHoldsTheAccount(t *testing.T) {
	e := setup(t, mastodonfake.Options{}, mastodon.Options{})
	e.fake.Script(mastodonfake.TooManyRequests(90 * time.Second))
	first := e.pub.Publish(context.Background(), e.request("a", herald.Message{Text: "one"}))
	if first.Outcome != herald.OutcomeRetry || !first.Throttled || first.RetryAfter != 90*time.Second {
		t.Fatalf("429: %s throttled=%v after %s", first.Outcome, first.Throttled, first.RetryAfter)
	}
	held := e.pub.Publish(context.Background(), e.request("b", herald.Message{Text: "two"}))
	if held.Outcome != herald.OutcomeRetry || !held.Throttled || held.RetryAfter != 90*time.Second || !strings.Contains(held.Reason, "rate limit") {
		t.Fatalf("before the reset: %s throttled=%v after %s (%s)", held.Outcome, held.Throttled, held.RetryAfter, held.Reason)
	}
	if n := len(e.fake.Calls()); n != 1 {
		t.Fatalf("the instance got %d calls; the client must wait for X-RateLimit-Reset", n)
	}
	// Another channel (another account) is not held.
	other := e.request("c", herald.Message{Text: "three"})
	other.Channel.Name = "masto-2"
	if res := e.pub.Publish(context.Background(), other); res.Outcome != herald.OutcomePublished {
		t.Fatalf("another account: %s (%s)", res.Outcome, res.Reason)
	}
}

func TestPrivateMediaRefusedUnlessAllowed(t *testing.T) {
	e := setup(t, mastodonfake.Options{}, mastodon.Options{})
	strict := mastodon.New(mastodon.Options{Now: now}) // the default client: public addresses only
	res := strict.Publish(context.Background(), e.request("k", herald.Message{Text: "pic", Media: []string{e.media.URL + "/cat.png"}}))
	if res.Outcome != herald.OutcomeFailed || !strings.Contains(res.Reason, "not a public address") {
		t.Fatalf("got %s (%s), want failed: a loopback media URL is refused", res.Outcome, res.Reason)
	}
	if n := len(e.fake.Calls()); n != 0 {
		t.Fatalf("the instance got %d calls", n)
	}
}
