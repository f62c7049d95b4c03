package mastodonfake

import (
	"html"
	"strings"
)

// Content renders a status's plain text as Mastodon's TextFormatter does
// for the content field: paragraphs on blank lines, <br /> for single
// newlines, HTML escaped, and each URL a link whose text is split into
// invisible scheme, visible (ellipsised past 30 characters) and invisible
// rest spans.
func Content(text string) string {
	var b strings.Builder
	for _, para := range strings.Split(strings.TrimSpace(text), "\n\n") {
		b.WriteString("<p>")
		for i, line := range strings.Split(para, "\n") {
			if i > 0 {
				b.WriteString("<br />")
			}
			writeLinked(&b, line)
		}
		b.WriteString("</p>")
	}
	return b.String()
}

func writeLinked(b *strings.Builder, line string) {
	last := 0
	for _, loc := range urlRe.FindAllStringIndex(line, -1) {
		b.WriteString(html.EscapeString(line[last:loc[0]]))
		b.WriteString(link(line[loc[0]:loc[1]]))
		last = loc[1]
	}
	b.WriteString(html.EscapeString(line[last:]))
}

func link(u string) string {
	scheme, rest := "https://", strings.TrimPrefix(u, "https://")
	if rest == u {
		scheme, rest = "http://", strings.TrimPrefix(u, "http://")
	}
	visible, hidden, class := rest, "", ""
	if len(rest) > 30 {
		visible, hidden, class = rest[:30], rest[30:], "ellipsis"
	}
	e := html.EscapeString
	return `<a href="` + e(u) + `" target="_blank" rel="nofollow noopener" translate="no">` +
		`<span class="invisible">` + e(scheme) + `</span><span class="` + class + `">` + e(visible) +
		`</span><span class="invisible">` + e(hidden) + `</span></a>`
}
