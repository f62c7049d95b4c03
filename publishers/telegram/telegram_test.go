package telegram_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/testkit"
	"github.com/heraldhq/herald/publishers/outbound"
	"github.com/heraldhq/herald/publishers/telegram"
	"github.com/heraldhq/herald/publishers/telegram/telegramfake"
	"github.com/rs/zerolog"
)

const token = "987654:SECRET-bot-token_xyz"

// setup starts a fake and a publisher logging into a buffer.
func setup(t *testing.T) (*telegramfake.Server, *telegram.Publisher, *bytes.Buffer) {
	t.Helper()
	fake := telegramfake.New(telegramfake.Options{Token: token})
	t.Cleanup(fake.Close)
	var logs bytes.Buffer
	pub := telegram.New(telegram.Options{HTTPClient: testkit.Loopback, Logger: zerolog.New(&logs).Level(zerolog.DebugLevel)})
	return fake, pub, &logs
}

func request(baseURL, chat string, m herald.Message) herald.PublishRequest {
	return herald.PublishRequest{
		Workspace: "acme", DeliveryID: 7, IdempotencyKey: "herald-7-abc", Attempt: 1,
		Channel: herald.Channel{Name: "tg-main", Platform: "telegram",
			Config:      map[string]any{"chat_id": chat, "base_url": baseURL},
			Credentials: map[string]string{"bot_token": token}},
		Message: m,
	}
}

// noToken fails the test when the bot token shows in any Result field or log line.
func noToken(t *testing.T, res herald.Result, logs *bytes.Buffer) {
	t.Helper()
	for name, s := range map[string]string{"Request": res.Request, "Response": res.Response, "Reason": res.Reason, "URL": res.URL, "logs": logs.String()} {
		if strings.Contains(s, token) || strings.Contains(s, "SECRET") {
			t.Errorf("%s contains the bot token: %q", name, s)
		}
	}
}

func photos(n int) []string {
	urls := make([]string, n)
	for i := range urls {
		urls[i] = fmt.Sprintf("https://cdn.example.com/%d.jpg", i+1)
	}
	return urls
}

func TestPublishShapes(t *testing.T) {
	tests := []struct {
		name       string
		chat       string
		msg        herald.Message
		wantMethod string
		wantText   string
		wantIDs    int
		wantURL    string
	}{
		{"text with link", "@brand", herald.Message{Text: "Hello", Link: "https://brand.example/x"},
			"sendMessage", "Hello\n\nhttps://brand.example/x", 1, "https://t.me/brand/1"},
		{"one photo", "-1001234567890", herald.Message{Text: "Look", Media: photos(1)},
			"sendPhoto", "Look", 1, "https://t.me/c/1234567890/1"},
		{"album of 2", "@brand", herald.Message{Text: "Two", Media: photos(2)},
			"sendMediaGroup", "Two", 2, "https://t.me/brand/1"},
		{"album of 10", "@brand", herald.Message{Text: "Ten", Media: photos(10)},
			"sendMediaGroup", "Ten", 10, "https://t.me/brand/1"},
		{"private chat has no public URL", "424242", herald.Message{Text: "Hi"},
			"sendMessage", "Hi", 1, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake, pub, logs := setup(t)
			res := pub.Publish(context.Background(), request(fake.URL, tc.chat, tc.msg))
			if res.Outcome != herald.OutcomePublished {
				t.Fatalf("outcome %s (%s), want published", res.Outcome, res.Reason)
			}
			msgs := fake.Messages()
			if len(msgs) != 1 {
				t.Fatalf("fake got %d messages, want 1", len(msgs))
			}
			m := msgs[0]
			if m.Method != tc.wantMethod || m.Text != tc.wantText || m.ChatID != tc.chat || len(m.MessageIDs) != tc.wantIDs {
				t.Errorf("fake got %+v; want method %s, text %q, chat %s, %d ids", m, tc.wantMethod, tc.wantText, tc.chat, tc.wantIDs)
			}
			if strings.Join(m.Photos, " ") != strings.Join(tc.msg.Media, " ") {
				t.Errorf("photos %v, want %v", m.Photos, tc.msg.Media)
			}
			if res.RemoteID != fmt.Sprint(m.MessageID) || res.URL != tc.wantURL {
				t.Errorf("remote id %q url %q, want %d and %q", res.RemoteID, res.URL, m.MessageID, tc.wantURL)
			}
			noToken(t, res, logs)
		})
	}
}

func TestAlbumCaptionOnFirstItemOnly(t *testing.T) {
	fake, pub, _ := setup(t)
	res := pub.Publish(context.Background(), request(fake.URL, "@brand", herald.Message{Text: "Caption", Media: photos(3)}))
	if res.Outcome != herald.OutcomePublished {
		t.Fatalf("outcome %s: %s", res.Outcome, res.Reason)
	}
	if strings.Count(res.Request, `"caption"`) != 1 || !strings.Contains(res.Request, `"caption":"Caption"`) {
		t.Errorf("request should carry the caption once, on the first item: %s", res.Request)
	}
}

