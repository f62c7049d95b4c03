package slack

import (
	"strings"
	"unicode/utf8"

	"github.com/heraldhq/herald"
)

// Slack's block limits.
const (
	MaxSectionText = 3000 // characters of one section's text
	MaxBlocks      = 50
)

// escaper escapes the three characters Slack reserves for its own markup
// (links, mentions such as <!channel>), as its docs ask.
var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

type textObject struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type block struct {
	Type     string      `json:"type"`
	Text     *textObject `json:"text,omitempty"`
	ImageURL string      `json:"image_url,omitempty"`
	AltText  string      `json:"alt_text,omitempty"`
}

type message struct {
	Text   string  `json:"text"`
	Blocks []block `json:"blocks,omitempty"`
}

// payload is the webhook body for m: {"text"} alone, or with images the
// text (the notification fallback) plus blocks — the text in sections of
// at most MaxSectionText characters, then one image block per image.
func payload(m herald.Message) message {
	text := escaper.Replace(m.Body())
	msg := message{Text: text}
	if len(m.Media) == 0 {
		return msg
	}
	for _, chunk := range chunks(text, MaxSectionText) {
		msg.Blocks = append(msg.Blocks, block{Type: "section", Text: &textObject{Type: "mrkdwn", Text: chunk}})
	}
	for _, u := range m.Media {
		msg.Blocks = append(msg.Blocks, block{Type: "image", ImageURL: u, AltText: "image"})
	}
	return msg
}

// chunks splits s into pieces of at most n characters, preferring to cut
// after a newline or space, never inside an &…; escape.
func chunks(s string, n int) []string {
	var out []string
	for s != "" {
		if utf8.RuneCountInString(s) <= n {
			return append(out, s)
		}
		cut, count := len(s), 0
		for i := range s {
			if count == n {
				cut = i
				break
			}
			count++
		}
		if j := strings.LastIndexAny(s[:cut], "\n "); j > cut/2 {
			cut = j + 1
		} else if j := strings.LastIndexByte(s[:cut], '&'); j >= 0 && !strings.Contains(s[j:cut], ";") {
			cut = j
		}
		out = append(out, s[:cut])
		s = s[cut:]
	}
	return out
}
