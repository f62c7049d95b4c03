package discordfake_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/publishers/discord/discordfake"
	"github.com/heraldhq/herald/publishers/internal/testkit"
)

func do(t *testing.T, method, url, ctype string, body []byte) (*http.Response, map[string]any, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	json.Unmarshal(b, &m)
	return resp, m, b
}

func TestExecuteAnswers(t *testing.T) {
	s := discordfake.New(discordfake.Options{RateLimit: 100})
	defer s.Close()
	tests := []struct {
		name   string
		url    string
		body   string
		status int
		check  func(m map[string]any, raw []byte) bool
	}{
		{"without wait: 204, no body", s.WebhookURL, `{"content":"a"}`, 204, func(_ map[string]any, raw []byte) bool { return len(raw) == 0 }},
		{"wait=true: the message object", s.WebhookURL + "?wait=true", `{"content":"b"}`, 200, func(m map[string]any, _ []byte) bool {
			return m["id"] != "" && m["channel_id"] == discordfake.DefaultChannelID && m["content"] == "b" && m["guild_id"] == nil
		}},
		{"empty", s.WebhookURL + "?wait=true", `{"content":""}`, 400, func(m map[string]any, _ []byte) bool {
			return m["code"] == 50006.0 && m["message"] == "Cannot send an empty message"
		}},
		{"too long", s.WebhookURL + "?wait=true", `{"content":"` + strings.Repeat("a", 2001) + `"}`, 400, func(m map[string]any, raw []byte) bool {
			return m["code"] == 50035.0 && strings.Contains(string(raw), "BASE_TYPE_MAX_LENGTH")
		}},
		{"wrong token", strings.Replace(s.WebhookURL, s.Token, "nope", 1), `{"content":"c"}`, 401, func(m map[string]any, _ []byte) bool {
			return m["code"] == 50027.0
		}},
		{"unknown webhook", s.URL + "/api/webhooks/1/" + s.Token, `{"content":"c"}`, 404, func(m map[string]any, _ []byte) bool {
			return m["code"] == 10015.0 && m["message"] == "Unknown Webhook"
		}},
	}
	for _, tc := range tests {
		resp, m, raw := do(t, "POST", tc.url, "application/json", []byte(tc.body))
		if resp.StatusCode != tc.status || !tc.check(m, raw) {
			t.Errorf("%s: %d %s", tc.name, resp.StatusCode, raw)
		}
	}
	if msgs := s.Messages(); len(msgs) != 2 || msgs[0].Wait || !msgs[1].Wait {
		t.Errorf("messages %+v; want both posted, the second with wait", msgs)
	}
}

func TestMultipartFiles(t *testing.T) {
	s := discordfake.New(discordfake.Options{})
	defer s.Close()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("payload_json", `{"content":"pic","attachments":[{"id":0,"filename":"renamed.png"}]}`)
	fw, _ := mw.CreateFormFile("files[0]", "a.png")
	fw.Write(append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 20)...))
	mw.Close()
	resp, m, raw := do(t, "POST", s.WebhookURL+"?wait=true", mw.FormDataContentType(), buf.Bytes())
	atts, _ := m["attachments"].([]any)
	if resp.StatusCode != 200 || len(atts) != 1 || atts[0].(map[string]any)["filename"] != "renamed.png" {
		t.Fatalf("%d %s", resp.StatusCode, raw)
	}
	if f := s.Messages()[0].Files; len(f) != 1 || f[0].ContentType != "image/png" || f[0].Size != 28 {
		t.Errorf("files %+v", f)
	}
}

func TestBucketAndEarlyCalls(t *testing.T) {
	c := testkit.NewClock(time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC))
	s := discordfake.New(discordfake.Options{RateLimit: 2, Now: c.Now})
	defer s.Close()
	for i, want := range []int{200, 200, 429} {
		resp, m, raw := do(t, "POST", s.WebhookURL+"?wait=true", "application/json", []byte(`{"content":"x"}`))
		if resp.StatusCode != want || resp.Header.Get("X-RateLimit-Limit") == "" && want != 429 {
			t.Errorf("call %d: %d %s", i+1, resp.StatusCode, raw)
		}
		if want == 429 && (m["retry_after"] != 2.0 || resp.Header.Get("Retry-After") != "2") {
			t.Errorf("429: %s Retry-After %q", raw, resp.Header.Get("Retry-After"))
		}
	}
	c.Add(discordfake.RateWindow)
	s.Script(discordfake.TooManyRequests(0.5))
	resp, m, _ := do(t, "POST", s.WebhookURL, "application/json", []byte(`{"content":"x"}`))
	if resp.StatusCode != 429 || m["retry_after"] != 0.5 || resp.Header.Get("Retry-After") != "1" || m["global"] != false {
		t.Errorf("scripted 429: %d %v %q", resp.StatusCode, m, resp.Header.Get("Retry-After"))
	}
	c.Add(300 * time.Millisecond)
	if resp, m, _ := do(t, "POST", s.WebhookURL, "application/json", []byte(`{"content":"x"}`)); resp.StatusCode != 429 || m["retry_after"] != 0.2 || s.EarlyCalls() != 1 {
		t.Errorf("early call: %d %v, %d early", resp.StatusCode, m, s.EarlyCalls())
	}
	c.Add(200 * time.Millisecond)
	if resp, _, _ := do(t, "POST", s.WebhookURL, "application/json", []byte(`{"content":"x"}`)); resp.StatusCode != 204 {
		t.Errorf("after the wait: %d", resp.StatusCode)
	}
}

func TestWebhookObject(t *testing.T) {
	s := discordfake.New(discordfake.Options{})
	defer s.Close()
	resp, m, raw := do(t, "GET", s.WebhookURL, "", nil)
	if resp.StatusCode != 200 || m["id"] != s.WebhookID || m["guild_id"] != discordfake.DefaultGuildID || m["channel_id"] != s.ChannelID {
		t.Errorf("%d %s", resp.StatusCode, raw)
	}
	s.Delete()
	if resp, m, _ := do(t, "GET", s.WebhookURL, "", nil); resp.StatusCode != 404 || m["code"] != 10015.0 {
		t.Errorf("deleted: %d %v", resp.StatusCode, m)
	}
}
