package contentplans

import (
	"strconv"
	"strings"
)

// publerColumns are Publer's columns that Herald reads, by Herald's name,
// with the name Publer's template gives them.
var publerColumns = []struct{ name, publer string }{
	{"date", "Date"}, {"text", "Text"}, {"link", "Link(s)"}, {"media", "Media URL(s)"}, {"tags", "Labels"},
}

// publerColumn maps a Publer header cell to Herald's name ("" when Herald
// does not use it). Publer's template explains its columns after " - "
// ("Date - Intl. format or prompt"); that part is ignored.
func publerColumn(raw string) string {
	n := strings.ToLower(strings.TrimSpace(raw))
	if i := strings.Index(n, " - "); i >= 0 {
		n = strings.TrimSpace(n[:i])
	}
	switch n {
	case "date":
		return "date"
	case "text":
		return "text"
	case "link", "links", "link(s)":
		return "link"
	case "media", "media url", "media urls", "media url(s)":
		return "media"
	case "label", "labels", "label(s)":
		return "tags"
	}
	return ""
}

// publer reads a Publer bulk file.
type publer struct {
	b          *builder
	serial     func(string) string
	index      map[string]int // Herald's name → column
	width      int            // header cells
	display    map[string]string
	channels   []string
	noChannels bool
}

// publerTable reads the header of a Publer file. Date and Text are
// required; columns Herald does not use are ignored with a warning.
func (b *builder) publerTable(header csvRecord, serial func(string) string) table {
	t := &publer{b: b, serial: serial, index: map[string]int{}, display: map[string]string{}, width: len(header.fields)}
	row := header.row
	var ignored []string
	for i, raw := range header.fields {
		label := strings.TrimSpace(strings.ToValidUTF8(raw, "\uFFFD"))
		if label == "" {
			continue
		}
		name := publerColumn(label)
		if name == "" {
			ignored = append(ignored, strconv.Quote(label))
			continue
		}
		if _, dup := t.index[name]; dup {
			b.problem(row, label, "duplicate_column", "column %q appears twice in the header", label)
			continue
		}
		t.index[name], t.display[name] = i, label
	}
	if len(ignored) > 0 {
		// Herald reads Date, Text, Link(s), Media URL(s) and Labels.
		b.ignoredColumnsWarning(row, ignored)
	}
	for _, c := range publerColumns {
		if _, ok := t.display[c.name]; !ok {
			t.display[c.name] = c.publer
		}
	}
	for _, name := range []string{"date", "text"} {
		if _, ok := t.index[name]; !ok {
			b.problem(row, t.display[name], "missing_column", "column %q is required in a Publer file (leave a Date cell blank for the next free slot)", t.display[name])
		}
	}
	b.columns = map[string]string{"time": t.display["date"], "date": t.display["date"], "text": t.display["text"],
		"link": t.display["link"], "media": t.display["media"], "tags": t.display["tags"]}
	chs, ok := b.profileChannels(ProfilePubler)
	t.channels, t.noChannels = chs, !ok
	return t
}

func (t *publer) row(rec csvRecord) (rawPost, bool) {
	if blankCells(rec.fields) {
		return rawPost{}, false
	}
	b := t.b
	b.validCells(rec, t.columnName, t.read)
	cell := func(name string) string {
		if i, ok := t.index[name]; ok && i < len(rec.fields) {
			return strings.TrimSpace(rec.fields[i])
		}
		return ""
	}
	r := rawPost{row: rec.row, line: rec.line, channels: t.channels, noChannels: t.noChannels, timeCol: t.display["date"]}
	for i := t.width; i < len(rec.fields); i++ {
		if strings.TrimSpace(rec.fields[i]) != "" {
			b.problem(r.row, columnLetter(i), "extra_cell", "the row has a value in column %s, which the header does not name; quote cells that contain the delimiter", columnLetter(i))
		}
	}
	_, hasText := t.index["text"]
	r.text, r.noText = cell("text"), !hasText
	if _, ok := t.index["date"]; !ok {
		r.noTime = true
	} else {
		d := cell("date")
		if t.serial != nil {
			d = t.serial(d)
		}
		if d == "" {
			d = "next" // a blank date takes the next free slot
		}
		r.at, r.atValue = d, d
	}
	links := splitList(cell("link"))
	if len(links) > 0 {
		r.link = links[0]
	}
	if len(links) > 1 {
		b.warn(r.row, t.display["link"], "extra_links", "the row has %d links; a Herald post has one, so only the first (%s) is used", len(links), links[0])
	}
	r.media, r.tags = splitList(cell("media")), splitList(cell("tags"))
	return r, true
}

// read reports whether column i is one Herald reads.
func (t *publer) read(i int) bool {
	for _, j := range t.index {
		if i == j {
			return true
		}
	}
	return false
}

// columnName is the header's name of column i, else its letter.
func (t *publer) columnName(i int) string {
	for name, j := range t.index {
		if i == j {
			return t.display[name]
		}
	}
	return columnLetter(i)
}

func (t *publer) finish(rows []rawPost) []rawPost { return rows }
