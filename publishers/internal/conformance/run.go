package conformance

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/testkit"
)

// Timeout bounds each publish call of a scenario.
const Timeout = 10 * time.Second

var deliveries atomic.Int64

// Request returns a text-only publish request for ch, with a fresh
// delivery id and idempotency key and text naming the scenario.
func Request(ch *herald.Channel, scenario string) herald.PublishRequest {
	id := deliveries.Add(1)
	return herald.PublishRequest{
		Workspace:      "conformance",
		DeliveryID:     id,
		IdempotencyKey: fmt.Sprintf("herald-conformance-%d", id),
		Attempt:        1,
		Channel:        *ch,
		Message:        herald.Message{Text: fmt.Sprintf("Conformance check %d: %s, hello world", id, scenario)},
	}
}

// request is Request for the scenario on p's channel, with Image added
// when e NeedsImage.
func request(e Entry, p Platform, scenario string) herald.PublishRequest {
	return requestOn(e, p.Channel(), scenario)
}

// requestOn is request on the channel ch.
func requestOn(e Entry, ch *herald.Channel, scenario string) herald.PublishRequest {
	req := Request(ch, scenario)
	if e.NeedsImage {
		req.Message.Media = []string{Image}
	}
	return req
}

// Run runs every scenario against the platform e starts, each as a
// subtest on a fresh fake.
func Run(t *testing.T, e Entry) {
	t.Run("text", func(t *testing.T) { textPost(t, e) })
	for _, f := range AllFaults {
		t.Run(f.String(), func(t *testing.T) { fault(t, e, f) })
	}
	t.Run("network", func(t *testing.T) { Network(t, e) })
	t.Run("replicas", func(t *testing.T) { Replicas(t, e) })
}

// start starts a fresh fake whose adapter may call loopback, closed when t
// ends.
func start(t *testing.T, e Entry) (Platform, Publisher) {
	t.Helper()
	return startWith(t, e, testkit.Loopback)
}

// startWith starts a fresh fake whose adapter calls out through client,
// on the real clock.
func startWith(t *testing.T, e Entry, client *http.Client) (Platform, Publisher) {
	t.Helper()
	p, pub := e.Start(t, client, RealClock)
	t.Cleanup(p.Close)
	return p, pub
}

func publish(t *testing.T, pub Publisher, req herald.PublishRequest) herald.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	res := pub.Publish(ctx, req)
	noCredentials(t, req.Channel, res)
	return res
}

// textPost: a text post (with Image when the Entry NeedsImage) is
// published, and the Result's RemoteID and URL are exactly what the fake
// answered.
func textPost(t *testing.T, e Entry) {
	p, pub := start(t, e)
	req := request(e, p, "text")
	res := publish(t, pub, req)
	if res.Outcome != herald.OutcomePublished {
		t.Fatalf("outcome %q (reason %q), want published", res.Outcome, res.Reason)
	}
	posted := p.Posted()
	if len(posted) != 1 {
		t.Fatalf("the fake published %d posts, want 1: %+v", len(posted), posted)
	}
	got := posted[0]
	if res.RemoteID != got.ID || res.URL != got.URL {
		t.Errorf("result id %q url %q, the fake answered id %q url %q", res.RemoteID, res.URL, got.ID, got.URL)
	}
	if got.Text != req.Message.Body() || got.Media != len(req.Message.Media) {
		t.Errorf("the fake published %q with %d media, want %q with %d", got.Text, got.Media, req.Message.Body(), len(req.Message.Media))
	}
}

// supports reports whether p scripts f.
func supports(p Platform, f Fault) bool {
	if l, ok := p.(FaultLister); ok {
		return slices.Contains(l.Faults(), f)
	}
	return true
}

func fault(t *testing.T, e Entry, f Fault) {
	if f == LostAnswer {
		LostAnswers(t, e)
		return
	}
	p, pub := start(t, e)
	if !supports(p, f) {
		t.Skipf("%s does not script %s", p.Name(), f)
	}
	req := request(e, p, f.String())
	p.Script(f)
	res := publish(t, pub, req)
	if err := Expect(f, res); err != nil {
		t.Error(err)
	}
	if len(p.Posted()) != 0 {
		t.Errorf("the fake published %d posts after a %s answer, want none", len(p.Posted()), f)
	}
}

// Expect checks the Result of a publish call the platform answered with f.
// It returns an error saying what is wrong, or nil: Throttle → a throttled
// retry with RetryAfter > 0; ServerError → retry; Permanent → failed with
// a reason; Unauthorized → reauth with a reason. What a LostAnswer must
// give depends on the publisher: see ExpectLost.
func Expect(f Fault, res herald.Result) error {
	ok := true
	var want string
	switch f {
	case Throttle:
		want = "retry, throttled, retry_after > 0"
		ok = res.Outcome == herald.OutcomeRetry && res.Throttled && res.RetryAfter > 0
	case ServerError:
		want = "retry"
		ok = res.Outcome == herald.OutcomeRetry
	case Permanent:
		want = "failed with a reason"
		ok = res.Outcome == herald.OutcomeFailed && strings.TrimSpace(res.Reason) != ""
	case Unauthorized:
		want = "reauth with a reason"
		ok = res.Outcome == herald.OutcomeReauth && strings.TrimSpace(res.Reason) != ""
	case LostAnswer:
		return fmt.Errorf("what a %s gives depends on whether the publisher is idempotent: use ExpectLost", f)
	default:
		return fmt.Errorf("unknown fault %d", int(f))
	}
	if !ok {
		return fmt.Errorf("after %s: got %q throttled=%v retry_after=%s (reason %q), want %s",
			f, res.Outcome, res.Throttled, res.RetryAfter, res.Reason, want)
	}
	return nil
}

// noCredentials fails t when any credential value of ch shows in res.
func noCredentials(t *testing.T, ch herald.Channel, res herald.Result) {
	t.Helper()
	for _, leak := range Leaks(ch, res) {
		t.Error(leak)
	}
}

// Leaks lists every Result field of res that shows a credential value of
// ch (values shorter than 4 characters are not looked for: they cannot be
// told from ordinary text).
func Leaks(ch herald.Channel, res herald.Result) []string {
	fields := []struct{ name, v string }{{"RemoteID", res.RemoteID}, {"URL", res.URL}, {"Reason", res.Reason},
		{"Request", res.Request}, {"Response", res.Response}, {"ConfigUpdate", fmt.Sprint(res.ConfigUpdate)},
		{"Blocks", fmt.Sprint(res.Blocks)}}
	var leaks []string
	for key, secret := range ch.Credentials {
		if len(secret) < 4 {
			continue
		}
		for _, f := range fields {
			if strings.Contains(f.v, secret) {
				leaks = append(leaks, fmt.Sprintf("credential %s appears in Result.%s: %q", key, f.name, f.v))
			}
		}
	}
	sort.Strings(leaks)
	return leaks
}
