package webhook_test

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/testkit"
	"github.com/heraldhq/herald/publishers/outbound"
	"github.com/heraldhq/herald/publishers/webhook"
	"github.com/heraldhq/herald/publishers/webhook/webhookfake"
	"github.com/rs/zerolog"
)

const secret = "SECRET-hmac-key-77"

type env struct {
	fake  *webhookfake.Server
	pub   *webhook.Publisher
	clock *testkit.Clock
	logs  *bytes.Buffer
}

func setup(t *testing.T, fo webhookfake.Options) env {
	t.Helper()
	c := testkit.NewClock(time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC))
	fo.Secret, fo.Now = secret, c.Now
	fake := webhookfake.New(fo)
	t.Cleanup(fake.Close)
	var logs bytes.Buffer
	pub := webhook.New(webhook.Options{HTTPClient: testkit.Loopback, Logger: zerolog.New(&logs).Level(zerolog.DebugLevel), Now: c.Now})
	return env{fake: fake, pub: pub, clock: c, logs: &logs}
}

func (e env) request(m herald.Message) herald.PublishRequest {
	return herald.PublishRequest{Workspace: "acme", DeliveryID: 9, IdempotencyKey: "herald-9-abc", Attempt: 2,
		Channel: herald.Channel{ID: 6, Name: "hook", Platform: "webhook", Config: map[string]any{"url": e.fake.URL},
			Credentials: map[string]string{"secret": secret}},
		Message: m}
}

func (e env) noSecret(t *testing.T, res herald.Result) {
	t.Helper()
	for name, s := range map[string]string{"Request": res.Request, "Response": res.Response, "Reason": res.Reason, "logs": e.logs.String()} {
		if strings.Contains(s, secret) {
			t.Errorf("%s contains the secret: %q", name, s)
		}
	}
}

func TestPublishPayload(t *testing.T) {
	tests := []struct {
		name   string
		fo     webhookfake.Options
		msg    herald.Message
		key    string
		want   webhook.Payload
		remote string
	}{
		{name: "everything", msg: herald.Message{Text: "Launch", Link: "https://brand.example/x",
			Media: []string{"https://cdn.example/a.png", "https://cdn.example/b.png"}, Tags: []string{"promo", "q4"}},
			key: "herald-9-abc",
			want: webhook.Payload{DeliveryID: 9, Workspace: "acme", Channel: "hook", Text: "Launch",
				Body: "Launch\n\nhttps://brand.example/x", Media: []string{"https://cdn.example/a.png", "https://cdn.example/b.png"},
				Link: "https://brand.example/x", Tags: []string{"promo", "q4"}, IdempotencyKey: "herald-9-abc", Attempt: 2},
			remote: "evt_1"},
		{name: "text only, receiver answers no id", fo: webhookfake.Options{NoID: true}, msg: herald.Message{Text: "Hi"},
			key: "herald-9-abc",
			want: webhook.Payload{DeliveryID: 9, Workspace: "acme", Channel: "hook", Text: "Hi", Body: "Hi",
				Media: []string{}, Tags: []string{}, IdempotencyKey: "herald-9-abc", Attempt: 2},
			remote: "9"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, tc.fo)
			res := e.pub.Publish(context.Background(), e.request(tc.msg))
			if res.Outcome != herald.OutcomePublished || res.RemoteID != tc.remote {
				t.Fatalf("got %s %q id %q, want published id %q", res.Outcome, res.Reason, res.RemoteID, tc.remote)
			}
			ds := e.fake.Deliveries()
			if len(ds) != 1 || e.fake.Rejected() != 0 {
				t.Fatalf("%d deliveries, %d rejected", len(ds), e.fake.Rejected())
			}
			d := ds[0]
			if d.IdempotencyKey != tc.key || !strings.HasPrefix(d.Signature, "t=1796108400,v1=") {
				t.Errorf("headers: key %q signature %q", d.IdempotencyKey, d.Signature)
			}
			if got, want := d.Payload, tc.want; got.DeliveryID != want.DeliveryID || got.Workspace != want.Workspace ||
				got.Channel != want.Channel || got.Text != want.Text || got.Body != want.Body || got.Link != want.Link ||
				strings.Join(got.Media, ",") != strings.Join(want.Media, ",") || strings.Join(got.Tags, ",") != strings.Join(want.Tags, ",") ||
				got.IdempotencyKey != want.IdempotencyKey || got.Attempt != want.Attempt || got.Media == nil || got.Tags == nil {
				t.Errorf("payload %+v\nwant    %+v", got, want)
			}
			if err := webhook.Verify(secret, d.Signature, d.Raw, e.clock.Now(), 0); err != nil {
				t.Errorf("the recorded signature does not verify: %v", err)
			}
			e.noSecret(t, res)
		})
	}
}

