package contentplans

import (
	"strings"
	"testing"

	"github.com/heraldhq/herald"
)

const (
	flagRU   = "🇷🇺"                       // two regional indicators: one emoji
	thumbsUp = "👍🏽"                       // emoji + skin tone modifier
	keycap   = "#\ufe0f\u20e3"            // keycap sequence
	qTilde   = "q\u0303"                  // no precomposed form: stays two code points after NFC
	hindi    = "\u0915\u094d\u0937\u093f" // क्षि: one grapheme, four code points below U+10FF
)

func TestXLength(t *testing.T) {
	tests := []struct {
		name, text string
		want       int
	}{
		{"ascii", "hello", 5},
		{"cyrillic weighs 1", "привет", 6},
		{"CJK weighs 2", "日本語", 6},
		{"emoji", "😀", 2},
		{"ZWJ family is one emoji", family, 2},
		{"flag is one emoji", flagRU, 2},
		{"skin tone is one emoji", thumbsUp, 2},
		{"keycap is one emoji", keycap, 2},
		{"copyright sign as text", "©", 1},
		{"copyright sign as emoji", "©\ufe0f", 2},
		{"combining mark composed by NFC", eAcute, 1},
		{"combining mark without precomposed form", qTilde, 2},
		{"Devanagari counts code points", hindi, 4},
		{"en dash in a weight-1 range", "\u2013", 1},
		{"ellipsis outside the ranges", "\u2026", 2},
		{"long URL counts 23", longURL, 23},
		{"short URL counts 23", "http://x.y", 23},
		{"trailing period is not the URL's", "see " + longURL + ".", 4 + 23 + 1},
		{"bare domain counts 23", "visit example.com/sale today", 6 + 23 + 6},
		{"www domain counts 23", "www.example.org", 23},
		{"file name is not a URL", "Node.js", 7},
		{"two URLs", shortLink + " " + shortLink, 23 + 1 + 23},
		{"label longer than 63 is no domain", strings.Repeat("a", 64) + ".com", 68},
		{"directional marks around a URL", "\u2066\u202A" + shortLink + "\u202C\u2069", 2 + 2 + 23 + 2 + 2},
		{"precomposed stays one", "\u00c1B", 2},
		{"presentation form decomposed by NFC", "A\ufb2c", 4},
		{"Unicode 10 emoji", "🤪 🧕 🧕🏾 🏴\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F", 4*2 + 3},
		{"person with skin tone and ZWJ", "🙋🏽👨\u200d🎤", 4},
		{"CJK punctuation weighs 2", "故人，西。", 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := XLength(tt.text); got != tt.want {
				t.Errorf("XLength(%q) = %d, want %d", tt.text, got, tt.want)
			}
		})
	}
}

func TestHashtagsAndMentions(t *testing.T) {
	tests := []struct {
		name, text string
		tags, ats  int
	}{
		{"plain", "#coffee and #кофе #2026", 3, 0},
		{"adjacent tags", "#one#two", 2, 0},
		{"not inside a word", "a#b c&#39;d", 0, 0},
		{"URL fragment is not a tag", "https://example.com/page#top", 0, 0},
		{"mentions", "@anya and @boris.k, hi", 0, 2},
		{"e-mail is not a mention", "mail a@b.example", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Hashtags(tt.text); len(got) != tt.tags {
				t.Errorf("Hashtags(%q) = %q, want %d", tt.text, got, tt.tags)
			}
			if got := Mentions(tt.text); len(got) != tt.ats {
				t.Errorf("Mentions(%q) = %q, want %d", tt.text, got, tt.ats)
			}
		})
	}
}

// platformChannels adds a channel per platform to the test channels.
func platformChannels() map[string]*herald.Channel {
	chs := testChannels()
	for _, p := range []string{"bluesky", "x", "vk", "instagram", "linkedin", "threads", "discord", "facebook", "slack", "webhook"} {
		chs[p] = &herald.Channel{Name: p, Platform: p}
	}
	chs["masto-6m"] = &herald.Channel{Name: "masto-6m", Platform: "mastodon",
		Config: map[string]any{"max_media_attachments": float64(6)}}
	return chs
}