func TestParseModeSent(t *testing.T) {
	fake, pub, _ := setup(t)
	req := request(fake.URL, "@brand", herald.Message{Text: "<b>bold</b>"})
	req.Channel.Config["parse_mode"] = "HTML"
	if res := pub.Publish(context.Background(), req); res.Outcome != herald.OutcomePublished {
		t.Fatalf("outcome %s: %s", res.Outcome, res.Reason)
	}
	if got := fake.Messages()[0].ParseMode; got != "HTML" {
		t.Errorf("parse_mode %q, want HTML", got)
	}
}

func TestErrorClasses(t *testing.T) {
	tests := []struct {
		name       string
		fault      *telegramfake.Fault
		msg        herald.Message
		token      string
		want       herald.Outcome
		wantReason string
		retryAfter time.Duration
	}{
		{name: "429 retry_after", fault: ptr(telegramfake.TooManyRequests(2)), want: herald.OutcomeRetry,
			wantReason: "Too Many Requests: retry after 2", retryAfter: 2 * time.Second},
		{name: "500", fault: ptr(telegramfake.ServerError()), want: herald.OutcomeRetry, wantReason: "Internal Server Error"},
		{name: "502 html", fault: ptr(telegramfake.BadGateway()), want: herald.OutcomeRetry, wantReason: "502"},
		{name: "chat not found", fault: ptr(telegramfake.BadRequest("chat not found")), want: herald.OutcomeFailed,
			wantReason: "Bad Request: chat not found"},
		{name: "bot blocked", fault: ptr(telegramfake.Forbidden("bot is not a member of the channel chat")),
			want: herald.OutcomeFailed, wantReason: "Forbidden: bot is not a member of the channel chat"},
		{name: "wrong token", token: "111:WRONG", want: herald.OutcomeReauth, wantReason: "Unauthorized"},
		{name: "too long (fake's own check)", msg: herald.Message{Text: strings.Repeat("😀", 2049)},
			want: herald.OutcomeFailed, wantReason: "Bad Request: message is too long"},
		{name: "drop before posting", fault: ptr(telegramfake.Drop()), want: herald.OutcomeUnknown, wantReason: "may have been posted"},
		{name: "drop after posting", fault: ptr(telegramfake.DropAfterPost()), want: herald.OutcomeUnknown, wantReason: "may have been posted"},
		{name: "album too big", msg: herald.Message{Text: "x", Media: photos(11)}, want: herald.OutcomeFailed, wantReason: "at most 10"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake, pub, logs := setup(t)
			if tc.fault != nil {
				fake.Script(*tc.fault)
			}
			if tc.msg.Text == "" {
				tc.msg.Text = "Hello"
			}
			req := request(fake.URL, "@brand", tc.msg)
			if tc.token != "" {
				req.Channel.Credentials["bot_token"] = tc.token
			}
			res := pub.Publish(context.Background(), req)
			if res.Throttled != (tc.retryAfter > 0) {
				t.Errorf("throttled = %v", res.Throttled)
			}
			if res.Outcome != tc.want || !strings.Contains(res.Reason, tc.wantReason) || res.RetryAfter != tc.retryAfter {
				t.Errorf("got %s %q retry after %s; want %s containing %q, retry after %s",
					res.Outcome, res.Reason, res.RetryAfter, tc.want, tc.wantReason, tc.retryAfter)
			}
			noToken(t, res, logs)
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestMigrateResendsAndUpdatesConfig(t *testing.T) {
	fake, pub, _ := setup(t)
	fake.Script(telegramfake.Migrate(-1009876543210))
	req := request(fake.URL, "-4001", herald.Message{Text: "Hello"})
	res := pub.Publish(context.Background(), req)
	if res.Outcome != herald.OutcomePublished {
		t.Fatalf("outcome %s (%s), want published after the resend", res.Outcome, res.Reason)
	}
	if got := res.ConfigUpdate["chat_id"]; got != "-1009876543210" {
		t.Errorf("ConfigUpdate chat_id = %v, want -1009876543210", got)
	}
	if res.URL != "https://t.me/c/9876543210/1" {
		t.Errorf("url %q", res.URL)
	}
	msgs := fake.Messages()
	if len(msgs) != 1 || msgs[0].ChatID != "-1009876543210" {
		t.Fatalf("fake messages %+v, want one to the new chat", msgs)
	}
	if calls := fake.Calls(); len(calls) != 2 || calls[0].ChatID != "-4001" {
		t.Errorf("calls %+v, want the old chat then the new one", calls)
	}

	// The old chat stays migrated (as on Telegram): a stale config still resolves.
	res = pub.Publish(context.Background(), req)
	if res.Outcome != herald.OutcomePublished || res.ConfigUpdate["chat_id"] != "-1009876543210" {
		t.Errorf("second publish with the old id: %s %v", res.Outcome, res.ConfigUpdate)
	}
}

func TestMigrateTwiceFails(t *testing.T) {
	fake, pub, _ := setup(t)
	fake.Script(telegramfake.Migrate(-1001), telegramfake.Migrate(-1002))
	res := pub.Publish(context.Background(), request(fake.URL, "-5", herald.Message{Text: "Hello"}))
	if res.Outcome != herald.OutcomeFailed || res.ConfigUpdate["chat_id"] != "-1001" {
		t.Errorf("got %s %v (%s), want failed with the first new id stored", res.Outcome, res.ConfigUpdate, res.Reason)
	}
	if n := len(fake.Messages()); n != 0 {
		t.Errorf("%d messages posted", n)
	}
}

func TestTimeoutAfterSendingIsUnknown(t *testing.T) {
	fake, pub, logs := setup(t)
	fake.Script(telegramfake.Hang())
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	res := pub.Publish(ctx, request(fake.URL, "@brand", herald.Message{Text: "Hello"}))
	if res.Outcome != herald.OutcomeUnknown {
		t.Errorf("outcome %s (%s), want unknown", res.Outcome, res.Reason)
	}
	noToken(t, res, logs)
	fake.Release()
	if _, err := fake.WaitMessages(1, 5*time.Second); err != nil {
		t.Errorf("the held message should be posted after release: %v", err)
	}
}

func TestClientTimeoutScrubsToken(t *testing.T) {
	fake, _, _ := setup(t)
	var logs bytes.Buffer
	pub := telegram.New(telegram.Options{HTTPClient: outbound.New(outbound.Options{Allow: testkit.AllowLoopback, Timeout: 100 * time.Millisecond}),
		Logger: zerolog.New(&logs).Level(zerolog.DebugLevel)})
	fake.Script(telegramfake.Hang())
	res := pub.Publish(context.Background(), request(fake.URL, "@brand", herald.Message{Text: "Hello"}))
	if res.Outcome != herald.OutcomeUnknown || !strings.Contains(res.Reason, "bot<redacted>") {
		t.Errorf("got %s %q, want unknown naming the redacted URL", res.Outcome, res.Reason)
	}
	noToken(t, res, &logs)
}

func TestConnectionRefusedIsRetry(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var logs bytes.Buffer
	pub := telegram.New(telegram.Options{HTTPClient: testkit.Loopback, Logger: zerolog.New(&logs).Level(zerolog.DebugLevel)})
	res := pub.Publish(context.Background(), request("http://"+addr, "@brand", herald.Message{Text: "Hello"}))
	if res.Outcome != herald.OutcomeRetry || !strings.Contains(res.Reason, "never reached") {
		t.Errorf("got %s %q, want retry", res.Outcome, res.Reason)
	}
	noToken(t, res, &logs)
}

func TestIdempotent(t *testing.T) {
	if telegram.New(telegram.Options{HTTPClient: testkit.Loopback}).Idempotent() {
		t.Error("Telegram has no idempotency key; Idempotent must be false")
	}
}

func TestValidateChannel(t *testing.T) {
	pub := telegram.New(telegram.Options{HTTPClient: testkit.Loopback})
	tests := []struct {
		name  string
		ch    herald.Channel
		wants []string // columns with problems
	}{
		{"ok", herald.Channel{Config: map[string]any{"chat_id": "@brand"}, Credentials: map[string]string{"bot_token": "1:A"}}, nil},
		{"numeric id from JSON", herald.Channel{Config: map[string]any{"chat_id": float64(-1001234567890)}, Credentials: map[string]string{"bot_token": "1:A"}}, nil},
		{"missing both", herald.Channel{}, []string{"config.chat_id", "credentials.bot_token"}},
		{"bad values", herald.Channel{Config: map[string]any{"chat_id": "brand", "parse_mode": "markdown", "base_url": "api.telegram.org"},
			Credentials: map[string]string{"bot_token": "1:A"}}, []string{"config.chat_id", "config.base_url", "config.parse_mode"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := pub.ValidateChannel(&tc.ch)
			if herald.ErrorCode(err) != map[bool]string{true: "", false: herald.EVALIDATION}[tc.wants == nil] {
				t.Fatalf("error %v", err)
			}
			var cols []string
			for _, p := range herald.ErrorDetails(err) {
				cols = append(cols, p.Column)
			}
			if strings.Join(cols, ",") != strings.Join(tc.wants, ",") {
				t.Errorf("problems on %v, want %v", cols, tc.wants)
			}
		})
	}
}
