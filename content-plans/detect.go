package contentplans

import (
	"slices"
	"strings"
)

// heraldOnlyColumns are header names only Herald's own layout has.
var heraldOnlyColumns = []string{"key", "time", "at", "channels", "rubric", "tags"}

// detectProfile tells which import profile a spreadsheet is in from its
// first record:
//   - hootsuite when column A is a date and time (Hootsuite files have no
//     header; serial, when not nil, reads a date cell of an XLSX file);
//   - publer when the header names none of Herald's own columns (key, time,
//     at, channels, rubric, tags, text:<platform>) and has
//     Publer's (Date and Text, or Link(s), Media URL(s), Labels);
//   - herald otherwise, whose header check then says what is wrong.
func detectProfile(first csvRecord, serial func(string) string) string {
	if len(first.fields) > 0 {
		a := strings.TrimSpace(first.fields[0])
		if serial != nil {
			a = serial(a)
		}
		if _, ok := parseHootDate(a); ok {
			return ProfileHootsuite
		}
	}
	herald, publer := false, map[string]bool{}
	for _, raw := range first.fields {
		name := strings.ToLower(strings.TrimSpace(raw))
		if slices.Contains(heraldOnlyColumns, name) || strings.HasPrefix(name, "text:") {
			herald = true
		}
		if p := publerColumn(raw); p != "" {
			publer[p] = true
		}
	}
	switch {
	case herald:
		return ProfileHerald
	case publer["date"] && publer["text"], publer["link"], publer["media"], publer["tags"]:
		return ProfilePubler
	}
	return ProfileHerald
}
