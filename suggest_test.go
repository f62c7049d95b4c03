package herald_test

import (
	"testing"

	"github.com/heraldhq/herald"
)

func TestNearest(t *testing.T) {
	columns := []string{"key", "date", "time", "at", "channels", "text", "media", "link", "rubric", "tags"}
	for _, tc := range []struct{ in, want string }{
		{"txt", "text"},
		{"tetx", "text"}, // a swap counts 1
		{"Chanels", "channels"},
		{"chanenls", "channels"},
		{"links", "link"},
		{"rubrika", "rubric"},
		{"status", ""},
		{"notes", ""},
		{"type", ""},  // 2 from time: a column of its own
		{"title", ""}, // 2 from time
		{"as", ""},    // one change from "at", which is too short to guess at
		{"att", "at"}, // but one letter more is a typo
	} {
		if got := herald.Nearest(tc.in, columns); got != tc.want {
			t.Errorf("Nearest(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
