package httpcall

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/heraldhq/herald"
)

func TestRedact(t *testing.T) {
	tok := "123:AB/C+d"
	s := "a " + tok + " b " + url.PathEscape(tok) + " c " + url.QueryEscape(tok)
	if got := Redact(s, tok, ""); strings.Contains(got, "AB") {
		t.Errorf("Redact left the secret: %q", got)
	}
	if Redact("abc", "") != "abc" {
		t.Error("an empty secret must change nothing")
	}
}

func TestErrorText(t *testing.T) {
	err := &url.Error{Op: "Post", URL: "https://api.telegram.org/bot123:SECRET/sendMessage", Err: errors.New("dial tcp: refused")}
	got := ErrorText(err, "https://api.telegram.org/bot<redacted>/sendMessage", "123:SECRET")
	if strings.Contains(got, "SECRET") || !strings.Contains(got, "bot<redacted>") || !strings.Contains(got, "refused") {
		t.Errorf("ErrorText = %q", got)
	}
}

func TestTruncate(t *testing.T) {
	s := strings.Repeat("é", 2000)
	got := Truncate(s, 2048)
	if !utf8.ValidString(got) || !strings.Contains(got, "truncated, 4000 bytes") || len(got) > 2048+60 {
		t.Errorf("Truncate: %d bytes, valid %v", len(got), utf8.ValidString(got))
	}
	if Truncate("short", 10) != "short" {
		t.Error("short strings stay whole")
	}
}

// A secret echoed across the point where the record is cut is masked
// whole: Finish redacts first, then truncates.
func TestFinishRedactsBeforeTruncating(t *testing.T) {
	const tok = "MASTOTOKEN-abc123" // 17 characters
	for shift := -len(tok); shift <= len(tok); shift++ {
		body := strings.Repeat("a", MaxRecorded-4+shift) + tok + strings.Repeat("b", 100)
		res := herald.Result{
			Request:  "POST /x " + strings.Repeat("r", 2*MaxRecorded-8+shift) + tok,
			Response: Answer(&Response{Status: 400, Body: []byte(body)}),
			Reason:   strings.Repeat("c", MaxReason-5+shift) + tok,
		}
		Finish(&res, func(s string) string { return Redact(s, tok) })
		for _, f := range []string{res.Request, res.Response, res.Reason} {
			for n := 5; n <= len(tok); n++ {
				if strings.Contains(f, tok[:n]) || strings.Contains(f, tok[len(tok)-n:]) {
					t.Fatalf("shift %d: %d characters of the secret survive: …%q", shift, n, f[max(0, len(f)-80):])
				}
			}
		}
		if len(res.Response) > MaxRecorded+64 || len(res.Reason) > MaxReason+64 {
			t.Fatalf("not cut: %d, %d bytes", len(res.Response), len(res.Reason))
		}
	}
}

// Every form a secret travels in is masked: escaped for a path or a query,
// quoted in JSON, base64 (standard and URL alphabets, any alignment, as in
// a Basic authorization of "client-id:secret").
func TestRedactEncodedForms(t *testing.T) {
	sec := "s3cr3t/+=?&é-token"
	basic := base64.StdEncoding.EncodeToString([]byte("client-id:" + sec))
	for _, s := range []string{
		sec, url.PathEscape(sec), url.QueryEscape(sec), strconv.Quote(sec),
		base64.StdEncoding.EncodeToString([]byte(sec)), base64.URLEncoding.EncodeToString([]byte(sec)),
		base64.RawURLEncoding.EncodeToString([]byte("x" + sec + "yz")), "Authorization: Basic " + basic,
	} {
		j, _ := json.Marshal(map[string]string{"echo": s})
		got := Redact(string(j), sec)
		if !strings.Contains(got, Mask) {
			t.Errorf("%q: not masked: %s", s, got)
		}
		if strings.Contains(got, "s3cr3t") || strings.Contains(got, "token") {
			t.Errorf("%q: the secret shows: %s", s, got)
		}
	}
	// The longest secret is masked first: one that contains another is
	// masked whole.
	if got := Redact("x ABCDEFGH-long y", "ABCD", "ABCDEFGH-long"); got != "x <redacted> y" {
		t.Errorf("nested secrets: %q", got)
	}
}

// A secret shorter than MinSecret is never masked character by character:
// masking every "a" would spell the secret out.
func TestRedactShortSecrets(t *testing.T) {
	for _, sec := range []string{"a", "ab", "abc"} {
		if got := Redact("a bad answer: abc", sec); got != "a bad answer: abc" {
			t.Errorf("secret %q: %q", sec, got)
		}
	}
	if got := Redact("token abcd here", "abcd"); got != "token <redacted> here" {
		t.Errorf("4 characters: %q", got)
	}
}

// The forms of each secret are worked out once and kept, within a bound:
// many secrets seen once each do not grow the cache past formCacheMax, and
// a secret whose forms were dropped is still masked.
func TestRedactCacheBounded(t *testing.T) {
	first := "secret-0000"
	if got := Redact("x "+first+" y", first); strings.Contains(got, first) {
		t.Fatalf("not masked: %q", got)
	}
	for i := 1; i <= formCacheMax+10; i++ {
		sec := "secret-" + strconv.Itoa(i)
		if got := Redact("token="+url.QueryEscape(sec), sec); strings.Contains(got, sec) {
			t.Fatalf("not masked: %q", got)
		}
	}
	formCache.Lock()
	n := len(formCache.m)
	formCache.Unlock()
	if n > formCacheMax {
		t.Errorf("cache holds %d secrets, bound %d", n, formCacheMax)
	}
	if got := Redact(`{"k":"`+first+`"}`, first); strings.Contains(got, first) {
		t.Errorf("not masked after the cache was emptied: %q", got)
	}
}

// BenchmarkRedact: one call's request and response redacted of a channel's
// two secrets, as every publish does.
func BenchmarkRedact(b *testing.B) {
	req := `POST https://hooks.example.com/herald {"text":"Burst post 1","channel":"ch-001"} X-Herald-Signature: sha256=0123456789abcdef`
	for b.Loop() {
		_ = Redact(req, "whsec_0123456789abcdefghijklmnop", "another-secret-value")
	}
}
