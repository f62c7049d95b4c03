package slackfake_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/publishers/internal/testkit"
	"github.com/heraldhq/herald/publishers/slack/slackfake"
)

func post(t *testing.T, u, ctype, body string) (int, string, http.Header) {
	t.Helper()
	resp, err := http.Post(u, ctype, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func TestAnswers(t *testing.T) {
	s := slackfake.New(slackfake.Options{})
	defer s.Close()
	tests := []struct {
		name, url, ctype, body string
		status                 int
		answer                 string
	}{
		{"text", s.WebhookURL, "application/json", `{"text":"a &amp; b"}`, 200, "ok"},
		{"form payload", s.WebhookURL, "application/x-www-form-urlencoded", "payload=" + url.QueryEscape(`{"text":"form"}`), 200, "ok"},
		{"not JSON", s.WebhookURL, "application/json", `{"text":`, 400, "invalid_payload"},
		{"no text", s.WebhookURL, "application/json", `{"text":""}`, 400, "no_text"},
		{"bad block", s.WebhookURL, "application/json", `{"text":"x","blocks":[{"type":"image","image_url":"https://x/y.png"}]}`, 400, "invalid_blocks"},
		{"wrong secret", strings.Replace(s.WebhookURL, s.Secret, "nope", 1), "application/json", `{"text":"x"}`, 403, "invalid_token"},
		{"unknown hook", s.URL + "/services/T1/B1/x", "application/json", `{"text":"x"}`, 404, "no_service"},
	}
	for _, tc := range tests {
		if status, answer, _ := post(t, tc.url, tc.ctype, tc.body); status != tc.status || answer != tc.answer {
			t.Errorf("%s: %d %q, want %d %q", tc.name, status, answer, tc.status, tc.answer)
		}
	}
	if msgs := s.Messages(); len(msgs) != 2 || msgs[0].Shown != "a & b" || msgs[1].Text != "form" {
		t.Errorf("messages %+v", msgs)
	}
	s.Archive()
	if status, answer, _ := post(t, s.WebhookURL, "application/json", `{"text":"x"}`); status != 410 || answer != "channel_is_archived" {
		t.Errorf("archived: %d %q", status, answer)
	}
}

func TestRetryAfterBlocks(t *testing.T) {
	c := testkit.NewClock(time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC))
	s := slackfake.New(slackfake.Options{Now: c.Now})
	defer s.Close()
	s.Script(slackfake.TooManyRequests(2))
	if status, _, h := post(t, s.WebhookURL, "application/json", `{"text":"x"}`); status != 429 || h.Get("Retry-After") != "2" {
		t.Fatalf("scripted: %d %v", status, h)
	}
	c.Add(1500 * time.Millisecond)
	if status, _, h := post(t, s.WebhookURL, "application/json", `{"text":"x"}`); status != 429 || h.Get("Retry-After") != "1" || s.EarlyCalls() != 1 {
		t.Errorf("early: %d %v, %d early", status, h, s.EarlyCalls())
	}
	c.Add(500 * time.Millisecond)
	if status, _, _ := post(t, s.WebhookURL, "application/json", `{"text":"x"}`); status != 200 {
		t.Errorf("after: %d", status)
	}
}
