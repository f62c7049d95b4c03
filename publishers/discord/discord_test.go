package discord_test

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
	"github.com/heraldhq/herald/publishers/discord"
	"github.com/heraldhq/herald/publishers/discord/discordfake"
	"github.com/heraldhq/herald/publishers/internal/testkit"
	"github.com/rs/zerolog"
)

const token = "SECRET-webhook-token_123"

type env struct {
	fake  *discordfake.Server
	pub   *discord.Publisher
	clock *testkit.Clock
	logs  *bytes.Buffer
	media *httptest.Server
}

func setup(t *testing.T, fo discordfake.Options) env {
	t.Helper()
	c := testkit.NewClock(time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC))
	fo.Token, fo.Now = token, c.Now
	fake := discordfake.New(fo)
	t.Cleanup(fake.Close)
	var logs bytes.Buffer
	pub := discord.New(discord.Options{Logger: zerolog.New(&logs).Level(zerolog.DebugLevel), Now: c.Now, HTTPClient: testkit.Loopback})
	media := httptest.NewServer(http.HandlerFunc(serveMedia))
	t.Cleanup(media.Close)
	return env{fake: fake, pub: pub, clock: c, logs: &logs, media: media}
}

var png = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 100)...)

func serveMedia(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/cat.png", "/dog.png":
		w.Header().Set("Content-Type", "image/png")
		w.Write(png)
	case "/page.html":
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html></html>"))
	case "/flaky.png":
		w.WriteHeader(http.StatusServiceUnavailable)
	default:
		http.NotFound(w, r)
	}
}

func (e env) request(m herald.Message, config map[string]any) herald.PublishRequest {
	return herald.PublishRequest{Workspace: "acme", DeliveryID: 9, IdempotencyKey: "k", Attempt: 1,
		Channel: herald.Channel{ID: 4, Name: "dc", Platform: "discord", Config: config,
			Credentials: map[string]string{"webhook_url": e.fake.WebhookURL}},
		Message: m}
}

func (e env) noToken(t *testing.T, res herald.Result) {
	t.Helper()
	for name, s := range map[string]string{"Request": res.Request, "Response": res.Response, "Reason": res.Reason, "URL": res.URL, "logs": e.logs.String()} {
		if strings.Contains(s, token) {
			t.Errorf("%s contains the webhook token: %q", name, s)
		}
	}
}

func TestPublishShapes(t *testing.T) {
	tests := []struct {
		name      string
		fo        discordfake.Options
		config    map[string]any
		msg       func(e env) herald.Message
		content   string
		files     string // names of the attachments
		wantURL   bool
		configUpd any
	}{
		{name: "text with guild in config", config: map[string]any{"guild_id": "42"},
			msg:     func(env) herald.Message { return herald.Message{Text: "Hello", Link: "https://brand.example/x"} },
			content: "Hello\n\nhttps://brand.example/x", wantURL: true},
		{name: "guild learnt from the webhook object",
			msg:     func(env) herald.Message { return herald.Message{Text: "Hi"} },
			content: "Hi", wantURL: true, configUpd: discordfake.DefaultGuildID},
		{name: "no guild anywhere: no URL", fo: discordfake.Options{GuildID: "-"},
			msg:     func(env) herald.Message { return herald.Message{Text: "Hi"} },
			content: "Hi"},
		{name: "two images as attachments", config: map[string]any{"guild_id": "42"},
			msg: func(e env) herald.Message {
				return herald.Message{Text: "Pets", Media: []string{e.media.URL + "/cat.png", e.media.URL + "/dog.png"}}
			},
			content: "Pets", files: "cat.png,dog.png", wantURL: true},
		{name: "image only", config: map[string]any{"guild_id": "42"},
			msg:   func(e env) herald.Message { return herald.Message{Media: []string{e.media.URL + "/cat.png"}} },
			files: "cat.png", wantURL: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, tc.fo)
			res := e.pub.Publish(context.Background(), e.request(tc.msg(e), tc.config))
			if res.Outcome != herald.OutcomePublished {
				t.Fatalf("outcome %s: %s\n%s", res.Outcome, res.Reason, res.Request)
			}
			msgs := e.fake.Messages()
			if len(msgs) != 1 {
				t.Fatalf("%d messages", len(msgs))
			}
			m := msgs[0]
			var names []string
			for _, f := range m.Files {
				names = append(names, f.Name)
				if f.ContentType != "image/png" || f.Size != len(png) || !strings.HasPrefix(f.Field, "files[") {
					t.Errorf("file %+v", f)
				}
			}
			if m.Content != tc.content || strings.Join(names, ",") != tc.files || !m.Wait {
				t.Errorf("message %+v; want content %q, files %s, sent with wait=true", m, tc.content, tc.files)
			}
			if res.RemoteID != m.ID {
				t.Errorf("remote id %q, message id %q", res.RemoteID, m.ID)
			}
			guild, _ := tc.config["guild_id"].(string)
			if guild == "" {
				guild = discordfake.DefaultGuildID
			}
			wantURL := ""
			if tc.wantURL {
				wantURL = "https://discord.com/channels/" + guild + "/" + m.ChannelID + "/" + m.ID
			}
			if res.URL != wantURL {
				t.Errorf("url %q, want %q", res.URL, wantURL)
			}
			if got := res.ConfigUpdate["guild_id"]; got != tc.configUpd {
				t.Errorf("config update %v, want guild_id %v", res.ConfigUpdate, tc.configUpd)
			}
			e.noToken(t, res)
		})
	}
}