// TestPlatformLimits checks each platform's rules through Build, at the
// limit and one past it.
func TestPlatformLimits(t *testing.T) {
	media := func(n int) []string {
		var m []string
		for i := range n {
			m = append(m, "https://example.com/"+strings.Repeat("i", i+1)+".jpg")
		}
		return m
	}
	a := func(n int) string { return strings.Repeat("a", n) }
	rep := strings.Repeat
	tags := func(n int) string { return strings.TrimSpace(rep("#tag ", n)) }
	ats := func(n int) string { return strings.TrimSpace(rep("@who ", n)) }
	img := media(1)
	tests := []struct {
		name     string
		channel  string
		text     string
		media    []string
		link     string
		wantCode string // "" when valid
		wantCol  string
	}{
		{"x at 280", "x", a(280), nil, "", "", ""},
		{"x past 280", "x", a(281), nil, "", "too_long", "text"},
		{"x emoji at limit", "x", rep("😀", 140), nil, "", "", ""},
		{"x emoji past limit", "x", rep("😀", 140) + "a", nil, "", "too_long", "text"},
		{"x ZWJ at limit", "x", rep(family, 140), nil, "", "", ""},
		{"x ZWJ past limit", "x", rep(family, 140) + "a", nil, "", "too_long", "text"},
		{"x flags at limit", "x", rep(flagRU, 140), nil, "", "", ""},
		{"x flags past limit", "x", rep(flagRU, 141), nil, "", "too_long", "text"},
		{"x skin tones at limit", "x", rep(thumbsUp, 140), nil, "", "", ""},
		{"x skin tones past limit", "x", rep(thumbsUp, 140) + "a", nil, "", "too_long", "text"},
		{"x combining NFC at limit", "x", rep(eAcute, 280), nil, "", "", ""},
		{"x combining NFC past limit", "x", rep(eAcute, 281), nil, "", "too_long", "text"},
		{"x combining at limit", "x", rep(qTilde, 140), nil, "", "", ""},
		{"x combining past limit", "x", rep(qTilde, 140) + "a", nil, "", "too_long", "text"},
		{"x CJK at limit", "x", rep("語", 140), nil, "", "", ""},
		{"x CJK past limit", "x", rep("語", 141), nil, "", "too_long", "text"},
		{"x URL at the end at limit", "x", a(256) + " " + longURL, nil, "", "", ""},
		{"x URL at the end past limit", "x", a(257) + " " + longURL, nil, "", "too_long", "text"},
		{"x appended link past limit", "x", a(256), nil, shortLink, "too_long", "text"},
		{"x appended link at limit", "x", a(255), nil, shortLink, "", ""},
		{"x 4 media", "x", "x", media(4), "", "", ""},
		{"x 5 media", "x", "x", media(5), "", "too_many_media", "media"},
		{"bluesky at 300", "bluesky", a(300), nil, "", "", ""},
		{"bluesky past 300", "bluesky", a(301), nil, "", "too_long", "text"},
		{"bluesky ZWJ at 300", "bluesky", rep(family, 166) + a(12), nil, "", "", ""},
		{"bluesky ZWJ past 3000 bytes", "bluesky", rep(family, 166) + a(13), nil, "", "too_long", "text"},
		{"bluesky flags at limit", "bluesky", rep(flagRU, 300), nil, "", "", ""},
		{"bluesky flags past limit", "bluesky", rep(flagRU, 301), nil, "", "too_long", "text"},
		{"bluesky combining at limit", "bluesky", rep(eAcute, 300), nil, "", "", ""},
		{"bluesky combining past limit", "bluesky", rep(eAcute, 301), nil, "", "too_long", "text"},
		{"bluesky CJK at limit", "bluesky", rep("語", 300), nil, "", "", ""},
		{"bluesky CJK past limit", "bluesky", rep("語", 301), nil, "", "too_long", "text"},
		{"bluesky URL counts as written", "bluesky", a(300-len(shortLink)-1) + " " + shortLink, nil, "", "", ""},
		{"bluesky URL past limit", "bluesky", a(301-len(shortLink)-1) + " " + shortLink, nil, "", "too_long", "text"},
		{"bluesky 4 media", "bluesky", "x", media(4), "", "", ""},
		{"bluesky 5 media", "bluesky", "x", media(5), "", "too_many_media", "media"},
		{"mastodon flags at limit", "masto", rep(flagRU, 500), nil, "", "", ""},
		{"mastodon flags past limit", "masto", rep(flagRU, 501), nil, "", "too_long", "text"},
		{"mastodon skin tones past limit", "masto", rep(thumbsUp, 501), nil, "", "too_long", "text"},
		{"mastodon max_media_attachments at limit", "masto-6m", "x", media(6), "", "", ""},
		{"mastodon max_media_attachments past limit", "masto-6m", "x", media(7), "", "too_many_media", "media"},
		{"telegram flags at limit", "tg-raw", rep(flagRU, 1024), nil, "", "", ""},
		{"telegram flags past limit", "tg-raw", rep(flagRU, 1024) + "a", nil, "", "too_long", "text"},
		{"vk at 16384", "vk", a(16384), nil, "", "", ""},
		{"vk past 16384", "vk", a(16385), nil, "", "too_long", "text"},
		{"vk emoji at limit", "vk", rep("😀", 8192), nil, "", "", ""},
		{"vk emoji past limit", "vk", rep("😀", 8192) + "a", nil, "", "too_long", "text"},
		{"vk 10 media", "vk", "x", media(10), "", "", ""},
		{"vk 11 media", "vk", "x", media(11), "", "too_many_media", "media"},
		{"instagram at 2200", "instagram", a(2200), img, "", "", ""},
		{"instagram past 2200", "instagram", a(2201), img, "", "too_long", "text"},
		{"instagram CJK past limit", "instagram", rep("語", 2201), img, "", "too_long", "text"},
		{"instagram 30 hashtags", "instagram", tags(30), img, "", "", ""},
		{"instagram 31 hashtags", "instagram", tags(31), img, "", "too_many_hashtags", "text"},
		{"instagram 20 mentions", "instagram", ats(20), img, "", "", ""},
		{"instagram 21 mentions", "instagram", ats(21), img, "", "too_many_mentions", "text"},
		{"instagram without image", "instagram", "x", nil, "", "media_required", "media"},
		{"instagram 10 media", "instagram", "x", media(10), "", "", ""},
		{"instagram 11 media", "instagram", "x", media(11), "", "too_many_media", "media"},
		{"linkedin at 3000", "linkedin", a(3000), nil, "", "", ""},
		{"linkedin past 3000", "linkedin", a(3001), nil, "", "too_long", "text"},
		{"linkedin 20 media", "linkedin", "x", media(20), "", "", ""},
		{"linkedin 21 media", "linkedin", "x", media(21), "", "too_many_media", "media"},
		{"threads at 500", "threads", a(500), nil, "", "", ""},
		{"threads past 500", "threads", a(501), nil, "", "too_long", "text"},
		{"threads 10 media", "threads", "x", media(10), "", "", ""},
		{"threads 11 media", "threads", "x", media(11), "", "too_many_media", "media"},
		{"discord at 2000", "discord", a(2000), nil, "", "", ""},
		{"discord past 2000", "discord", a(2001), nil, "", "too_long", "text"},
		{"discord 10 media", "discord", "x", media(10), "", "", ""},
		{"discord 11 media", "discord", "x", media(11), "", "too_many_media", "media"},
		{"slack at 40000", "slack", a(40000), nil, "", "", ""},
		{"slack past 40000", "slack", a(40001), nil, "", "too_long", "text"},
		{"slack 50 media", "slack", "x", media(50), "", "too_many_media", "media"},
		{"webhook no limit", "webhook", a(100000), media(60), "", "", ""},
		{"facebook at 63206", "facebook", a(63206), nil, "", "", ""},
		{"facebook past 63206", "facebook", a(63207), nil, "", "too_long", "text"},
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
			up := upload("json", jsonPlan(t, "Europe/Moscow", post), "")
			up.Channels = platformChannels()
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

// TestVariantCheckedPerPlatform: each platform's variant is what its limit
// applies to, and a problem points at the variant's column.
func TestVariantCheckedPerPlatform(t *testing.T) {
	post := map[string]any{"key": "k", "at": "2026-12-01 10:00", "channels": []string{"x", "bluesky"},
		"text": strings.Repeat("a", 300), "variants": map[string]any{"x": map[string]any{"text": strings.Repeat("b", 281)}}}
	up := upload("json", jsonPlan(t, "Europe/Moscow", post), "")
	up.Channels = platformChannels()
	ps := mustFail(t, up)
	if p, ok := findProblem(ps, 1, "too_long"); !ok || p.Column != "text:x" || len(ps) != 1 {
		t.Fatalf("want one too_long on text:x; got:\n%s", problemList(ps))
	}
}

// TestMediaProblemOncePerPlatform: two channels on one platform give one
// media problem.
func TestMediaProblemOncePerPlatform(t *testing.T) {
	chs := platformChannels()
	chs["x2"] = &herald.Channel{Name: "x2", Platform: "x"}
	post := map[string]any{"key": "k", "at": "2026-12-01 10:00", "channels": []string{"x", "x2"}, "text": "t",
		"media": []string{"https://e.com/1", "https://e.com/2", "https://e.com/3", "https://e.com/4", "https://e.com/5"}}
	up := upload("json", jsonPlan(t, "Europe/Moscow", post), "")
	up.Channels = chs
	if ps := mustFail(t, up); len(ps) != 1 || ps[0].Code != "too_many_media" {
		t.Fatalf("want one too_many_media; got:\n%s", problemList(ps))
	}
}

func TestRules(t *testing.T) {
	rules := Rules()
	if len(rules) != len(Limits) {
		t.Fatalf("Rules has %d platforms, Limits %d", len(rules), len(Limits))
	}
	by := map[string]PlatformRule{}
	for i, r := range rules {
		if i > 0 && rules[i-1].Platform >= r.Platform {
			t.Errorf("not sorted: %s before %s", rules[i-1].Platform, r.Platform)
		}
		if r.Unit == "" {
			t.Errorf("%s has no unit", r.Platform)
		}
		by[r.Platform] = r
	}
	tests := []struct {
		platform                 string
		maxLength, media, urlLen int
		required                 bool
	}{
		{"telegram", 4096, 10, 0, false},
		{"mastodon", 500, 4, 23, false},
		{"bluesky", 300, 4, 0, false},
		{"x", 280, 4, 23, false},
		{"vk", 16384, 10, 0, false},
		{"instagram", 2200, 10, 0, true},
		{"linkedin", 3000, 20, 0, false},
		{"threads", 500, 10, 0, false},
		{"discord", 2000, 10, 0, false},
		{"outbox", 0, 0, 0, false},
		{"slack", 40000, 49, 0, false},
		{"webhook", 0, 0, 0, false},
	}
	for _, tt := range tests {
		r, ok := by[tt.platform]
		if !ok {
			t.Errorf("no rule for %s", tt.platform)
			continue
		}
		if r.MaxLength != tt.maxLength || r.MaxMedia != tt.media || r.URLWeight != tt.urlLen || r.MediaRequired != tt.required {
			t.Errorf("%s: got %+v", tt.platform, r)
		}
	}
	if by["telegram"].MaxCaption != 1024 || by["bluesky"].MaxBytes != 3000 || by["instagram"].MaxHashtags != 30 {
		t.Errorf("caption, bytes or hashtag limits missing: %+v", rules)
	}
	for _, r := range rules {
		if len(r.MediaTypes) == 0 || r.Links == "" {
			t.Errorf("%s: no media types or link description: %+v", r.Platform, r)
		}
	}
}
