package contentplans

import (
	"strings"
	"testing"
)

const (
	family    = "👨\u200d👩\u200d👧" // one grapheme, 8 UTF-16 units
	eAcute    = "e\u0301"         // e + combining acute: one grapheme, 2 units
	longURL   = "https://example.com/a/rather/long/path/to/a/page?with=query&and=more"
	shortLink = "https://example.com/x"
)

func TestTelegramLength(t *testing.T) {
	tests := []struct {
		name, text, mode string
		want             int
	}{
		{"ascii", "hello", "", 5},
		{"cyrillic", "привет", "", 6},
		{"emoji outside the BMP", "😀", "", 2},
		{"ZWJ family", family, "", 8},
		{"combining mark", eAcute, "", 2},
		{"CJK", "日本語", "", 3},
		{"HTML tags and entities", `<b>bold</b> &amp; <a href="https://x.y">link</a>`, "HTML", 11},
		{"HTML entity", "&lt;3", "html", 2},
		{"HTML tags counted without parse mode", "<b>b</b>", "", 8},
		{"MarkdownV2", `*bold* \_x\_ [link](https://x.y)`, "MarkdownV2", 13},
		{"MarkdownV2 escapes", `1\.5 \- 2\!`, "MarkdownV2", 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := TelegramLength(tt.text, tt.mode); got != tt.want {
				t.Errorf("TelegramLength(%q, %q) = %d, want %d", tt.text, tt.mode, got, tt.want)
			}
		})
	}
}

func TestMastodonLength(t *testing.T) {
	tests := []struct {
		name, text string
		want       int
	}{
		{"ascii", "hello", 5},
		{"ZWJ family", family, 1},
		{"combining mark", eAcute, 1},
		{"flag", "🇷🇺", 1},
		{"CJK", "日本語", 3},
		{"long URL counts 23", longURL, 23},
		{"short URL counts 23", "http://x.y", 23},
		{"trailing period is not the URL's", "see " + longURL + ".", 4 + 23 + 1},
		{"remote mention counts as local", "@anya@mastodon.social hi", 8},
		{"e-mail address is not a mention", "mail a@b.example", 16},
		{"URL and mention", "http://x.y @u@d.org", 23 + 1 + 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MastodonLength(tt.text); got != tt.want {
				t.Errorf("MastodonLength(%q) = %d, want %d", tt.text, got, tt.want)
			}
		})
	}
}

