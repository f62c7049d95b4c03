package contentplans

import (
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/heraldhq/herald"
)

// checkLimits applies each target platform's text and media limits to the
// message as published there (variant applied, link appended): length as
// the platform counts it (and UTF-8 bytes where limited), media count,
// required media, hashtags and mentions. A platform's media, hashtag and
// mention problems are reported once even when several channels share it.
func (b *builder) checkLimits(p *herald.Post) {
	var platforms []string
	reported := map[string]bool{} // code + platform + limit, reported once
	once := func(key string) bool {
		if reported[key] {
			return false
		}
		reported[key] = true
		return true
	}
	for _, name := range p.Channels {
		ch := b.up.Channels[name]
		if ch == nil {
			continue
		}
		platform := ch.TextPlatform()
		if !slices.Contains(platforms, platform) {
			platforms = append(platforms, platform)
		}
		lim := Limits[platform]
		m := p.Message(platform)
		col := "text"
		if v, ok := p.Variants[platform]; ok && v.Text != "" {
			col = "text:" + platform
		}
		if max := lim.mediaLimit(ch); max > 0 && len(m.Media) > max && once(fmtKey("media", platform, max)) {
			b.problem(p.Row, "media", "too_many_media", "post has %d media; %s takes at most %d (channel %s)", len(m.Media), platform, max, name)
		}
		if lim.MediaRequired && len(m.Media) == 0 && once("required "+platform) {
			b.problem(p.Row, "media", "media_required", "%s posts need at least one image: add one in media (channel %s)", platform, name)
		}
		if m.Text == "" {
			continue
		}
		body := m.Body()
		what := "text"
		if body != m.Text {
			what = "text with its link"
		}
		if max, note := lim.textLimit(m, ch); lim.Length != nil && max > 0 {
			if n := lim.Length(body, ch); n > max {
				b.problem(p.Row, col, "too_long", "%s is %d characters for %s channel %s (limit %d%s, counted in %s)", what, n, platform, name, max, note, lim.Unit)
			}
		}
		if lim.MaxBytes > 0 && len(body) > lim.MaxBytes {
			b.problem(p.Row, col, "too_long", "%s is %d bytes for %s channel %s (limit %d UTF-8 bytes)", what, len(body), platform, name, lim.MaxBytes)
		}
		if lim.MaxHashtags > 0 && once(col+" tags "+platform) {
			if n := len(Hashtags(body)); n > lim.MaxHashtags {
				b.problem(p.Row, col, "too_many_hashtags", "%s has %d hashtags; %s takes at most %d (channel %s)", what, n, platform, lim.MaxHashtags, name)
			}
		}
		if lim.MaxMentions > 0 && once(col+" mentions "+platform) {
			if n := len(Mentions(body)); n > lim.MaxMentions {
				b.problem(p.Row, col, "too_many_mentions", "%s has %d @-mentions; %s takes at most %d (channel %s)", what, n, platform, lim.MaxMentions, name)
			}
		}
	}
	for platform := range p.Variants {
		if len(platforms) > 0 && !slices.Contains(platforms, platform) {
			b.warn(p.Row, "text:"+platform, "unused_variant", "the %s variant is not used: no channel of this post is on %s (it has: %s)", platform, platform, strings.Join(platforms, ", "))
		}
	}
}

func fmtKey(what, platform string, n int) string {
	return what + " " + platform + " " + strconv.Itoa(n)
}

var (
	// A #hashtag: letters, digits, marks and _ after # (not inside a word
	// or an HTML entity such as &#39;).
	hashtagRe = regexp.MustCompile(`(?:^|[^\p{L}\p{N}\p{M}_&#])[#＃]([\p{L}\p{N}\p{M}_]+)`)
	// An @mention: not inside a word or an e-mail address.
	atMentionRe = regexp.MustCompile(`(?:^|[^\p{L}\p{N}\p{M}_.@])@([\p{L}\p{N}_.]*[\p{L}\p{N}_])`)
)

// Hashtags returns the #hashtags of text in order (URLs, whose fragments
// look like hashtags, are skipped). A hashtag of digits only counts too.
func Hashtags(text string) []string {
	return findAfter(hashtagRe, urlRe.ReplaceAllString(text, " "))
}

// Mentions returns the @mentions of text in order (URLs and e-mail
// addresses are skipped).
func Mentions(text string) []string {
	return findAfter(atMentionRe, urlRe.ReplaceAllString(text, " "))
}

// findAfter returns group 1 of every match, letting a match's leading
// separator be the previous match's last character.
func findAfter(re *regexp.Regexp, text string) []string {
	var out []string
	for len(text) > 0 {
		m := re.FindStringSubmatchIndex(text)
		if m == nil {
			break
		}
		out = append(out, text[m[2]:m[3]])
		text = text[m[3]:]
	}
	return out
}
