package slack_test

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/testkit"
	"github.com/heraldhq/herald/publishers/slack"
	"github.com/heraldhq/herald/publishers/slack/slackfake"
	"github.com/rs/zerolog"
)

const secret = "SECRETslackHookToken42"

type env struct {
	fake  *slackfake.Server
	pub   *slack.Publisher
	clock *testkit.Clock
	logs  *bytes.Buffer
}

func setup(t *testing.T) env {
	t.Helper()
	c := testkit.NewClock(time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC))
	fake := slackfake.New(slackfake.Options{Secret: secret, Now: c.Now})
	t.Cleanup(fake.Close)
	var logs bytes.Buffer
	pub := slack.New(slack.Options{HTTPClient: testkit.Loopback, Logger: zerolog.New(&logs).Level(zerolog.DebugLevel), Now: c.Now})
	return env{fake: fake, pub: pub, clock: c, logs: &logs}
}

func (e env) request(m herald.Message) herald.PublishRequest {
	return herald.PublishRequest{Workspace: "acme", DeliveryID: 9, Attempt: 1,
		Channel: herald.Channel{ID: 5, Name: "sl", Platform: "slack", Credentials: map[string]string{"webhook_url": e.fake.WebhookURL}},
		Message: m}
}

func (e env) noSecret(t *testing.T, res herald.Result) {
	t.Helper()
	for name, s := range map[string]string{"Request": res.Request, "Response": res.Response, "Reason": res.Reason, "logs": e.logs.String()} {
		if strings.Contains(s, secret) {
			t.Errorf("%s contains the webhook secret: %q", name, s)
		}
	}
}

func TestPublishShapes(t *testing.T) {
	long := strings.Repeat("word ", 700) // 3500 characters: two sections
	tests := []struct {
		name     string
		msg      herald.Message
		text     string // as sent
		shown    string
		sections int
		images   string
	}{
		{name: "text and link", msg: herald.Message{Text: "Hello", Link: "https://brand.example/x"},
			text: "Hello\n\nhttps://brand.example/x", shown: "Hello\n\nhttps://brand.example/x"},
		{name: "markup characters escaped", msg: herald.Message{Text: "Q&A <!channel> a>b"},
			text: "Q&amp;A &lt;!channel&gt; a&gt;b", shown: "Q&A <!channel> a>b"},
		{name: "images as blocks", msg: herald.Message{Text: "Pets", Media: []string{"https://cdn.example/cat.png", "https://cdn.example/dog.png"}},
			text: "Pets", shown: "Pets", sections: 1, images: "https://cdn.example/cat.png,https://cdn.example/dog.png"},
		{name: "long text in two sections", msg: herald.Message{Text: long, Media: []string{"https://cdn.example/cat.png"}},
			text: long, shown: long, sections: 2, images: "https://cdn.example/cat.png"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t)
			res := e.pub.Publish(context.Background(), e.request(tc.msg))
			if res.Outcome != herald.OutcomePublished || res.RemoteID != "" || res.URL != "" || !strings.Contains(res.Response, slack.NoID) {
				t.Fatalf("got %s %q id %q url %q response %q", res.Outcome, res.Reason, res.RemoteID, res.URL, res.Response)
			}
			msgs := e.fake.Messages()
			if len(msgs) != 1 {
				t.Fatalf("%d messages", len(msgs))
			}
			m := msgs[0]
			if m.Text != tc.text || m.Shown != tc.shown || len(m.Sections) != tc.sections || strings.Join(m.Images, ",") != tc.images {
				t.Errorf("message %+v", m)
			}
			if tc.sections > 0 && strings.Join(m.Sections, "") != tc.text {
				t.Errorf("sections do not add up to the text: %q", m.Sections)
			}
			e.noSecret(t, res)
		})
	}
}

