package contentplans

import (
	"reflect"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
)

const csvHeader = "key,date,time,channels,text\n"

// TestCSVBadPlan: every problem of a bad plan in one error, each with its row.
func TestCSVBadPlan(t *testing.T) {
	body := csvHeader +
		"a,2026-12-01,10:00,tg-raw,fine\n" + // row 2
		"b,2026-12-01,11:00,nope,hello\n" + // row 3: unknown channel
		"c,2026-12-01,12:00,tg-raw,   \n" + // row 4: empty text
		"d,2026-12-01,13:00,tg-raw," + strings.Repeat("я", 4097) + "\n" + // row 5: too long
		"e,2026-03-29,02:30,tg-raw,spring forward\n" + // row 6: DST gap in Berlin
		"a,2026-12-02,10:00,tg-raw,again\n" // row 7: duplicate key
	ps := mustFail(t, upload("csv", body, "Europe/Berlin"))
	want := []struct {
		row       int
		col, code string
		mention   string
	}{
		{3, "channels", "unknown_channel", `"nope"`},
		{4, "text", "required", "required"},
		{5, "text", "too_long", "4097"},
		{6, "time", "nonexistent_time", "2026-03-29 02:30"},
		{7, "key", "duplicate_key", "row 2"},
	}
	if len(ps) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%s", len(ps), len(want), problemList(ps))
	}
	for i, w := range want {
		p := ps[i]
		if p.Row != w.row || p.Column != w.col || p.Code != w.code || !strings.Contains(p.Message, w.mention) {
			t.Errorf("problem %d = %+v, want row %d, column %s, code %s, mentioning %q", i, p, w.row, w.col, w.code, w.mention)
		}
	}
}

func TestCSVMalformed(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		row     int
		code    string
		mention string
	}{
		{"unbalanced quote", csvHeader + "a,2026-12-01,10:00,demo,\"fine\"\nb,2026-12-01,11:00,demo,\"never closed\nc,2026-12-01,12:00,demo,x\n",
			3, "malformed_csv", "never closed"},
		{"text after a closing quote", csvHeader + "a,2026-12-01,10:00,demo,\"x\"y\n", 2, "malformed_csv", "line 2, column 27"},
		{"bare quote", csvHeader + "a,2026-12-01,10:00,demo,say \"hi\"\n", 2, "malformed_csv", "line 2"},
		{"invalid UTF-8 in a cell", csvHeader + "a,2026-12-01,10:00,demo,fine\nb,2026-12-01,11:00,demo,caf\xe9\n", 3, "invalid_utf8", "UTF-8"},
		{"invalid UTF-8 in the header", "key,date,time,channels,text,\xff\n", 1, "invalid_utf8", "UTF-8"},
		{"empty file", "", 1, "missing_header", "empty"},
		{"misspelled column", "key,date,time,channels,txt\n", 1, "unknown_column", `did you mean "text"`},
		{"missing text column", "key,date,time,channels\n", 1, "missing_column", `"text"`},
		{"missing time columns", "key,date,channels,text\n", 1, "missing_column", "time"},
		{"at and date together", "at,date,channels,text\n", 1, "conflicting_columns", "either"},
		{"duplicate column", "key,date,time,channels,text,text\n", 1, "duplicate_column", `"text"`},
		{"cell beyond the header", csvHeader + "a,2026-12-01,10:00,demo,x,extra\n", 2, "extra_cell", "column 6"},
		{"bad date", csvHeader + "a,2026-13-01,10:00,demo,x\n", 2, "invalid_date", "2026-13-01"},
		{"bad time", csvHeader + "a,2026-12-01,25:00,demo,x\n", 2, "invalid_time", "25:00"},
		{"next in the time cell", csvHeader + "a,2026-12-01,next,demo,x\n", 2, "no_slots", "channel demo has no posting slots"},
		{"date and time both empty is next", csvHeader + "a,,,demo,x\n", 2, "no_slots", "channel demo has no posting slots"},
		{"missing time", csvHeader + "a,2026-12-01,,demo,x\n", 2, "required", "time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := mustFail(t, upload("csv", tt.body, "Europe/Moscow"))
			p, ok := findProblem(ps, tt.row, tt.code)
			if !ok || !strings.Contains(p.Message, tt.mention) {
				t.Fatalf("want %s on row %d mentioning %q; got:\n%s", tt.code, tt.row, tt.mention, problemList(ps))
			}
		})
	}
}

// A broken record does not hide the problems of the rows after it.
func TestCSVKeepsGoingAfterMalformedRecord(t *testing.T) {
	body := csvHeader + "a,2026-12-01,10:00,demo,\"x\"y\nb,2026-12-01,11:00,nope,z\n"
	ps := mustFail(t, upload("csv", body, "Europe/Moscow"))
	if _, ok := findProblem(ps, 2, "malformed_csv"); !ok {
		t.Errorf("no malformed_csv on row 2:\n%s", problemList(ps))
	}
	if _, ok := findProblem(ps, 3, "unknown_channel"); !ok {
		t.Errorf("no unknown_channel on row 3:\n%s", problemList(ps))
	}
}

