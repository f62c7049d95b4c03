package mastodonfake_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/publishers/internal/testkit"
	"github.com/heraldhq/herald/publishers/mastodon/mastodonfake"
)

func do(t *testing.T, s *mastodonfake.Server, method, path, ctype string, body []byte, hdr map[string]string) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, s.URL+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+s.Token)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	json.Unmarshal(b, &m)
	return resp, m
}

func postStatus(t *testing.T, s *mastodonfake.Server, key, body string) (*http.Response, map[string]any) {
	return do(t, s, "POST", "/api/v1/statuses", "application/json", []byte(body), map[string]string{"Idempotency-Key": key})
}

func TestIdempotencyKeyReplayAndExpiry(t *testing.T) {
	c := testkit.NewClock(time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC))
	s := mastodonfake.New(mastodonfake.Options{Now: c.Now, RateLimit: 1000})
	defer s.Close()
	_, a := postStatus(t, s, "k1", `{"status":"hi"}`)
	_, b := postStatus(t, s, "k1", `{"status":"hi again"}`)
	if a["id"] == nil || a["id"] != b["id"] || len(s.Statuses()) != 1 {
		t.Errorf("replay: %v vs %v, %d statuses; want the original, posted once", a["id"], b["id"], len(s.Statuses()))
	}
	c.Add(mastodonfake.IdempotencyTTL)
	_, d := postStatus(t, s, "k1", `{"status":"hi"}`)
	if d["id"] == a["id"] || len(s.Statuses()) != 2 {
		t.Errorf("after an hour the key is forgotten: got %v, %d statuses", d["id"], len(s.Statuses()))
	}
}

func TestValidationAndAuth(t *testing.T) {
	s := mastodonfake.New(mastodonfake.Options{})
	defer s.Close()
	tests := []struct {
		body   string
		status int
		err    string
	}{
		{`{"status":""}`, 422, "Validation failed: Text can't be blank"},
		{`{"status":"` + strings.Repeat("a", 501) + `"}`, 422, "Validation failed: Text character limit of 500 exceeded"},
		{`{"status":"` + strings.Repeat("👍🏽", 500) + `"}`, 200, ""},                                                     // graphemes, not code points
		{`{"status":"` + strings.Repeat("a", 476) + ` https://example.com/` + strings.Repeat("x", 100) + `"}`, 200, ""}, // a URL counts 23
		{`{"status":"x","visibility":"everyone"}`, 422, "Validation failed: Visibility is not included in the list"},
		{`{"status":"x","media_ids":["1","2","3","4","5"]}`, 422, "Cannot attach more than 4 files"},
	}
	for _, tc := range tests {
		resp, m := postStatus(t, s, "", tc.body)
		if resp.StatusCode != tc.status || (tc.err != "" && m["error"] != tc.err) {
			t.Errorf("%.40s…: %d %v, want %d %q", tc.body, resp.StatusCode, m, tc.status, tc.err)
		}
	}
	req, _ := http.NewRequest("POST", s.URL+"/api/v1/statuses", strings.NewReader(`{"status":"x"}`))
	req.Header.Set("Authorization", "Bearer nope")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 || resp.Header.Get("X-RateLimit-Limit") == "" {
		t.Errorf("wrong token: %d, headers %v; want 401 with X-RateLimit-*", resp.StatusCode, resp.Header)
	}
}

func TestMediaProcessing(t *testing.T) {
	s := mastodonfake.New(mastodonfake.Options{ProcessingPolls: 2})
	defer s.Close()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", "a.png")
	fw.Write(append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 50)...))
	mw.Close()
	resp, m := do(t, s, "POST", "/api/v2/media", mw.FormDataContentType(), buf.Bytes(), nil)
	id, _ := m["id"].(string)
	if resp.StatusCode != 202 || id == "" || m["url"] != nil {
		t.Fatalf("upload: %d %v, want 202 with url null", resp.StatusCode, m)
	}
	if resp, m := postStatus(t, s, "", `{"status":"x","media_ids":["`+id+`"]}`); resp.StatusCode != 422 {
		t.Errorf("attaching unprocessed media: %d %v, want 422", resp.StatusCode, m)
	}
	for i, want := range []int{206, 206, 200, 200} {
		if resp, _ := do(t, s, "GET", "/api/v1/media/"+id, "", nil, nil); resp.StatusCode != want {
			t.Errorf("poll %d: %d, want %d", i+1, resp.StatusCode, want)
		}
	}
	if resp, m := postStatus(t, s, "", `{"status":"x","media_ids":["`+id+`"]}`); resp.StatusCode != 200 {
		t.Errorf("attaching processed media: %d %v", resp.StatusCode, m)
	}
	if got := s.Media(); len(got) != 1 || got[0].FileName != "a.png" || got[0].ContentType != "image/png" {
		t.Errorf("media %+v", got)
	}
}

func TestRateLimitHeaders(t *testing.T) {
	c := testkit.NewClock(time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC))
	s := mastodonfake.New(mastodonfake.Options{Now: c.Now, RateLimit: 2})
	defer s.Close()
	for i, want := range []int{200, 200, 429} {
		resp, _ := postStatus(t, s, "", `{"status":"x"}`)
		if resp.StatusCode != want || resp.Header.Get("X-RateLimit-Reset") != "2026-12-01T07:05:00.000000Z" {
			t.Errorf("call %d: %d reset %q remaining %q", i+1, resp.StatusCode, resp.Header.Get("X-RateLimit-Reset"), resp.Header.Get("X-RateLimit-Remaining"))
		}
	}
	c.Add(mastodonfake.RateWindow)
	if resp, _ := postStatus(t, s, "", `{"status":"x"}`); resp.StatusCode != 200 || resp.Header.Get("X-RateLimit-Remaining") != "1" {
		t.Errorf("new window: %d remaining %q", resp.StatusCode, resp.Header.Get("X-RateLimit-Remaining"))
	}
}

func TestScriptedFaultsByPath(t *testing.T) {
	s := mastodonfake.New(mastodonfake.Options{Latency: 30 * time.Millisecond})
	defer s.Close()
	s.Script(mastodonfake.ServerError().On("/api/v1/statuses"))
	start := time.Now()
	if resp, _ := do(t, s, "GET", "/api/v2/instance", "", nil, nil); resp.StatusCode != 200 {
		t.Errorf("instance: %d; the fault is for statuses only", resp.StatusCode)
	}
	if time.Since(start) < 30*time.Millisecond {
		t.Error("latency not applied")
	}
	if resp, _ := postStatus(t, s, "", `{"status":"x"}`); resp.StatusCode != 500 {
		t.Errorf("statuses: %d, want the scripted 500", resp.StatusCode)
	}
	calls, err := s.WaitCalls(2, time.Second)
	if err != nil || calls[1].Fault == "" || calls[0].Fault != "" || s.Pending() != 0 {
		t.Errorf("calls %+v, err %v", calls, err)
	}
}
