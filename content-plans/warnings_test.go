package contentplans

import (
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// spacingWarnings builds a valid JSON plan and returns its warnings with code.
func spacingWarnings(t *testing.T, code string, posts ...map[string]any) []herald.Problem {
	t.Helper()
	_, _, ws := mustBuild(t, upload("json", jsonPlan(t, "Europe/Moscow", posts...), ""))
	var out []herald.Problem
	for _, w := range ws {
		if w.Code == code {
			out = append(out, w)
		}
	}
	return out
}

func spacedPost(key, at, text string, channels ...string) map[string]any {
	return map[string]any{"key": key, "at": at, "channels": channels, "text": text}
}

func TestClosePostsWarning(t *testing.T) {
	tests := []struct {
		name     string
		posts    []map[string]any
		wantRow  int // 0: no warning
		wantName string
	}{
		{"same minute", []map[string]any{spacedPost("a", "2026-12-01 10:00", "one", "tg-main"), spacedPost("b", "2026-12-01 10:00", "two", "tg-main")}, 2, "row 1"},
		{"seconds apart", []map[string]any{spacedPost("a", "2026-12-01 10:00:00", "one", "tg-main"), spacedPost("b", "2026-12-01 10:00:59", "two", "tg-main")}, 2, "row 1"},
		{"a minute apart", []map[string]any{spacedPost("a", "2026-12-01 10:00", "one", "tg-main"), spacedPost("b", "2026-12-01 10:01", "two", "tg-main")}, 2, "row 1"},
		{"a minute and a second apart", []map[string]any{spacedPost("a", "2026-12-01 10:00:00", "one", "tg-main"), spacedPost("b", "2026-12-01 10:01:01", "two", "tg-main")}, 0, ""},
		{"two minutes apart", []map[string]any{spacedPost("a", "2026-12-01 10:00", "one", "tg-main"), spacedPost("b", "2026-12-01 10:02", "two", "tg-main")}, 0, ""},
		{"different channels", []map[string]any{spacedPost("a", "2026-12-01 10:00", "one", "tg-main"), spacedPost("b", "2026-12-01 10:00", "two", "masto")}, 0, ""},
		{"later row earlier in time", []map[string]any{spacedPost("a", "2026-12-01 10:01", "one", "tg-main"), spacedPost("b", "2026-12-01 10:00", "two", "tg-main")}, 1, "row 2"},
		{"one shared channel of several", []map[string]any{spacedPost("a", "2026-12-01 10:00", "one", "tg-main", "masto"), spacedPost("b", "2026-12-01 10:00", "two", "masto", "demo")}, 2, "row 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws := spacingWarnings(t, "close_posts", tt.posts...)
			if tt.wantRow == 0 {
				if len(ws) != 0 {
					t.Fatalf("unexpected warnings:\n%s", problemList(ws))
				}
				return
			}
			if len(ws) != 1 || ws[0].Row != tt.wantRow || ws[0].Column != "at" || !strings.Contains(ws[0].Message, tt.wantName) {
				t.Fatalf("want one close_posts warning on row %d, column at, naming %s; got:\n%s", tt.wantRow, tt.wantName, problemList(ws))
			}
		})
	}
}

func TestClosePostsNamesChannels(t *testing.T) {
	ws := spacingWarnings(t, "close_posts", spacedPost("a", "2026-12-01 10:00", "one", "tg-main", "masto"), spacedPost("b", "2026-12-01 10:00", "two", "masto", "tg-main"))
	if len(ws) != 1 || !strings.Contains(ws[0].Message, "masto, tg-main") {
		t.Fatalf("want one warning naming both channels; got:\n%s", problemList(ws))
	}
}

func TestClosePostsCSVColumn(t *testing.T) {
	body := "key,date,time,channels,text\na,2026-12-01,10:00,tg-main,one\nb,2026-12-01,10:00,tg-main,two\n"
	_, _, ws := mustBuild(t, upload("csv", body, "Europe/Moscow"))
	for _, w := range ws {
		if w.Code == "close_posts" {
			if w.Row != 3 || w.Column == "" || !strings.Contains(w.Message, "row 2") {
				t.Fatalf("close_posts = %+v, want row 3 naming row 2 with its time column", w)
			}
			return
		}
	}
	t.Fatalf("no close_posts warning in:\n%s", problemList(ws))
}

