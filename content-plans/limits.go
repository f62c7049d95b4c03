package contentplans

import (
	"html"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/heraldhq/herald"
	"github.com/rivo/uniseg"
)

// Platform limits, from docs/platforms.md except where a comment says
// otherwise. Telegram counts the visible text in UTF-16 code units; Mastodon
// and Bluesky count grapheme clusters; X counts weighted characters (see
// XLength); the others say "characters", counted here in UTF-16 code units.
const (
	TelegramMaxText      = 4096 // sendMessage text
	TelegramMaxCaption   = 1024 // sendPhoto / sendMediaGroup caption
	TelegramMaxMedia     = 10   // sendMediaGroup items
	MastodonMaxText      = 500  // default; a channel's config max_characters overrides it
	MastodonURLLength    = 23   // characters_reserved_per_url
	MastodonMaxMedia     = 4    // default; a channel's config max_media_attachments overrides it
	BlueskyMaxText       = 300  // graphemes
	BlueskyMaxBytes      = 3000 // UTF-8 bytes
	BlueskyMaxMedia      = 4
	XMaxText             = 280 // weighted characters
	XURLLength           = 23  // every URL, as t.co shortens it
	XMaxMedia            = 4
	VKMaxText            = 16384 // not in platforms.md: the figure
	VKMaxMedia           = 10    // not in platforms.md: wall.post's attachment limit
	InstagramMaxText     = 2200
	InstagramMaxTags     = 30 // hashtags in a caption
	InstagramMaxMedia    = 10 // carousel items
	InstagramMaxMentions = 20 // @-tags in a caption
	LinkedInMaxText      = 3000
	LinkedInMaxMedia     = 20 // multiImage
	ThreadsMaxText       = 500
	ThreadsMaxMedia      = 10 // carousel items; not in platforms.md (unverified)
	DiscordMaxText       = 2000
	DiscordMaxMedia      = 10    // embeds (and files) per message
	FacebookMaxText      = 63206 // third-party figure in platforms.md
)

// Limit is one platform's rules for a post's text and media. A zero Limit
// (as for outbox) limits nothing.
type Limit struct {
	// Unit says what Length counts, for problem messages and Rules.
	Unit string
	// Length counts a message body as the platform counts it on channel ch.
	Length func(body string, ch *herald.Channel) int
	// MaxText is the text limit (0: none) unless Max says otherwise.
	MaxText int
	// Max, when set, is the text limit for message m on channel ch (0:
	// none), with a note explaining a special limit (e.g. "as a caption
	// with media").
	Max func(m herald.Message, ch *herald.Channel) (limit int, note string)
	// MaxCaption is the text limit when the post has media, when it differs
	// from MaxText (shown by Rules; Max applies it).
	MaxCaption int
	// MaxBytes limits the body's UTF-8 bytes too (0: no limit).
	MaxBytes int
	// URLWeight is what each URL counts in Length (0: URLs count as written).
	URLWeight int
	// MaxMedia is the most media items a post may carry (0: no limit),
	// unless MediaMax says otherwise for a channel.
	MaxMedia int
	// MediaMax, when set, is the media limit on channel ch.
	MediaMax func(ch *herald.Channel) int
	// MediaRequired: a post must carry at least one image.
	MediaRequired bool
	// MaxHashtags and MaxMentions limit #hashtags and @mentions (0: no limit).
	MaxHashtags, MaxMentions int
	// Config names the channel config keys that override these limits.
	Config []string
}

// textLimit is the text limit for message m on channel ch, with its note.
func (l Limit) textLimit(m herald.Message, ch *herald.Channel) (int, string) {
	if l.Max != nil {
		return l.Max(m, ch)
	}
	return l.MaxText, ""
}

// mediaLimit is the media limit on channel ch (0: none).
func (l Limit) mediaLimit(ch *herald.Channel) int {
	if l.MediaMax != nil {
		return l.MediaMax(ch)
	}
	return l.MaxMedia
}

// configInt reads a positive integer from channel config, or def.
func configInt(ch *herald.Channel, key string, def int) int {
	if n, err := strconv.Atoi(ch.ConfigString(key)); err == nil && n > 0 {
		return n
	}
	return def
}

const utf16Unit = "UTF-16 code units"

