package publishers_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers"
	"github.com/heraldhq/herald/publishers/internal/httpcall"
	"github.com/heraldhq/herald/publishers/internal/testkit"
	"github.com/heraldhq/herald/publishers/mastodon"
	"github.com/heraldhq/herald/publishers/mastodon/mastodonfake"
	"github.com/heraldhq/herald/publishers/telegram"
	"github.com/heraldhq/herald/publishers/telegram/telegramfake"
)

// pieces fails t when f shows 5 or more characters of secret in a row.
func pieces(t *testing.T, field, f, secret string) {
	t.Helper()
	for n := 5; n <= len(secret); n++ {
		for i := 0; i+n <= len(secret); i++ {
			if strings.Contains(f, secret[i:i+n]) {
				t.Fatalf("%s shows %q of the secret: …%q", field, secret[i:i+n], f[max(0, len(f)-120):])
			}
		}
	}
}

// A platform that echoes the token back, at any offset — also across the
// points where Response (MaxRecorded) and Reason (MaxReason) are cut — has
// it masked whole in the Result, never cut first and left as 16 of its 17
// characters.
func TestSecretEchoedAcrossTheCutIsMasked(t *testing.T) {
	const token = "424242:MASTOTOKEN" // 17 characters
	tg := telegramfake.New(telegramfake.Options{Token: token})
	defer tg.Close()
	masto := mastodonfake.New(mastodonfake.Options{Token: token})
	defer masto.Close()
	var pads []int
	for pad := httpcall.MaxReason - 120; pad <= httpcall.MaxReason; pad++ {
		pads = append(pads, pad)
	}
	for pad := httpcall.MaxRecorded - 120; pad <= httpcall.MaxRecorded; pad++ {
		pads = append(pads, pad)
	}
	for _, pad := range pads {
		echo := strings.Repeat("x", pad) + token + " was refused"
		tg.Script(telegramfake.Fault{Status: 400, Description: "Bad Request: " + echo})
		res := telegram.New(telegram.Options{HTTPClient: testkit.Loopback}).Publish(context.Background(), herald.PublishRequest{
			Workspace: "acme", DeliveryID: 1, Attempt: 1, Message: herald.Message{Text: "hi"},
			Channel: herald.Channel{ID: 1, Name: "tg", Platform: "telegram", Config: map[string]any{"base_url": tg.URL, "chat_id": "@brand"},
				Credentials: map[string]string{"bot_token": token}}})
		if res.Outcome != herald.OutcomeFailed {
			t.Fatalf("telegram: %s %q", res.Outcome, res.Reason)
		}
		for name, f := range map[string]string{"Request": res.Request, "Response": res.Response, "Reason": res.Reason} {
			pieces(t, "telegram "+name, f, token)
		}

		masto.Script(mastodonfake.Unprocessable(echo).On("/api/v1/statuses"))
		res = mastodon.New(mastodon.Options{HTTPClient: testkit.Loopback}).Publish(context.Background(), herald.PublishRequest{
			Workspace: "acme", DeliveryID: 1, Attempt: 1, IdempotencyKey: "k", Message: herald.Message{Text: "hi"},
			Channel: herald.Channel{ID: 1, Name: "m", Platform: "mastodon", Config: map[string]any{"instance_url": masto.URL},
				Credentials: map[string]string{"access_token": token}}})
		if res.Outcome != herald.OutcomeFailed {
			t.Fatalf("mastodon: %s %q", res.Outcome, res.Reason)
		}
		for name, f := range map[string]string{"Request": res.Request, "Response": res.Response, "Reason": res.Reason} {
			pieces(t, "mastodon "+name, f, token)
		}
		if len(res.Reason) > httpcall.MaxReason+64 || len(res.Response) > httpcall.MaxRecorded+64 {
			t.Fatalf("not bounded: reason %d, response %d bytes", len(res.Reason), len(res.Response))
		}
	}
}

// A check of a channel pointed at an internal service never echoes its
// page: refused by default (the service is not called), and with the
// address allowed the answer is summarised, not quoted.
func TestCheckNeverEchoesAnInternalPage(t *testing.T) {
	var hits atomic.Int64
	internal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte("<html><body>INTERNAL-SECRET-DATA " + strings.Repeat("x", 12<<10) + "</body></html>"))
	}))
	defer internal.Close()
	ch := &herald.Channel{Name: "m", Platform: "mastodon", Config: map[string]any{"instance_url": internal.URL},
		Credentials: map[string]string{"access_token": "MASTOTOKEN-123456"}}

	err := publishers.Check(context.Background(), publishers.New(publishers.Options{DataDir: t.TempDir()}), ch)
	if herald.ErrorCode(err) != herald.EINVALID || !strings.Contains(herald.ErrorMessage(err), "not a public address") || hits.Load() != 0 {
		t.Fatalf("by default: %v after %d calls, want EINVALID: not a public address, no call", err, hits.Load())
	}
	err = publishers.Check(context.Background(), publishers.New(publishers.Options{DataDir: t.TempDir(), Network: testkit.AllowLoopback}), ch)
	msg := herald.ErrorMessage(err)
	if hits.Load() != 1 || strings.Contains(msg, "INTERNAL-SECRET-DATA") || !strings.Contains(msg, "HTTP 500 Internal Server Error (text/html, 12 KB)") || len(msg) > httpcall.MaxReason+64 {
		t.Fatalf("allowed: %q after %d calls, want the page summarised", msg, hits.Load())
	}
}
