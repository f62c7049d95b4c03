package httpcall

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

func TestFinish(t *testing.T) {
	res := herald.Result{Request: "GET /x?token=SECRET " + strings.Repeat("a", 3*MaxRecorded), Response: "200 SECRET", Reason: "bad SECRET"}
	Finish(&res, func(s string) string { return Redact(s, "SECRET") })
	if strings.Contains(res.Request+res.Response+res.Reason, "SECRET") {
		t.Fatalf("secret left: %+v", res)
	}
	if !strings.Contains(res.Request, "truncated") || len(res.Request) > 2*MaxRecorded+64 {
		t.Errorf("Request not cut to 2*MaxRecorded: %d bytes", len(res.Request))
	}
}

func TestCheckError(t *testing.T) {
	for o, want := range map[herald.Outcome]string{
		herald.OutcomeReauth:  herald.EUNAUTHORIZED,
		herald.OutcomeRetry:   herald.EUNAVAILABLE,
		herald.OutcomeUnknown: herald.EUNAVAILABLE,
		herald.OutcomeFailed:  herald.EINVALID,
	} {
		err := CheckError(o, "why")
		if e, ok := err.(*herald.Error); !ok || e.Code != want || e.Message != "why" {
			t.Errorf("%s: got %#v, want code %s", o, err, want)
		}
	}
}

func TestNewResult(t *testing.T) {
	r := NewResult(herald.OutcomeFailed, "no", []string{"GET a", "POST b"}, &Response{Status: 400, Body: []byte(" bad ")})
	if r.Outcome != herald.OutcomeFailed || r.Reason != "no" || r.Request != "GET a\nPOST b" || r.Response != "400 bad" {
		t.Errorf("got %+v", r)
	}
}

func TestValidBaseURL(t *testing.T) {
	for s, want := range map[string]bool{"https://a": true, "http://a.b": true, "https://": false, "ftp://a": false, "": false} {
		if ValidBaseURL(s) != want {
			t.Errorf("ValidBaseURL(%q) = %v", s, !want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	h := http.Header{}
	if d := RetryAfter(h, now); d != 0 {
		t.Errorf("missing: %s", d)
	}
	h.Set("Retry-After", "1.5")
	if d := RetryAfter(h, now); d != 1500*time.Millisecond {
		t.Errorf("seconds: %s", d)
	}
	h.Set("Retry-After", now.Add(time.Minute).Format(http.TimeFormat))
	if d := RetryAfter(h, now); d != time.Minute {
		t.Errorf("date: %s", d)
	}
}

// An answer is quoted only when it is JSON or one short line of text: an
// HTML page or a long text (an internal service's page) is summarised.
func TestBodyTextAndAnswer(t *testing.T) {
	page := "<html><body>INTERNAL-SECRET-DATA " + strings.Repeat("x", 12<<10) + "</body></html>"
	tests := []struct {
		resp         *Response
		text, answer string
	}{
		{&Response{Status: 500, Header: http.Header{"Content-Type": {"text/html"}}, Body: []byte(page)},
			"HTTP 500 Internal Server Error (text/html, 12 KB)", "500 (text/html, 12 KB)"},
		{&Response{Status: 502, Body: []byte("<html>bad gateway</html>")},
			"HTTP 502 Bad Gateway (no content type, 24 bytes)", "502 (no content type, 24 bytes)"},
		{&Response{Status: 500, Header: http.Header{"Content-Type": {"text/plain"}}, Body: []byte("INTERNAL-SECRET-DATA " + strings.Repeat("y", 100))},
			"HTTP 500 Internal Server Error (text/plain, 121 bytes)", "500 (text/plain, 121 bytes)"},
		{&Response{Status: 400, Header: http.Header{"Content-Type": {"text/plain"}}, Body: []byte("invalid_payload\n")},
			"HTTP 400: invalid_payload", "400 invalid_payload"},
		{&Response{Status: 422, Header: http.Header{"Content-Type": {"application/json; charset=utf-8"}}, Body: []byte(` {"error":"too long"} `)},
			`HTTP 422: {"error":"too long"}`, `422 {"error":"too long"}`},
		{&Response{Status: 500}, "HTTP 500 Internal Server Error (no body)", "500 "},
	}
	for _, tc := range tests {
		if got := BodyText(tc.resp); got != tc.text {
			t.Errorf("BodyText = %q, want %q", got, tc.text)
		}
		if got := Answer(tc.resp); got != tc.answer {
			t.Errorf("Answer = %q, want %q", got, tc.answer)
		}
	}
}