func TestErrorClasses(t *testing.T) {
	tests := []struct {
		name       string
		fault      *webhookfake.Fault
		prepare    func(e env, req *herald.PublishRequest)
		want       herald.Outcome
		reason     string
		retryAfter time.Duration
		throttled  bool
	}{
		{name: "429", fault: ptr(webhookfake.TooManyRequests(2)), want: herald.OutcomeRetry, reason: "slow down", retryAfter: 2 * time.Second, throttled: true},
		{name: "429 without Retry-After", fault: &webhookfake.Fault{Status: 429}, want: herald.OutcomeRetry, reason: "429", retryAfter: webhook.DefaultThrottle, throttled: true},
		{name: "503", fault: ptr(webhookfake.ServerError()), want: herald.OutcomeRetry, reason: "receiver unavailable"},
		{name: "503 with Retry-After", fault: &webhookfake.Fault{Status: 503, RetryAfter: 30}, want: herald.OutcomeRetry, reason: "503", retryAfter: 30 * time.Second},
		{name: "422", fault: ptr(webhookfake.Unprocessable("text is required")), want: herald.OutcomeFailed, reason: "HTTP 422: text is required"},
		{name: "410", fault: ptr(webhookfake.Gone()), want: herald.OutcomeFailed, reason: "gone"},
		{name: "400 other 4xx", fault: &webhookfake.Fault{Status: 400, Body: "bad"}, want: herald.OutcomeFailed, reason: "HTTP 400: bad"},
		{name: "wrong secret: the fake rejects the signature", prepare: func(_ env, req *herald.PublishRequest) {
			req.Channel.Credentials["secret"] = "not-the-receivers"
		}, want: herald.OutcomeReauth, reason: "invalid signature"},
		{name: "drop after post", fault: ptr(webhookfake.DropAfterPost()), want: herald.OutcomeUnknown, reason: "may have acted"},
		{name: "drop after post, idempotent receiver", fault: ptr(webhookfake.DropAfterPost()), prepare: func(_ env, req *herald.PublishRequest) {
			req.Channel.Config["idempotent"] = true
		}, want: herald.OutcomeRetry, reason: "same Idempotency-Key"},
		{name: "refused", prepare: func(_ env, req *herald.PublishRequest) {
			ln, _ := net.Listen("tcp", "127.0.0.1:0")
			ln.Close()
			req.Channel.Config["url"] = "http://" + ln.Addr().String() + "/hook"
		}, want: herald.OutcomeRetry, reason: "never reached"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, webhookfake.Options{})
			if tc.fault != nil {
				e.fake.Script(*tc.fault)
			}
			req := e.request(herald.Message{Text: "Hello"})
			if tc.prepare != nil {
				tc.prepare(e, &req)
			}
			res := e.pub.Publish(context.Background(), req)
			if res.Outcome != tc.want || !strings.Contains(res.Reason, tc.reason) || res.RetryAfter != tc.retryAfter || res.Throttled != tc.throttled {
				t.Errorf("got %s %q retry after %s throttled %v; want %s containing %q, retry after %s throttled %v",
					res.Outcome, res.Reason, res.RetryAfter, res.Throttled, tc.want, tc.reason, tc.retryAfter, tc.throttled)
			}
			e.noSecret(t, res)
		})
	}
}

func TestRedirectNotFollowed(t *testing.T) {
	e := setup(t, webhookfake.Options{})
	moved := httptest.NewServer(http.RedirectHandler(e.fake.URL, http.StatusMovedPermanently))
	defer moved.Close()
	req := e.request(herald.Message{Text: "x"})
	req.Channel.Config["url"] = moved.URL
	res := e.pub.Publish(context.Background(), req)
	if res.Outcome != herald.OutcomeFailed || !strings.Contains(res.Reason, "a redirect to "+e.fake.URL+", which Herald does not follow") || len(e.fake.Calls()) != 0 {
		t.Errorf("got %s %q, %d calls at the target; want failed naming the new URL, nothing followed", res.Outcome, res.Reason, len(e.fake.Calls()))
	}
}

func TestWrongSecretRejectedByTheFake(t *testing.T) {
	e := setup(t, webhookfake.Options{})
	req := e.request(herald.Message{Text: "x"})
	req.Channel.Credentials["secret"] = "not-the-receivers"
	e.pub.Publish(context.Background(), req)
	if e.fake.Rejected() != 1 || len(e.fake.Deliveries()) != 0 {
		t.Errorf("%d rejected, %d accepted; want the signature refused", e.fake.Rejected(), len(e.fake.Deliveries()))
	}
}

func TestIdempotentReceiverRetry(t *testing.T) {
	e := setup(t, webhookfake.Options{HonourIdempotencyKey: true})
	e.fake.Script(webhookfake.DropAfterPost())
	req := e.request(herald.Message{Text: "Once"})
	req.Channel.Config["idempotent"] = true
	if res := e.pub.Publish(context.Background(), req); res.Outcome != herald.OutcomeRetry {
		t.Fatalf("lost answer: %s %s", res.Outcome, res.Reason)
	}
	res := e.pub.Publish(context.Background(), req)
	ds := e.fake.Deliveries()
	if res.Outcome != herald.OutcomePublished || len(ds) != 1 || res.RemoteID != ds[0].ID {
		t.Errorf("retry: %s %s, deliveries %d; want the first delivery's id, accepted once", res.Outcome, res.RemoteID, len(ds))
	}
	if e.pub.Idempotent() {
		t.Error("Idempotent() must stay false: it cannot speak for every receiver")
	}
}