// Rows are numbered as a spreadsheet shows the file (one row per record,
// one per blank line), with the line a record starts on where it differs:
// a BOM, CRLF line ends, a multi-line quoted cell and a blank line.
func TestCSVRowNumbers(t *testing.T) {
	body := "\uFEFFkey,date,time,channels,text\r\n" +
		"a,2026-12-01,10:00,demo,\"line one\r\nline two\r\nline three\"\r\n" + // row 2, lines 2-4
		"b,2026-12-01,11:00,demo,single\r\n" + // row 3, line 5
		"\r\n" + // row 4, blank line 6
		",,,,\r\n" + // row 5, empty cells
		"c,2026-12-01,12:00,demo,x\r\n" // row 6, line 8
	_, posts, _ := mustBuild(t, upload("csv", body, "Europe/Moscow"))
	var rows, lines []int
	for _, p := range posts {
		rows, lines = append(rows, p.Row), append(lines, p.Line)
	}
	if !reflect.DeepEqual(rows, []int{2, 3, 6}) || !reflect.DeepEqual(lines, []int{0, 5, 8}) {
		t.Errorf("rows = %v, lines = %v; want [2 3 6], [0 5 8]", rows, lines)
	}
	if posts[0].Key != "a" || posts[0].Text != "line one\nline two\nline three" {
		t.Errorf("first post: key %q, text %q", posts[0].Key, posts[0].Text)
	}
	ps := mustFail(t, upload("csv", strings.Replace(body, "demo,x", "nope,x", 1), "Europe/Moscow"))
	if len(ps) != 1 || ps[0].Row != 6 || ps[0].Line != 8 || ps[0].Code != "unknown_channel" {
		t.Errorf("got:\n%s", problemList(ps))
	}
	// A malformed record is numbered the same way.
	ps = mustFail(t, upload("csv", strings.Replace(body, "c,2026", "c,\"x\"y,2026", 1), "Europe/Moscow"))
	if p, ok := findProblem(ps, 6, "malformed_csv"); !ok || p.Line != 8 {
		t.Errorf("want malformed_csv on row 6 (line 8), got:\n%s", problemList(ps))
	}
}

func TestCSVCells(t *testing.T) {
	body := "Key,Date,Time,Channels,Text,Text:Mastodon,Media,Link,Rubric,Tags\n" +
		"k1,01.12.2026,9:30,\"tg-raw; masto, tg-raw\n\",\"  привет  \",hello masto,\" https://example.com/1.jpg,\n;https://example.com/2.jpg \",https://example.com,tips,\"a, b;;c\"\n"
	_, posts, _ := mustBuild(t, upload("csv", body, "Europe/Moscow"))
	want := herald.Post{Key: "k1", Row: 2, At: "01.12.2026 9:30", Channels: []string{"tg-raw", "masto"}, Text: "привет",
		Media: []string{"https://example.com/1.jpg", "https://example.com/2.jpg"}, Link: "https://example.com", Rubric: "tips",
		Tags: []string{"a", "b", "c"}, Variants: map[string]herald.Variant{"mastodon": {Text: "hello masto"}}}
	want.DueAt = posts[0].DueAt
	if !reflect.DeepEqual(posts[0], want) {
		t.Errorf("post\n got %+v\nwant %+v", posts[0], want)
	}
	if got := posts[0].DueAt.Format("2006-01-02 15:04"); got != "2026-12-01 06:30" {
		t.Errorf("due %s UTC, want 2026-12-01 06:30", got)
	}
}

func TestCSVAtColumnAndSemicolons(t *testing.T) {
	body := "at;channels;text\n2026-12-01T10:00:30;demo;one, two\n2026-12-01T10:00:00+05:00;demo;three\n"
	_, posts, _ := mustBuild(t, upload("csv", body, "Europe/Moscow"))
	if len(posts) != 2 || posts[0].Text != "one, two" || posts[0].DueAt.Format("15:04:05") != "07:00:30" ||
		posts[1].DueAt.Format("15:04") != "05:00" {
		t.Fatalf("posts %+v", posts)
	}
}

func TestCSVDerivedKeys(t *testing.T) {
	body := csvHeader + ",2026-12-01,10:00,demo,first\n,2026-12-02,10:00,demo,second\n"
	_, a, _ := mustBuild(t, upload("csv", body, "Europe/Moscow"))
	_, b, _ := mustBuild(t, upload("csv", body, "Europe/Moscow"))
	if a[0].Key != DeriveKey(2, "first") || !a[0].KeyDerived || !strings.HasPrefix(a[1].Key, "row-3-") {
		t.Fatalf("keys %q (derived %v), %q", a[0].Key, a[0].KeyDerived, a[1].Key)
	}
	if len(a[0].Key) != len("row-2-")+8 {
		t.Errorf("key %q: want 8 hex digits", a[0].Key)
	}
	for i := range a {
		if a[i].Key != b[i].Key || a[i].Hash() != b[i].Hash() {
			t.Errorf("row %d: %q then %q", a[i].Row, a[i].Key, b[i].Key)
		}
	}
	// Editing another row leaves the key alone.
	_, c, _ := mustBuild(t, upload("csv", strings.Replace(body, "second", "changed", 1), "Europe/Moscow"))
	if c[0].Key != a[0].Key || c[1].Key == a[1].Key {
		t.Errorf("after edit: %q, %q", c[0].Key, c[1].Key)
	}
}

func TestEmptyPlanWarns(t *testing.T) {
	_, posts, warnings := mustBuild(t, upload("csv", csvHeader, "Europe/Moscow"))
	if len(posts) != 0 || len(warnings) != 1 || warnings[0].Code != "empty_plan" {
		t.Errorf("posts %v, warnings:\n%s", posts, problemList(warnings))
	}
}