func TestErrorClasses(t *testing.T) {
	tests := []struct {
		name       string
		fault      *discordfake.Fault
		prepare    func(e env, req *herald.PublishRequest)
		text       string
		media      string
		want       herald.Outcome
		reason     string
		retryAfter time.Duration
	}{
		{name: "429 float retry_after", fault: ptr(discordfake.TooManyRequests(1.25)), want: herald.OutcomeRetry,
			reason: "rate limited", retryAfter: 1250 * time.Millisecond},
		{name: "500", fault: ptr(discordfake.ServerError()), want: herald.OutcomeRetry, reason: "Internal Server Error"},
		{name: "502 html", fault: ptr(discordfake.BadGateway()), want: herald.OutcomeRetry, reason: "502"},
		{name: "wrong token", prepare: func(e env, req *herald.PublishRequest) {
			req.Channel.Credentials["webhook_url"] = strings.Replace(e.fake.WebhookURL, token, "other", 1)
		}, want: herald.OutcomeReauth, reason: "Invalid Webhook Token"},
		{name: "webhook deleted", prepare: func(e env, _ *herald.PublishRequest) { e.fake.Delete() },
			want: herald.OutcomeReauth, reason: "Unknown Webhook (code 10015)"},
		{name: "403 missing permissions", fault: ptr(discordfake.MissingPermissions()), want: herald.OutcomeFailed, reason: "Missing Permissions"},
		{name: "too long (fake's own check)", text: strings.Repeat("é", 2001), want: herald.OutcomeFailed,
			reason: "Invalid Form Body (code 50035): content: Must be 2000 or fewer in length."},
		{name: "drop after post", fault: ptr(discordfake.DropAfterPost()), want: herald.OutcomeUnknown, reason: "may have been posted"},
		{name: "media not found", media: "/missing.png", want: herald.OutcomeFailed, reason: "404"},
		{name: "media not an image", media: "/page.html", want: herald.OutcomeFailed, reason: "text/html"},
		{name: "media host down", media: "/flaky.png", want: herald.OutcomeRetry, reason: "503"},
		{name: "refused connection", prepare: func(_ env, req *herald.PublishRequest) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				panic(err)
			}
			ln.Close()
			req.Channel.Credentials["webhook_url"] = "http://" + ln.Addr().String() + "/api/webhooks/1/" + token
		}, want: herald.OutcomeRetry, reason: "never reached Discord"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, discordfake.Options{})
			if tc.fault != nil {
				e.fake.Script(*tc.fault)
			}
			if tc.text == "" {
				tc.text = "Hello"
			}
			m := herald.Message{Text: tc.text}
			if tc.media != "" {
				m.Media = []string{e.media.URL + tc.media}
			}
			req := e.request(m, map[string]any{"guild_id": "42"})
			if tc.prepare != nil {
				tc.prepare(e, &req)
			}
			res := e.pub.Publish(context.Background(), req)
			if res.Outcome != tc.want || !strings.Contains(res.Reason, tc.reason) || res.RetryAfter != tc.retryAfter {
				t.Errorf("got %s %q retry after %s; want %s containing %q, retry after %s",
					res.Outcome, res.Reason, res.RetryAfter, tc.want, tc.reason, tc.retryAfter)
			}
			if res.Throttled != (tc.retryAfter > 0) {
				t.Errorf("throttled %v", res.Throttled)
			}
			e.noToken(t, res)
		})
	}
}