// TestLimits checks each platform rule through Build, at its limit and one past.
func TestLimits(t *testing.T) {
	media := func(n int) []string {
		var m []string
		for i := range n {
			m = append(m, "https://example.com/"+strings.Repeat("i", i+1)+".jpg")
		}
		return m
	}
	a := func(n int) string { return strings.Repeat("a", n) }
	tests := []struct {
		name     string
		channel  string
		text     string
		media    []string
		link     string
		variant  map[string]any
		wantCode string // "" when valid
		wantCol  string
	}{
		{"telegram at 4096", "tg-raw", a(4096), nil, "", nil, "", ""},
		{"telegram past 4096", "tg-raw", a(4097), nil, "", nil, "too_long", "text"},
		{"telegram emoji at limit", "tg-raw", strings.Repeat("😀", 2048), nil, "", nil, "", ""},
		{"telegram emoji past limit", "tg-raw", strings.Repeat("😀", 2048) + "a", nil, "", nil, "too_long", "text"},
		{"telegram ZWJ at limit", "tg-raw", strings.Repeat(family, 512), nil, "", nil, "", ""},
		{"telegram ZWJ past limit", "tg-raw", strings.Repeat(family, 512) + "a", nil, "", nil, "too_long", "text"},
		{"telegram combining at limit", "tg-raw", strings.Repeat(eAcute, 2048), nil, "", nil, "", ""},
		{"telegram combining past limit", "tg-raw", strings.Repeat(eAcute, 2048) + "a", nil, "", nil, "too_long", "text"},
		{"telegram CJK at limit", "tg-raw", strings.Repeat("語", 4096), nil, "", nil, "", ""},
		{"telegram CJK past limit", "tg-raw", strings.Repeat("語", 4097), nil, "", nil, "too_long", "text"},
		{"telegram HTML tags not counted", "tg-main", "<b>" + a(4096) + "</b>", nil, "", nil, "", ""},
		{"telegram HTML past limit", "tg-main", "<b>" + a(4097) + "</b>", nil, "", nil, "too_long", "text"},
		{"telegram tags counted without parse mode", "tg-raw", "<b>" + a(4090) + "</b>", nil, "", nil, "too_long", "text"},
		{"telegram caption at 1024", "tg-raw", a(1024), media(1), "", nil, "", ""},
		{"telegram caption past 1024", "tg-raw", a(1025), media(1), "", nil, "too_long", "text"},
		{"telegram link appended at limit", "tg-raw", a(4096 - 2 - len(shortLink)), nil, shortLink, nil, "", ""},
		{"telegram link appended past limit", "tg-raw", a(4097 - 2 - len(shortLink)), nil, shortLink, nil, "too_long", "text"},
		{"telegram 10 media", "tg-raw", "x", media(10), "", nil, "", ""},
		{"telegram 11 media", "tg-raw", "x", media(11), "", nil, "too_many_media", "media"},
		{"mastodon at 500", "masto", a(500), nil, "", nil, "", ""},
		{"mastodon past 500", "masto", a(501), nil, "", nil, "too_long", "text"},
		{"mastodon ZWJ at limit", "masto", strings.Repeat(family, 500), nil, "", nil, "", ""},
		{"mastodon ZWJ past limit", "masto", strings.Repeat(family, 501), nil, "", nil, "too_long", "text"},
		{"mastodon combining at limit", "masto", strings.Repeat(eAcute, 500), nil, "", nil, "", ""},
		{"mastodon combining past limit", "masto", strings.Repeat(eAcute, 501), nil, "", nil, "too_long", "text"},
		{"mastodon CJK at limit", "masto", strings.Repeat("語", 500), nil, "", nil, "", ""},
		{"mastodon CJK past limit", "masto", strings.Repeat("語", 501), nil, "", nil, "too_long", "text"},
		{"mastodon URL counts 23 at limit", "masto", a(476) + " " + longURL, nil, "", nil, "", ""},
		{"mastodon URL counts 23 past limit", "masto", a(477) + " " + longURL, nil, "", nil, "too_long", "text"},
		{"mastodon appended link counts 23", "masto", a(475), nil, longURL, nil, "", ""},
		{"mastodon appended link past limit", "masto", a(476), nil, longURL, nil, "too_long", "text"},
		{"mastodon max_characters at limit", "masto-1k", a(1000), nil, "", nil, "", ""},
		{"mastodon max_characters past limit", "masto-1k", a(1001), nil, "", nil, "too_long", "text"},
		{"mastodon variant at limit", "masto", a(5000), nil, "", map[string]any{"mastodon": map[string]any{"text": a(500)}}, "", ""},
		{"mastodon variant past limit", "masto", "short", nil, "", map[string]any{"mastodon": map[string]any{"text": a(501)}}, "too_long", "text:mastodon"},
		{"mastodon 4 media", "masto", "x", media(4), "", nil, "", ""},
		{"mastodon 5 media", "masto", "x", media(5), "", nil, "too_many_media", "media"},
		{"outbox has no limit", "demo", a(100000), media(20), "", nil, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			post := map[string]any{"key": "k", "at": "2026-12-01 10:00", "channels": []string{tt.channel}, "text": tt.text}
			if tt.media != nil {
				post["media"] = tt.media
			}
			if tt.link != "" {
				post["link"] = tt.link
			}
			if tt.variant != nil {
				post["variants"] = tt.variant
			}
			up := upload("json", jsonPlan(t, "Europe/Moscow", post), "")
			if tt.wantCode == "" {
				mustBuild(t, up)
				return
			}
			ps := mustFail(t, up)
			p, ok := findProblem(ps, 1, tt.wantCode)
			if !ok || p.Column != tt.wantCol || len(ps) != 1 {
				t.Fatalf("want one %s problem on row 1, column %s; got:\n%s", tt.wantCode, tt.wantCol, problemList(ps))
			}
			if !strings.Contains(p.Message, tt.channel) {
				t.Errorf("message %q does not name channel %s", p.Message, tt.channel)
			}
		})
	}
}

func TestTooLongMessage(t *testing.T) {
	post := map[string]any{"at": "2026-12-01 10:00", "channels": []string{"tg-raw"}, "text": strings.Repeat("a", 4100)}
	ps := mustFail(t, upload("json", jsonPlan(t, "Europe/Moscow", post), ""))
	want := "text is 4100 characters for telegram channel tg-raw (limit 4096, counted in UTF-16 code units after markup)"
	if len(ps) != 1 || ps[0].Message != want {
		t.Fatalf("got:\n%swant message %q", problemList(ps), want)
	}
}
