package contentplans

import (
	"html"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/heraldhq/herald"
	"github.com/rivo/uniseg"
)

// Platform limits. Telegram counts the visible text in UTF-16 code units;
// Mastodon counts grapheme clusters with every URL as MastodonURLLength.
const (
	TelegramMaxText    = 4096 // sendMessage text
	TelegramMaxCaption = 1024 // sendPhoto / sendMediaGroup caption
	TelegramMaxMedia   = 10   // sendMediaGroup items
	MastodonMaxText    = 500  // default; a channel's config max_characters overrides it
	MastodonURLLength  = 23   // characters_reserved_per_url
	MastodonMaxMedia   = 4    // max_media_attachments
)

// Limit is one platform's rules for a post's text and media. A zero Limit
// (as for outbox) limits nothing.
type Limit struct {
	// Unit says what Length counts, for problem messages.
	Unit string
	// Length counts a message body as the platform counts it on channel ch.
	Length func(body string, ch *herald.Channel) int
	// Max is the text limit for message m on channel ch (0: none), with a
	// note explaining a special limit (e.g. "as a caption with media").
	Max func(m herald.Message, ch *herald.Channel) (limit int, note string)
	// MaxMedia is the most media items a post may carry (0: no limit).
	MaxMedia int
}

// Limits holds each platform's rules, keyed by platform name. Platforms
// without an entry have no limits; a new platform adds its entry here.
var Limits = map[string]Limit{
	"telegram": {
		Unit: "UTF-16 units",
		Length: func(body string, ch *herald.Channel) int {
			return TelegramLength(body, ch.ConfigString("parse_mode"))
		},
		Max: func(m herald.Message, _ *herald.Channel) (int, string) {
			if len(m.Media) > 0 {
				return TelegramMaxCaption, " as a caption with media"
			}
			return TelegramMaxText, ""
		},
		MaxMedia: TelegramMaxMedia,
	},
	"mastodon": {
		Unit: "grapheme clusters, a URL as 23",
		Length: func(body string, _ *herald.Channel) int {
			return MastodonLength(body)
		},
		Max: func(_ herald.Message, ch *herald.Channel) (int, string) {
			if n, err := strconv.Atoi(ch.ConfigString("max_characters")); err == nil && n > 0 {
				return n, ""
			}
			return MastodonMaxText, ""
		},
		MaxMedia: MastodonMaxMedia,
	},
	"outbox": {},
}

// TelegramLength is the length of text as Telegram counts it: UTF-16 code
// units of the visible text. With parseMode "HTML" tags are stripped and
// entities unescaped first; with "MarkdownV2" (or "Markdown") escaping
// backslashes, formatting characters and link targets are removed, roughly
// as Telegram's entity parser does. Any other parseMode counts text as is.
func TelegramLength(text, parseMode string) int {
	switch {
	case strings.EqualFold(parseMode, "HTML"):
		text = html.UnescapeString(htmlTagRe.ReplaceAllString(text, ""))
	case strings.EqualFold(parseMode, "MarkdownV2"), strings.EqualFold(parseMode, "Markdown"):
		text = stripMarkdown(text)
	}
	return utf16Len(text)
}

var htmlTagRe = regexp.MustCompile(`</?[A-Za-z][A-Za-z0-9-]*(?:\s[^>]*)?/?>`)

// stripMarkdown removes MarkdownV2 formatting: `\x` becomes x; * _ ~ | `
// disappear; [text](url) becomes text; a leading '>' (quote) disappears.
func stripMarkdown(s string) string {
	var b strings.Builder
	atLineStart := true
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\\' && i+size < len(s):
			r2, size2 := utf8.DecodeRuneInString(s[i+size:])
			b.WriteRune(r2)
			i += size + size2
			atLineStart = r2 == '\n'
			continue
		case r == '*' || r == '_' || r == '~' || r == '|' || r == '`' || r == '[':
		case r == '>' && atLineStart:
		case r == ']' && strings.HasPrefix(s[i+1:], "("):
			end := strings.IndexByte(s[i:], ')')
			if end < 0 {
				i = len(s)
				continue
			}
			i += end + 1
			atLineStart = false
			continue
		case r == '!' && strings.HasPrefix(s[i+1:], "["):
			// custom emoji ![👍](tg://emoji?id=…): the emoji stays
		default:
			b.WriteRune(r)
		}
		atLineStart = r == '\n'
		i += size
	}
	return b.String()
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if l := utf16.RuneLen(r); l > 0 {
			n += l
		} else {
			n++
		}
	}
	return n
}

var (
	// An http(s) URL up to whitespace; trailing punctuation is not part of it.
	urlRe = regexp.MustCompile(`https?://[^\s<>"]+`)
	// @user@domain, not inside a word, a path or a query (as Mastodon's MENTION_RE).
	mentionRe = regexp.MustCompile(`(?i)(^|[^\p{L}\p{N}_/=@])@([a-z0-9_]+(?:[a-z0-9_.-]*[a-z0-9_])?)@[\p{L}\p{N}_.-]*[\p{L}\p{N}_]`)
)

// MastodonLength is the length of text as Mastodon counts it: grapheme
// clusters, every http(s) URL counting MastodonURLLength and every
// "@user@domain" mention counting as "@user".
func MastodonLength(text string) int {
	urls := 0
	text = urlRe.ReplaceAllStringFunc(text, func(u string) string {
		trimmed := strings.TrimRight(u, ".,:;!?)'\"")
		urls++
		return "\x00" + u[len(trimmed):]
	})
	text = mentionRe.ReplaceAllString(text, "$1@$2")
	return uniseg.GraphemeClusterCount(text) - urls + urls*MastodonURLLength
}