// Limits holds each platform's rules, keyed by platform name. Platforms
// without an entry have no limits; a new platform adds its entry here.
// Where docs/platforms.md says only "characters", the length is counted in
// UTF-16 code units, the stricter common reading (an emoji outside the BMP
// counts 2).
var Limits = map[string]Limit{
	"telegram": {
		Unit: "UTF-16 code units after markup",
		Length: func(body string, ch *herald.Channel) int {
			return TelegramLength(body, ch.ConfigString("parse_mode"))
		},
		MaxText:    TelegramMaxText,
		MaxCaption: TelegramMaxCaption,
		Max: func(m herald.Message, _ *herald.Channel) (int, string) {
			if len(m.Media) > 0 {
				return TelegramMaxCaption, " as a caption with media"
			}
			return TelegramMaxText, ""
		},
		MaxMedia: TelegramMaxMedia,
	},
	"mastodon": {
		Unit: "grapheme clusters, each URL as 23, @user@domain as @user",
		Length: func(body string, _ *herald.Channel) int {
			return MastodonLength(body)
		},
		MaxText: MastodonMaxText,
		Max: func(_ herald.Message, ch *herald.Channel) (int, string) {
			return configInt(ch, "max_characters", MastodonMaxText), ""
		},
		URLWeight: MastodonURLLength,
		MaxMedia:  MastodonMaxMedia,
		MediaMax: func(ch *herald.Channel) int {
			return configInt(ch, "max_media_attachments", MastodonMaxMedia)
		},
		Config: []string{"max_characters", "max_media_attachments"},
	},
	"bluesky": {
		Unit:     "grapheme clusters",
		Length:   func(body string, _ *herald.Channel) int { return uniseg.GraphemeClusterCount(body) },
		MaxText:  BlueskyMaxText,
		MaxBytes: BlueskyMaxBytes,
		MaxMedia: BlueskyMaxMedia,
	},
	"x": {
		Unit:      "weighted characters (NFC; an emoji and most characters above U+10FF count 2; each URL as 23)",
		Length:    func(body string, _ *herald.Channel) int { return XLength(body) },
		MaxText:   XMaxText,
		URLWeight: XURLLength,
		MaxMedia:  XMaxMedia,
	},
	"vk": {
		Unit: utf16Unit, Length: utf16Length, MaxText: VKMaxText, MaxMedia: VKMaxMedia,
	},
	"instagram": {
		Unit: utf16Unit, Length: utf16Length, MaxText: InstagramMaxText, MaxMedia: InstagramMaxMedia,
		MediaRequired: true, MaxHashtags: InstagramMaxTags, MaxMentions: InstagramMaxMentions,
	},
	"linkedin": {
		Unit: utf16Unit, Length: utf16Length, MaxText: LinkedInMaxText, MaxMedia: LinkedInMaxMedia,
	},
	"threads": {
		Unit: utf16Unit, Length: utf16Length, MaxText: ThreadsMaxText, MaxMedia: ThreadsMaxMedia,
	},
	"discord": {
		Unit: utf16Unit, Length: utf16Length, MaxText: DiscordMaxText, MaxMedia: DiscordMaxMedia,
	},
	"facebook": {
		Unit: utf16Unit, Length: utf16Length, MaxText: FacebookMaxText,
	},
	"outbox": {},
	// Slack truncates a message's text past 40,000 characters; the adapter
	// sends images as image blocks, at most 49 beside the text (50 blocks).
	"slack": {
		Unit: utf16Unit, Length: utf16Length, MaxText: SlackMaxText, MaxMedia: SlackMaxMedia,
	},
	// A generic webhook carries whatever the receiver takes: no limits.
	"webhook": {},
}

// Slack incoming-webhook limits.
const (
	SlackMaxText  = 40000
	SlackMaxMedia = 49
)

func utf16Length(body string, _ *herald.Channel) int { return utf16Len(body) }

// PlatformRule is one platform's limits as Rules lists them (and a
// platforms API prints them).
type PlatformRule struct {
	Platform string `json:"platform"`
	// MaxLength is the text limit (0: none), counted in Unit.
	MaxLength int    `json:"max_length"`
	Unit      string `json:"unit"`
	// MaxCaption is the limit with media when it differs (Telegram).
	MaxCaption int `json:"max_caption,omitempty"`
	// MaxBytes is a second limit in UTF-8 bytes (Bluesky).
	MaxBytes int `json:"max_bytes,omitempty"`
	// URLWeight is what each URL counts (0: as written).
	URLWeight     int  `json:"url_weight"`
	MaxMedia      int  `json:"max_media"`
	MediaRequired bool `json:"media_required"`
	MaxHashtags   int  `json:"max_hashtags,omitempty"`
	MaxMentions   int  `json:"max_mentions,omitempty"`
	// Config lists the channel config keys that override the defaults.
	Config []string `json:"config,omitempty"`
	// MediaTypes are the kinds of media the adapter publishes; Links says
	// how a post's link goes out there.
	MediaTypes []string `json:"media_types"`
	Links      string   `json:"links"`
}

// mediaAndLinks says, per platform, what media the adapter publishes and
// how a link goes out: the part of the rules that is about the adapters, not
// about counting.
var mediaAndLinks = map[string]struct {
	types []string
	links string
}{
	"bluesky":   {[]string{"image"}, "a link facet in the text, and a link card when the post has no images"},
	"discord":   {[]string{"image"}, "in the text (Discord shows a preview)"},
	"facebook":  {[]string{"image"}, "the post's link field (a preview); in the text with several photos"},
	"instagram": {[]string{"image"}, "in the caption, not clickable"},
	"linkedin":  {[]string{"image"}, "an article card; in the text when the post has images"},
	"mastodon":  {[]string{"image", "video"}, "in the text, counted as 23 characters"},
	"outbox":    {[]string{"any"}, "a field of the file"},
	"slack":     {[]string{"image"}, "in the text"},
	"telegram":  {[]string{"image"}, "in the text (Telegram shows a preview)"},
	"threads":   {[]string{"image"}, "in the text; the first URL becomes the preview"},
	"vk":        {[]string{"image"}, "a link attachment"},
	"webhook":   {[]string{"any"}, "a field of the JSON"},
	"x":         {[]string{"image"}, "in the text, counted as 23 characters"},
}

// Rules lists every platform's rules from Limits, sorted by platform name.
func Rules() []PlatformRule {
	out := make([]PlatformRule, 0, len(Limits))
	for name, l := range Limits {
		unit := l.Unit
		if unit == "" {
			unit = "no limit"
		}
		out = append(out, PlatformRule{Platform: name, MaxLength: l.MaxText, Unit: unit, MaxCaption: l.MaxCaption,
			MaxBytes: l.MaxBytes, URLWeight: l.URLWeight, MaxMedia: l.MaxMedia, MediaRequired: l.MediaRequired,
			MaxHashtags: l.MaxHashtags, MaxMentions: l.MaxMentions, Config: append([]string(nil), l.Config...),
			MediaTypes: append([]string(nil), mediaAndLinks[name].types...), Links: mediaAndLinks[name].links})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Platform < out[j].Platform })
	return out
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