func TestThrottleHonoured(t *testing.T) {
	e := setup(t, discordfake.Options{})
	e.fake.Script(discordfake.TooManyRequests(0.75))
	req := e.request(herald.Message{Text: "Wait for it"}, nil)
	res := e.pub.Publish(context.Background(), req)
	if res.Outcome != herald.OutcomeRetry || !res.Throttled || res.RetryAfter != 750*time.Millisecond {
		t.Fatalf("got %s throttled=%v after %s", res.Outcome, res.Throttled, res.RetryAfter)
	}
	e.clock.Add(500 * time.Millisecond)
	res = e.pub.Publish(context.Background(), req)
	if res.Outcome != herald.OutcomeRetry || !res.Throttled || res.RetryAfter != 250*time.Millisecond {
		t.Errorf("too early: %s throttled=%v after %s; want Herald to hold the last 250ms", res.Outcome, res.Throttled, res.RetryAfter)
	}
	if n := len(e.fake.Calls()); n != 1 || e.fake.EarlyCalls() != 0 {
		t.Errorf("%d calls reached Discord, %d early; want only the first", n, e.fake.EarlyCalls())
	}
	e.clock.Add(250 * time.Millisecond)
	if res = e.pub.Publish(context.Background(), req); res.Outcome != herald.OutcomePublished || e.fake.EarlyCalls() != 0 {
		t.Errorf("after the wait: %s %s, %d early calls", res.Outcome, res.Reason, e.fake.EarlyCalls())
	}
}

func TestBucketHeadersHoldTheWebhook(t *testing.T) {
	e := setup(t, discordfake.Options{RateLimit: 1})
	req := e.request(herald.Message{Text: "one"}, map[string]any{"guild_id": "42"})
	if res := e.pub.Publish(context.Background(), req); res.Outcome != herald.OutcomePublished {
		t.Fatalf("first: %s %s", res.Outcome, res.Reason)
	}
	res := e.pub.Publish(context.Background(), req)
	if res.Outcome != herald.OutcomeRetry || !res.Throttled || res.RetryAfter != discordfake.RateWindow {
		t.Errorf("second: %s throttled=%v after %s; want held until the bucket resets (%s)", res.Outcome, res.Throttled, res.RetryAfter, discordfake.RateWindow)
	}
	if n := len(e.fake.Calls()); n != 1 {
		t.Errorf("%d calls reached Discord, want 1", n)
	}
}

func TestCheck(t *testing.T) {
	e := setup(t, discordfake.Options{})
	ch := func(u string) *herald.Channel {
		return &herald.Channel{Platform: "discord", Credentials: map[string]string{"webhook_url": u}}
	}
	if err := e.pub.Check(context.Background(), ch(e.fake.WebhookURL)); err != nil {
		t.Errorf("working webhook: %v", err)
	}
	if n := len(e.fake.Messages()); n != 0 {
		t.Errorf("check posted %d messages", n)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	ln.Close()
	tests := []struct {
		name, url, code, reason string
	}{
		{"wrong token", strings.Replace(e.fake.WebhookURL, token, "other", 1), herald.EUNAUTHORIZED, "Invalid Webhook Token"},
		{"malformed", "https://discord.com/webhooks", herald.EINVALID, "must look like"},
		{"down", "http://" + ln.Addr().String() + "/api/webhooks/1/" + token, herald.EUNAVAILABLE, "no answer"},
	}
	for _, tc := range tests {
		err := e.pub.Check(context.Background(), ch(tc.url))
		if herald.ErrorCode(err) != tc.code || !strings.Contains(herald.ErrorMessage(err), tc.reason) || strings.Contains(herald.ErrorMessage(err), token) {
			t.Errorf("%s: %v; want %s containing %q", tc.name, err, tc.code, tc.reason)
		}
	}
	e.fake.Delete()
	if err := e.pub.Check(context.Background(), ch(e.fake.WebhookURL)); herald.ErrorCode(err) != herald.EUNAUTHORIZED || !strings.Contains(herald.ErrorMessage(err), "Unknown Webhook") {
		t.Errorf("deleted: %v", err)
	}
}

func TestValidateChannel(t *testing.T) {
	pub := discord.New(discord.Options{HTTPClient: testkit.Loopback})
	err := pub.ValidateChannel(&herald.Channel{Config: map[string]any{"guild_id": "abc", "avatar_url": "ftp://x"},
		Credentials: map[string]string{"webhook_url": "https://discord.com/channels/1/2"}})
	var cols []string
	for _, p := range herald.ErrorDetails(err) {
		cols = append(cols, p.Column)
	}
	if herald.ErrorCode(err) != herald.EVALIDATION || strings.Join(cols, ",") != "credentials.webhook_url,config.guild_id,config.avatar_url" {
		t.Errorf("got %v %v", err, cols)
	}
	ok := &herald.Channel{Credentials: map[string]string{"webhook_url": "https://discord.com/api/webhooks/123/abc-DEF_1"}}
	if err := pub.ValidateChannel(ok); err != nil {
		t.Errorf("valid channel: %v", err)
	}
	if err := pub.ValidateChannel(&herald.Channel{}); len(herald.ErrorDetails(err)) != 1 {
		t.Errorf("empty channel: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }
