package contentplans

import (
	"regexp"
	"sort"
	"strings"

	"github.com/rivo/uniseg"
	"golang.org/x/text/unicode/norm"
)

// XLength is the length of text as X counts it (twitter-text v3): the text
// is NFC-normalised; each URL counts XURLLength; each emoji, a whole
// sequence (ZWJ sequence, flag, skin tone, keycap) counting as one, counts 2;
// every other code point counts 1 in U+0000–U+10FF, U+2000–U+200D,
// U+2010–U+201F and U+2032–U+2037, and 2 elsewhere (CJK, most symbols).
//
// URLs are http(s) URLs and bare domains with a common top-level domain
// (example.com/page, www.example.org); twitter-text's full TLD list is not
// reproduced, so a bare domain under a rarer TLD counts as written.
func XLength(text string) int {
	text = norm.NFC.String(text)
	n, at := 0, 0
	for _, span := range xURLSpans(text) {
		n += xTextWeight(text[at:span[0]]) + XURLLength
		at = span[1]
	}
	return n + xTextWeight(text[at:])
}

// xTextWeight weighs text without URLs, grapheme cluster by cluster.
func xTextWeight(text string) int {
	n, state := 0, -1
	for len(text) > 0 {
		var cluster string
		cluster, text, _, state = uniseg.FirstGraphemeClusterInString(text, state)
		n += xClusterWeight(cluster)
	}
	return n
}

// xURLSpans returns the byte spans of the URLs in text, in order.
func xURLSpans(text string) [][2]int {
	var spans [][2]int
	for _, m := range xURLRe.FindAllStringIndex(text, -1) {
		u := text[m[0]:m[1]]
		spans = append(spans, [2]int{m[0], m[0] + len(strings.TrimRight(u, ".,:;!?)'\""))})
	}
	for _, m := range bareURLRe.FindAllStringSubmatchIndex(text, -1) {
		start, end := m[2], m[3]
		if inSpans(spans, start) || !xTLDs[strings.ToLower(text[m[4]:m[5]])] {
			continue
		}
		end = start + len(strings.TrimRight(text[start:end], ".,:;!?)'\""))
		spans = append(spans, [2]int{start, end})
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i][0] < spans[j][0] })
	return spans
}

func inSpans(spans [][2]int, at int) bool {
	for _, s := range spans {
		if at >= s[0] && at < s[1] {
			return true
		}
	}
	return false
}

// xURLRe is an http(s) URL up to whitespace or an invisible formatting
// character (a directional mark around a URL is not part of it).
var xURLRe = regexp.MustCompile(`(?i)https?://[^\s<>"\p{Cf}]+`)

// bareURLRe is a domain without a scheme (not inside a word, an address or
// a longer URL) with an optional port and path; group 2 is its TLD.
var bareURLRe = regexp.MustCompile(`(?i)(?:^|[^\p{L}\p{N}@._/:-])((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+([a-z]{2,6})(?::[0-9]{1,5})?(?:/[^\s<>"]*)?)(?:[^\p{L}\p{N}_-]|$)`)

// xTLDs are the top-level domains whose bare domains count as URLs.
var xTLDs = map[string]bool{}

func init() {
	for _, t := range strings.Fields(`com net org info biz edu gov mil int app dev xyz online site shop store
		blog news tech io ai co me tv ly fm gg to ru su uk de fr es it nl pl ua by kz jp cn in us ca au eu ch at se no fi br mx`) {
		xTLDs[t] = true
	}
}

// xClusterWeight is what one grapheme cluster counts on X.
func xClusterWeight(cluster string) int {
	if isEmojiSequence(cluster) {
		return 2
	}
	n := 0
	for _, r := range cluster {
		n += xRuneWeight(r)
	}
	return n
}

// xRuneWeight is twitter-text v3's weight of one code point.
func xRuneWeight(r rune) int {
	switch {
	case r <= 4351, r >= 8192 && r <= 8205, r >= 8208 && r <= 8223, r >= 8242 && r <= 8247:
		return 1
	}
	return 2
}

// isEmojiSequence reports whether a grapheme cluster of more than one code
// point is an emoji: a flag (two regional indicators), a keycap, or a
// pictograph followed by a variation selector, a skin tone, a ZWJ sequence
// or tag characters. A single code point is weighed by itself (every emoji
// above U+10FF weighs 2 anyway).
func isEmojiSequence(cluster string) bool {
	rs := []rune(cluster)
	if len(rs) < 2 {
		return false
	}
	first := rs[0]
	switch {
	case first >= 0x1F1E6 && first <= 0x1F1FF:
		return rs[1] >= 0x1F1E6 && rs[1] <= 0x1F1FF
	case first == '#' || first == '*' || first >= '0' && first <= '9':
		return strings.ContainsRune(cluster, 0x20E3)
	}
	return pictographic(first)
}

// pictographic approximates Unicode's Extended_Pictographic property.
func pictographic(r rune) bool {
	switch {
	case r == 0xA9, r == 0xAE, r == 0x203C, r == 0x2049, r == 0x2122, r == 0x2139,
		r >= 0x2194 && r <= 0x21AA, r >= 0x231A && r <= 0x23FF, r == 0x24C2,
		r >= 0x25AA && r <= 0x25FE, r >= 0x2600 && r <= 0x27BF, r == 0x2934, r == 0x2935,
		r >= 0x2B05 && r <= 0x2B55, r == 0x3030, r == 0x303D, r == 0x3297, r == 0x3299,
		r >= 0x1F000 && r <= 0x1FAFF:
		return true
	}
	return false
}
