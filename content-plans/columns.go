package contentplans

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/heraldhq/herald"
)

// Columns and fields Herald does not read. A real content calendar has
// more columns than Herald's (Status, Notes, Responsible…): those are
// ignored, with one warning naming them all. A name that is almost one of
// Herald's ("txt", "chanels", "text:vkk") is an error suggesting it, since
// ignoring it would drop what the person meant. A variant for a platform
// far from every platform Herald knows ("text:ok") is ignored too: Herald
// can never use it, and calendars keep texts for platforms they publish to
// by other means.

// platformAliases are other names people give platforms.
var platformAliases = map[string]string{
	"twitter": "x", "tw": "x", "tg": "telegram", "vkontakte": "vk", "fb": "facebook",
	"ig": "instagram", "insta": "instagram", "bsky": "bluesky", "masto": "mastodon",
}

// platforms are the platforms a variant may name: those with rules
// (Limits) and those of the workspace's channels, sorted.
func (b *builder) platforms() []string {
	set := map[string]bool{}
	for p := range Limits {
		set[p] = true
	}
	for _, ch := range b.up.Channels {
		if ch != nil && ch.Platform != "" {
			set[ch.Platform] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// variantPlatform reads the platform a variant names (lowercased,
// trimmed): ok when it is a platform Herald knows. Otherwise suggest is
// the platform the person most likely meant (an alias such as twitter,
// the platform of a channel named so, or a near spelling), with why when
// it needs saying; both are "" when it is far from every platform.
func (b *builder) variantPlatform(name string) (platform, suggest, why string) {
	known := b.platforms()
	switch {
	case slices.Contains(known, name):
		return name, "", ""
	case platformAliases[name] != "":
		return "", platformAliases[name], ""
	}
	if ch := b.up.Channels[name]; ch != nil && ch.Platform != "" {
		return "", ch.Platform, fmt.Sprintf("variants are per platform, and channel %s is on %s", name, ch.Platform)
	}
	return "", herald.Nearest(name, known), ""
}

// headerColumn says what a header name (lowercased, trimmed) of Herald's
// layout is: one of its columns (known; platform set for text:<platform>),
// almost one (problem: the message suggesting it, meant: what it suggests),
// or neither (ignored; note says why, for a variant). absent tells the
// columns the header does not have: only those are suggested.
func (b *builder) headerColumn(name string, absent func(string) bool) (known bool, platform, problem, meant, note string) {
	if slices.Contains(csvColumns, name) {
		return true, "", "", "", ""
	}
	if p, ok := strings.CutPrefix(name, "text:"); ok && strings.TrimSpace(p) != "" {
		p = strings.TrimSpace(p)
		platform, suggest, why := b.variantPlatform(p)
		switch {
		case platform != "":
			return true, platform, "", "", ""
		case suggest != "" && !absent("text:"+suggest):
			return false, "", "", "", fmt.Sprintf("no platform %q, and text:%s is there", p, suggest)
		case suggest != "":
			return false, "", variantMessage(fmt.Sprintf("column %q", name), p, suggest, why, "text:"+suggest, b.platforms()), "text:" + suggest, ""
		}
		return false, "", "", "", fmt.Sprintf("no platform %q", p)
	}
	// "text_vk", "txt:vk", "text vk": a variant written another way.
	if i := strings.IndexAny(name, ":_-. /"); i > 0 && i < len(name)-1 {
		prefix, rest := name[:i], strings.TrimSpace(name[i+1:])
		if prefix == "text" || herald.Nearest(prefix, []string{"text"}) != "" {
			if platform, suggest, _ := b.variantPlatform(rest); (platform != "" || suggest != "") && absent("text:"+platform+suggest) {
				want := "text:" + platform + suggest
				return false, "", fmt.Sprintf("unknown column %q: did you mean %q? (a variant's column is text:<platform>)", name, want), want, ""
			}
		}
	}
	var candidates []string
	for _, c := range csvColumns {
		if absent(c) {
			candidates = append(candidates, c)
		}
	}
	if s := herald.Nearest(name, candidates); s != "" {
		return false, "", fmt.Sprintf("unknown column %q: did you mean %q? (columns are %s, and text:<platform> for a variant)", name, s, strings.Join(csvColumns, ", ")), s, ""
	}
	return false, "", "", "", ""
}

// variantMessage says that what names platform p (a column, a field) does
// not, suggesting want instead.
func variantMessage(what, p, suggest, why, want string, platforms []string) string {
	if why != "" {
		return fmt.Sprintf("%s names %q: %s; name it %q", what, p, why, want)
	}
	return fmt.Sprintf("%s: unknown platform %q; did you mean %q? (platforms are %s)", what, p, want, strings.Join(platforms, ", "))
}

// ignoredColumnsWarning is the one warning naming the columns of a header
// (on row) that Herald does not read.
func (b *builder) ignoredColumnsWarning(row int, names []string) {
	if len(names) == 0 {
		return
	}
	if len(names) == 1 {
		b.warn(row, "", "ignored_columns", "Herald does not read column %s; its cells are ignored", names[0])
		return
	}
	b.warn(row, "", "ignored_columns", "Herald does not read columns %s; their cells are ignored", strings.Join(names, ", "))
}

// ignoredFields collects the fields of a JSON plan Herald does not read,
// for one warning: field name → the posts that have it (0: the plan).
type ignoredFields map[string][]int

func (f ignoredFields) add(name string, row int) {
	if rows := f[name]; len(rows) == 0 || rows[len(rows)-1] != row {
		f[name] = append(rows, row)
	}
}

// warn adds the one warning naming every ignored field and where it is.
func (f ignoredFields) warn(b *builder) {
	if len(f) == 0 {
		return
	}
	var parts []string
	for _, name := range slices.Sorted(maps.Keys(f)) {
		parts = append(parts, strconv.Quote(name)+" ("+postList(f[name])+")")
	}
	what := "field " + parts[0]
	if len(parts) > 1 {
		what = "fields " + strings.Join(parts, ", ")
	}
	b.warn(0, "", "ignored_fields", "Herald does not read %s; ignored", what)
}

// postList names posts by index ("post 3", "posts 1, 2, 3 and 17 more";
// 0 is the plan itself).
func postList(rows []int) string {
	if len(rows) == 1 && rows[0] == 0 {
		return "in the plan"
	}
	return numbered("post", rows)
}