func TestErrorClasses(t *testing.T) {
	tests := []struct {
		name       string
		fault      *slackfake.Fault
		prepare    func(e env, req *herald.PublishRequest)
		want       herald.Outcome
		reason     string
		retryAfter time.Duration
	}{
		{name: "429", fault: ptr(slackfake.TooManyRequests(3)), want: herald.OutcomeRetry, reason: "rate_limited", retryAfter: 3 * time.Second},
		{name: "500 rollup_error", fault: ptr(slackfake.RollupError()), want: herald.OutcomeRetry, reason: "rollup_error"},
		{name: "no_text (fake's own check)", prepare: func(_ env, req *herald.PublishRequest) { req.Message = herald.Message{} },
			want: herald.OutcomeFailed, reason: "no_text"},
		{name: "invalid_blocks (fake's own check)", prepare: func(_ env, req *herald.PublishRequest) {
			for i := 0; i < 50; i++ {
				req.Message.Media = append(req.Message.Media, "https://cdn.example/x.png")
			}
		}, want: herald.OutcomeFailed, reason: "invalid_blocks"},
		{name: "action_prohibited", fault: ptr(slackfake.ActionProhibited()), want: herald.OutcomeFailed, reason: "action_prohibited"},
		{name: "channel_not_found", fault: ptr(slackfake.ChannelNotFound()), want: herald.OutcomeFailed, reason: "channel_not_found"},
		{name: "channel_is_archived", prepare: func(e env, _ *herald.PublishRequest) { e.fake.Archive() },
			want: herald.OutcomeFailed, reason: "channel_is_archived"},
		{name: "wrong secret: invalid_token", prepare: func(e env, req *herald.PublishRequest) {
			req.Channel.Credentials["webhook_url"] = strings.Replace(e.fake.WebhookURL, secret, "Other", 1)
		}, want: herald.OutcomeReauth, reason: "invalid_token"},
		{name: "revoked: no_service", prepare: func(e env, _ *herald.PublishRequest) { e.fake.Revoke() },
			want: herald.OutcomeReauth, reason: "no_service"},
		{name: "drop after post", fault: ptr(slackfake.DropAfterPost()), want: herald.OutcomeUnknown, reason: "may have been posted"},
		{name: "refused", prepare: func(_ env, req *herald.PublishRequest) {
			ln, _ := net.Listen("tcp", "127.0.0.1:0")
			ln.Close()
			req.Channel.Credentials["webhook_url"] = "http://" + ln.Addr().String() + "/services/T1/B1/" + secret
		}, want: herald.OutcomeRetry, reason: "never reached Slack"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t)
			if tc.fault != nil {
				e.fake.Script(*tc.fault)
			}
			req := e.request(herald.Message{Text: "Hello"})
			if tc.prepare != nil {
				tc.prepare(e, &req)
			}
			res := e.pub.Publish(context.Background(), req)
			if res.Outcome != tc.want || !strings.Contains(res.Reason, tc.reason) || res.RetryAfter != tc.retryAfter || res.Throttled != (tc.retryAfter > 0) {
				t.Errorf("got %s %q retry after %s throttled %v; want %s containing %q, retry after %s",
					res.Outcome, res.Reason, res.RetryAfter, res.Throttled, tc.want, tc.reason, tc.retryAfter)
			}
			e.noSecret(t, res)
		})
	}
}

func TestThrottleHonoured(t *testing.T) {
	e := setup(t)
	e.fake.Script(slackfake.TooManyRequests(2))
	req := e.request(herald.Message{Text: "x"})
	if res := e.pub.Publish(context.Background(), req); !res.Throttled || res.RetryAfter != 2*time.Second {
		t.Fatalf("got %s throttled=%v after %s", res.Outcome, res.Throttled, res.RetryAfter)
	}
	e.clock.Add(time.Second)
	if res := e.pub.Publish(context.Background(), req); !res.Throttled || res.RetryAfter != time.Second {
		t.Errorf("too early: %s throttled=%v after %s; want Herald to hold the last second", res.Outcome, res.Throttled, res.RetryAfter)
	}
	e.clock.Add(time.Second)
	if res := e.pub.Publish(context.Background(), req); res.Outcome != herald.OutcomePublished {
		t.Errorf("after the wait: %s %s", res.Outcome, res.Reason)
	}
	if n, early := len(e.fake.Calls()), e.fake.EarlyCalls(); n != 2 || early != 0 {
		t.Errorf("%d calls reached Slack, %d early; want 2, 0", n, early)
	}
}

func TestPace(t *testing.T) {
	e := setup(t)
	req := e.request(herald.Message{Text: "x"})
	for i := 0; i < slack.PaceBurst; i++ {
		if res := e.pub.Publish(context.Background(), req); res.Outcome != herald.OutcomePublished {
			t.Fatalf("burst %d: %s %s", i, res.Outcome, res.Reason)
		}
	}
	if res := e.pub.Publish(context.Background(), req); !res.Throttled || res.RetryAfter != slack.PaceEvery {
		t.Errorf("past the burst: %s throttled=%v after %s", res.Outcome, res.Throttled, res.RetryAfter)
	}
	if n := len(e.fake.Messages()); n != slack.PaceBurst {
		t.Errorf("%d messages", n)
	}
}

func TestCheckAndValidate(t *testing.T) {
	pub := slack.New(slack.Options{HTTPClient: testkit.Loopback})
	ch := func(u string) *herald.Channel {
		return &herald.Channel{Credentials: map[string]string{"webhook_url": u}}
	}
	good := "https://hooks.slack.com/services/T0001/B0002/abcDEF123"
	if err := pub.Check(context.Background(), ch(good)); err != nil {
		t.Errorf("good: %v", err)
	}
	if err := pub.ValidateChannel(ch(good)); err != nil {
		t.Errorf("good: %v", err)
	}
	for _, bad := range []string{"", "https://hooks.slack.com/triggers/T1/123/abc", "hooks.slack.com/services/T1/B1/x", "https://hooks.slack.com/services/T1/B1/"} {
		if err := pub.Check(context.Background(), ch(bad)); herald.ErrorCode(err) != herald.EINVALID || !strings.Contains(herald.ErrorMessage(err), "only the URL's shape") {
			t.Errorf("check %q: %v", bad, err)
		}
		if err := pub.ValidateChannel(ch(bad)); herald.ErrorCode(err) != herald.EVALIDATION || herald.ErrorDetails(err)[0].Column != "credentials.webhook_url" {
			t.Errorf("validate %q: %v", bad, err)
		}
	}
}

func ptr[T any](v T) *T { return &v }