func TestDuplicateTextWarning(t *testing.T) {
	withVariant := func(p map[string]any, platform, text string) map[string]any {
		p["variants"] = map[string]any{platform: map[string]any{"text": text}}
		return p
	}
	withLink := func(p map[string]any, link string) map[string]any {
		p["link"] = link
		return p
	}
	tests := []struct {
		name    string
		posts   []map[string]any
		wantRow int // 0: no warning
		wantCol string
	}{
		{"next day", []map[string]any{spacedPost("a", "2026-12-01 10:00", "Sale!", "tg-main"), spacedPost("b", "2026-12-02 10:00", "Sale!", "tg-main")}, 2, "text"},
		{"exactly 3 days", []map[string]any{spacedPost("a", "2026-12-01 10:00", "Sale!", "tg-main"), spacedPost("b", "2026-12-04 10:00", "Sale!", "tg-main")}, 2, "text"},
		{"3 days and a minute", []map[string]any{spacedPost("a", "2026-12-01 10:00", "Sale!", "tg-main"), spacedPost("b", "2026-12-04 10:01", "Sale!", "tg-main")}, 0, ""},
		{"spaces trimmed", []map[string]any{spacedPost("a", "2026-12-01 10:00", "Sale!", "tg-main"), spacedPost("b", "2026-12-02 10:00", "  Sale!\n", "tg-main")}, 2, "text"},
		{"different text", []map[string]any{spacedPost("a", "2026-12-01 10:00", "Sale!", "tg-main"), spacedPost("b", "2026-12-02 10:00", "Sale!!", "tg-main")}, 0, ""},
		{"different channels", []map[string]any{spacedPost("a", "2026-12-01 10:00", "Sale!", "tg-main"), spacedPost("b", "2026-12-02 10:00", "Sale!", "masto")}, 0, ""},
		{"different links", []map[string]any{withLink(spacedPost("a", "2026-12-01 10:00", "Sale!", "tg-main"), "https://e.com/1"),
			withLink(spacedPost("b", "2026-12-02 10:00", "Sale!", "tg-main"), "https://e.com/2")}, 0, ""},
		{"variant differs on its platform", []map[string]any{spacedPost("a", "2026-12-01 10:00", "Sale!", "masto"),
			withVariant(spacedPost("b", "2026-12-02 10:00", "Sale!", "masto"), "mastodon", "Sale on Mastodon!")}, 0, ""},
		{"variant repeats the other text", []map[string]any{spacedPost("a", "2026-12-01 10:00", "Sale!", "masto"),
			withVariant(spacedPost("b", "2026-12-02 10:00", "Other", "masto"), "mastodon", "Sale!")}, 2, "text:mastodon"},
		{"later row earlier in time", []map[string]any{spacedPost("a", "2026-12-03 10:00", "Sale!", "tg-main"), spacedPost("b", "2026-12-01 10:00", "Sale!", "tg-main")}, 1, "text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws := spacingWarnings(t, "duplicate_text", tt.posts...)
			if tt.wantRow == 0 {
				if len(ws) != 0 {
					t.Fatalf("unexpected warnings:\n%s", problemList(ws))
				}
				return
			}
			other := 3 - tt.wantRow
			if len(ws) != 1 || ws[0].Row != tt.wantRow || ws[0].Column != tt.wantCol || !strings.Contains(ws[0].Message, "row "+string(rune('0'+other))) {
				t.Fatalf("want one duplicate_text warning on row %d, column %s, naming row %d; got:\n%s", tt.wantRow, tt.wantCol, other, problemList(ws))
			}
		})
	}
}

// TestSpacingSkipsNextSlot: rows placed into slots have no time yet and are
// not compared.
func TestSpacingSkipsNextSlot(t *testing.T) {
	due := time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC)
	posts := []herald.Post{
		{Row: 2, At: "2026-12-01 10:00", DueAt: due, Channels: []string{"tg-main"}, Text: "Sale!"},
		{Row: 3, At: "next", NextSlot: true, Channels: []string{"tg-main"}, Text: "Sale!"},
		{Row: 4, At: "2026-12-01 10:00", DueAt: due, Channels: []string{"masto"}, Text: "Sale!"},
	}
	b := &builder{up: upload("csv", "", "")}
	b.checkSpacing(nil, posts)
	if len(b.warnings) != 0 {
		t.Fatalf("unexpected warnings:\n%s", problemList(b.warnings))
	}
	posts[1].NextSlot, posts[1].DueAt = false, due
	b.checkSpacing(nil, posts)
	if len(b.warnings) != 2 {
		t.Fatalf("want close_posts and duplicate_text once the row has a time; got:\n%s", problemList(b.warnings))
	}
}

// TestSpacingWarningsSorted: warnings come in row order, though spacing
// warnings are found after the rows' own (row 1 is later than row 3 here).
func TestSpacingWarningsSorted(t *testing.T) {
	_, _, ws := mustBuild(t, upload("json", jsonPlan(t, "Europe/Moscow",
		spacedPost("a", "2026-12-01 10:01", "Sale!", "tg-main"),
		spacedPost("b", "2020-01-01 10:00", "old", "tg-main"),
		spacedPost("c", "2026-12-01 10:00", "Sale!", "tg-main")), ""))
	for i := 1; i < len(ws); i++ {
		if ws[i-1].Row > ws[i].Row {
			t.Fatalf("warnings not in row order:\n%s", problemList(ws))
		}
	}
	if len(ws) != 3 || ws[0].Row != 1 || ws[2].Code != "past_time" {
		t.Fatalf("want close_posts and duplicate_text on row 1, past_time on row 2; got:\n%s", problemList(ws))
	}
}