// IdempotentOn speaks for one channel, as config.idempotent says: the
// scheduler asks it whether a delivery interrupted by a crash may be
// retried with its key.
func TestIdempotentOn(t *testing.T) {
	pub := webhook.New(webhook.Options{})
	for _, c := range []struct {
		v    any
		want bool
	}{{true, true}, {"true", true}, {false, false}, {"false", false}, {nil, false}} {
		ch := herald.Channel{Platform: "webhook", Config: map[string]any{"url": "https://hooks.example/herald"}}
		if c.v != nil {
			ch.Config["idempotent"] = c.v
		}
		if got := pub.IdempotentOn(ch); got != c.want {
			t.Errorf("config.idempotent %#v: IdempotentOn %v, want %v", c.v, got, c.want)
		}
	}
}

// A lost answer on a kept-alive connection (the way pooled connections go
// out): the Idempotency-Key header must not let Go's transport resend the
// post by itself to a receiver that does not honour it.
func TestLostAnswerOnAKeptAliveConnection(t *testing.T) {
	e := setup(t, webhookfake.Options{})
	client := outbound.New(outbound.Options{Allow: testkit.AllowLoopback})
	client.Transport.(*http.Transport).MaxConnsPerHost = 1 // the second post goes out on the first's connection
	t.Cleanup(client.CloseIdleConnections)
	e.pub = webhook.New(webhook.Options{HTTPClient: client, Now: e.clock.Now})
	first := e.request(herald.Message{Text: "First"})
	if res := e.pub.Publish(context.Background(), first); res.Outcome != herald.OutcomePublished {
		t.Fatalf("first post: %s %s", res.Outcome, res.Reason)
	}
	e.fake.Script(webhookfake.DropAfterPost())
	req := e.request(herald.Message{Text: "Second"})
	req.DeliveryID, req.IdempotencyKey = 10, "herald-10-abc"
	res := e.pub.Publish(context.Background(), req)
	if res.Outcome != herald.OutcomeUnknown || !strings.Contains(res.Reason, "may have acted") {
		t.Errorf("lost answer: %s %q, want unknown: it may have acted on the post", res.Outcome, res.Reason)
	}
	if ds := e.fake.Deliveries(); len(ds) != 2 {
		t.Errorf("the receiver got %d deliveries, want 2 (each post once)", len(ds))
	}
}

func TestThrottleHonoured(t *testing.T) {
	e := setup(t, webhookfake.Options{})
	e.fake.Script(webhookfake.TooManyRequests(3))
	req := e.request(herald.Message{Text: "x"})
	e.pub.Publish(context.Background(), req)
	e.clock.Add(2 * time.Second)
	if res := e.pub.Publish(context.Background(), req); !res.Throttled || res.RetryAfter != time.Second {
		t.Errorf("too early: %s throttled=%v after %s", res.Outcome, res.Throttled, res.RetryAfter)
	}
	e.clock.Add(time.Second)
	if res := e.pub.Publish(context.Background(), req); res.Outcome != herald.OutcomePublished {
		t.Errorf("after the wait: %s %s", res.Outcome, res.Reason)
	}
	if n, early := len(e.fake.Calls()), e.fake.EarlyCalls(); n != 2 || early != 0 {
		t.Errorf("%d calls, %d early; want 2, 0", n, early)
	}
}

func TestCheckAndValidate(t *testing.T) {
	pub := webhook.New(webhook.Options{HTTPClient: testkit.Loopback})
	good := &herald.Channel{Config: map[string]any{"url": "https://hooks.example/herald", "idempotent": true},
		Credentials: map[string]string{"secret": "s"}}
	if err := pub.ValidateChannel(good); err != nil {
		t.Errorf("valid: %v", err)
	}
	if err := pub.Check(context.Background(), good); err != nil {
		t.Errorf("check valid: %v", err)
	}
	bad := &herald.Channel{Config: map[string]any{"url": "ftp://x", "idempotent": "yes"}}
	err := pub.ValidateChannel(bad)
	var cols []string
	for _, p := range herald.ErrorDetails(err) {
		cols = append(cols, p.Column)
	}
	if strings.Join(cols, ",") != "config.url,config.idempotent,credentials.secret" {
		t.Errorf("problems %v", cols)
	}
	if err := pub.Check(context.Background(), bad); herald.ErrorCode(err) != herald.EINVALID || !strings.Contains(herald.ErrorMessage(err), "no remote check") {
		t.Errorf("check invalid: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }
