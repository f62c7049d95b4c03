package httpcall

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
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
