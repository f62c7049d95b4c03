package contentplans

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// profileUpload is a spreadsheet upload in profile with default channels.
func profileUpload(format, profile, body string, channels ...string) herald.PlanUpload {
	up := upload(format, body, "Europe/Moscow")
	up.Profile, up.DefaultChannels = profile, channels
	return up
}

func TestHootsuite(t *testing.T) {
	// The first line's semicolons are inside a quoted cell: the delimiter
	// is still the comma.
	body := "01/12/2026 10:00,\"Hello; December; snow; lights\",https://example.com/a\r\n" +
		"25/12/2026 18:30,Merry Christmas\r\n" + // settles the order: day first
		"\r\n" +
		"3/1/2027 9:05,Third; with a semicolon,\r\n"
	_, posts, _ := mustBuild(t, profileUpload("csv", "hootsuite", body, "tg-raw", "demo"))
	want := []struct {
		row  int
		due  time.Time
		text string
		link string
	}{
		{1, day(1, 7, 0), "Hello; December; snow; lights", "https://example.com/a"},
		{2, day(25, 15, 30), "Merry Christmas", ""},
		{4, time.Date(2027, 1, 3, 6, 5, 0, 0, time.UTC), "Third; with a semicolon", ""},
	}
	if len(posts) != len(want) {
		t.Fatalf("%d posts: %+v", len(posts), posts)
	}
	for i, w := range want {
		p := posts[i]
		if p.Row != w.row || !p.DueAt.Equal(w.due) || p.Text != w.text || p.Link != w.link ||
			!p.KeyDerived || p.Key != DeriveKey(w.row, w.text) || strings.Join(p.Channels, ",") != "tg-raw,demo" {
			t.Errorf("post %d = %+v; want row %d due %v text %q link %q", i, p, w.row, w.due, w.text, w.link)
		}
	}
}

// TestHootsuiteDateOrder: ?date_order= decides; without it one unambiguous
// date decides for the file; when none does, one problem asks for it.
func TestHootsuiteDateOrder(t *testing.T) {
	ambiguous := "01/12/2026 10:00,a\n02/12/2026 10:00,b\n"
	for _, tt := range []struct {
		order string
		due   time.Time
	}{
		{"dmy", day(1, 7, 0)},
		{"mdy", time.Date(2026, 1, 12, 7, 0, 0, 0, time.UTC)},
		{"MDY", time.Date(2026, 1, 12, 7, 0, 0, 0, time.UTC)},
	} {
		up := profileUpload("csv", "hootsuite", ambiguous, "demo")
		up.DateOrder = tt.order
		if _, posts, _ := mustBuild(t, up); !posts[0].DueAt.Equal(tt.due) {
			t.Errorf("date_order %s: due %v, want %v", tt.order, posts[0].DueAt, tt.due)
		}
	}

	ps := mustFail(t, profileUpload("csv", "hootsuite", ambiguous, "demo"))
	if len(ps) != 1 || ps[0].Row != 1 || ps[0].Column != "A" || ps[0].Code != "ambiguous_date_order" ||
		!strings.Contains(ps[0].Message, "?date_order=dmy") || !strings.Contains(ps[0].Message, "column A (date and time)") {
		t.Errorf("ambiguous file: %s", problemList(ps))
	}

	// Month first, settled by row 2; row 3 cannot be month first.
	ps = mustFail(t, profileUpload("csv", "hootsuite", "01/02/2026 10:00,a\n12/31/2026 10:00,b\n31/12/2026 10:00,c\n", "demo"))
	if p, ok := findProblem(ps, 3, "invalid_date"); !ok || !strings.Contains(p.Message, "as row 2 shows") || len(ps) != 1 {
		t.Errorf("contradicting dates: %s", problemList(ps))
	}
	up := profileUpload("csv", "hootsuite", "31/12/2026 10:00,c\n", "demo")
	up.DateOrder = "mdy"
	if p, ok := findProblem(mustFail(t, up), 1, "invalid_date"); !ok || !strings.Contains(p.Message, "?date_order=mdy") {
		t.Errorf("date against ?date_order: %+v", p)
	}
}

// TestHootsuiteProblems name the columns by letter and say what they hold.
func TestHootsuiteProblems(t *testing.T) {
	body := "01/12/2026 10:00,,https://example.com\n" + // 1: no message
		"13/12/2026 10:00,fine,not a url\n" + // 2: bad URL
		"13/12/2026 10:00 PM,am/pm\n" + // 3: 12-hour
		",no date\n" + // 4
		"13/12/2026 10:00,extra,,surprise\n" + // 5: column D
		"32/13/2026 10:00,no month\n" // 6
	ps := mustFail(t, profileUpload("csv", "hootsuite", body, "demo"))
	want := []struct {
		row       int
		col, code string
		mention   string
	}{
		{1, "B", "required", ""},
		{2, "C", "invalid_url", "not a url"},
		{3, "A", "invalid_time", "24-hour"},
		{4, "A", "required", "column A (date and time)"},
		{5, "D", "extra_cell", "three columns"},
		{6, "A", "invalid_date", "month"},
	}
	for _, w := range want {
		p, ok := findProblem(ps, w.row, w.code)
		if !ok || p.Column != w.col || !strings.Contains(p.Message, w.mention) {
			t.Errorf("want %s on row %d, column %s; got:\n%s", w.code, w.row, w.col, problemList(ps))
		}
	}
	if len(ps) != len(want) {
		t.Errorf("%d problems, want %d:\n%s", len(ps), len(want), problemList(ps))
	}
}

// TestProfileChannels: profiles without a channel column need ?channels=,
// reported once, not on every row.
func TestProfileChannels(t *testing.T) {
	body := "01/12/2026 10:00,a\n13/12/2026 10:00,b\n"
	ps := mustFail(t, profileUpload("csv", "hootsuite", body))
	if len(ps) != 1 || ps[0].Row != 0 || ps[0].Column != "channels" || !strings.Contains(ps[0].Message, "?channels=a,b") {
		t.Errorf("no channels: %s", problemList(ps))
	}
	ps = mustFail(t, profileUpload("csv", "hootsuite", body, "demo", "nope"))
	if len(ps) != 1 || ps[0].Code != "unknown_channel" || !strings.Contains(ps[0].Message, `"nope"`) {
		t.Errorf("unknown channel: %s", problemList(ps))
	}
	_, posts, _ := mustBuild(t, profileUpload("csv", "hootsuite", body, " demo", "demo ", "tg-raw"))
	if strings.Join(posts[1].Channels, ",") != "demo,tg-raw" {
		t.Errorf("channels %v", posts[1].Channels)
	}
}

// TestHootsuiteXLSX: column A as a real date-time cell needs no date order.
func TestHootsuiteXLSX(t *testing.T) {
	body := makeXLSX(t, sheet{name: "Bulk", rows: [][]any{
		{dateTimeCell(day(3, 10, 0)), "From a date cell", "https://example.com/x"},
		{"04/12/2026 11:00", "From a text cell"},
	}})
	up := xlsxUpload(body, "UTC")
	up.DefaultChannels, up.DateOrder = []string{"demo"}, "dmy"
	_, posts, _ := mustBuild(t, up)
	if len(posts) != 2 || !posts[0].DueAt.Equal(day(3, 10, 0)) || posts[0].Link != "https://example.com/x" ||
		!posts[1].DueAt.Equal(day(4, 11, 0)) || posts[1].Row != 2 {
		t.Errorf("posts %+v", posts)
	}
}

// weeklySlotChannels are the test channels with weekly slots, for next-slot rows.
func weeklySlotChannels() map[string]*herald.Channel {
	chs := testChannels()
	for _, ch := range chs {
		ch.Slots = []herald.Slot{{Day: "mon", Time: "10:00"}, {Day: "thu", Time: "18:00"}}
	}
	return chs
}

// isNextSlot reports whether p is a next-slot row: as a herald row with
// "next" gives it (NextSlot set, At "next").
func isNextSlot(p herald.Post) bool { return p.NextSlot && p.At == "next" && p.DueAt.IsZero() }

func TestPubler(t *testing.T) {
	body := "Date - Intl. format or prompt,Text,Link(s) - Separated by comma for FB carousels,Media URL(s) - Separated by comma,Title - For the video,Label(s) - Separated by comma\n" +
		"2026-12-01 10:00,First post,https://example.com/a,\"https://example.com/1.jpg,https://example.com/2.jpg\",ignored,\"launch, news\"\n" +
		",Whenever there is a slot,,,,\n" +
		"2026-12-02 09:30,Two links,\"https://example.com/b, https://example.com/c\",,,\n"
	up := profileUpload("csv", "", body, "demo")
	up.Channels = weeklySlotChannels()
	_, posts, warnings := mustBuild(t, up)
	if len(posts) != 3 {
		t.Fatalf("%d posts", len(posts))
	}
	p := posts[0]
	if !p.DueAt.Equal(day(1, 7, 0)) || p.Text != "First post" || p.Link != "https://example.com/a" ||
		strings.Join(p.Media, " ") != "https://example.com/1.jpg https://example.com/2.jpg" ||
		strings.Join(p.Tags, ",") != "launch,news" || !p.KeyDerived || strings.Join(p.Channels, ",") != "demo" || p.Row != 2 {
		t.Errorf("first post %+v", p)
	}
	if !isNextSlot(posts[1]) || posts[1].Row != 3 {
		t.Errorf("blank date: %+v", posts[1])
	}
	if posts[2].Link != "https://example.com/b" {
		t.Errorf("link %q", posts[2].Link)
	}
	if w, ok := findProblem(warnings, 1, "ignored_columns"); !ok || !strings.Contains(w.Message, `"Title - For the video"`) {
		t.Errorf("ignored column warning: %s", problemList(warnings))
	}
	if w, ok := findProblem(warnings, 4, "extra_links"); !ok || w.Column != "Link(s) - Separated by comma for FB carousels" {
		t.Errorf("extra links warning: %s", problemList(warnings))
	}
}

// TestPublerProblems are named by the file's columns.
func TestPublerProblems(t *testing.T) {
	body := "Date,Text,Link(s),Labels\n" +
		"2026-12-01 10:00,,,\n" + // 2: no text
		"01/12/2026 10:00,bad date,,\n" + // 3
		"2026-12-01 11:00,bad link,ftp://x,\n" // 4
	ps := mustFail(t, profileUpload("csv", "publer", body, "demo"))
	for _, w := range []struct {
		row       int
		col, code string
	}{{2, "Text", "required"}, {3, "Date", "ambiguous_date_order"}, {4, "Link(s)", "invalid_url"}} {
		if p, ok := findProblem(ps, w.row, w.code); !ok || p.Column != w.col {
			t.Errorf("want %s on row %d, column %s; got:\n%s", w.code, w.row, w.col, problemList(ps))
		}
	}
	ps = mustFail(t, profileUpload("csv", "publer", "Text,Labels\nhello,x\n", "demo"))
	if p, ok := findProblem(ps, 1, "missing_column"); !ok || p.Column != "Date" {
		t.Errorf("missing Date: %s", problemList(ps))
	}
}

func TestDetectProfile(t *testing.T) {
	tests := []struct {
		header string
		want   string
	}{
		{"key,date,time,channels,text", ProfileHerald},
		{"date,time,channels,text,link,media", ProfileHerald},
		{"Date,Text,Link(s),Media URL(s),Labels", ProfilePubler},
		{"Date - Intl. format or prompt,Text", ProfilePubler},
		{"date,text,link", ProfilePubler},
		{"Text,Labels", ProfilePubler},
		{"Date,Text,Channels", ProfileHerald},
		{"01/12/2026 10:00,Hello", ProfileHootsuite},
		{"12/31/2026 23:59,Hello,https://example.com", ProfileHootsuite},
		{"2026-12-01 10:00,Hello", ProfileHootsuite},
		{"colour,size", ProfileHerald},
		{"", ProfileHerald},
	}
	for _, tt := range tests {
		rec := csvRecord{row: 1, fields: strings.Split(tt.header, ",")}
		if got := detectProfile(rec, nil); got != tt.want {
			t.Errorf("detectProfile(%q) = %s, want %s", tt.header, got, tt.want)
		}
	}
	// An XLSX date cell in column A.
	rec := csvRecord{row: 1, fields: []string{"46357.5", "Hello"}}
	if got := detectProfile(rec, func(s string) string { return excelSerial(s, false) }); got != ProfileHootsuite {
		t.Errorf("date cell: %s", got)
	}
}

// TestOptions: a bad profile or date order is the request's fault (EINVALID).
func TestOptions(t *testing.T) {
	for _, up := range []herald.PlanUpload{
		profileUpload("csv", "buffer", "x"),
		profileUpload("json", "hootsuite", "{}"),
		{Format: "csv", DateOrder: "ymd"},
	} {
		_, _, _, err := Build(up)
		var he *herald.Error
		if !errors.As(err, &he) || he.Code != herald.EINVALID {
			t.Errorf("profile %q date order %q: %v", up.Profile, up.DateOrder, err)
		}
	}
	if _, _, _, err := Build(profileUpload("json", "herald", `{"timezone":"UTC","posts":[]}`)); err != nil {
		t.Errorf("json with herald profile: %v", err)
	}
}

// TestCSVRussianSemicolons: what Russian Excel saves — a BOM, ';' between
// cells, CRLF line ends and cells over several lines — applies.
func TestCSVRussianSemicolons(t *testing.T) {
	body := "\uFEFFkey;date;time;channels;text\r\n" +
		"dec-1;01.12.2026;10:00;\"tg-raw; demo\";\"Открываем декабрь!\r\nВесь месяц — адвент-календарь; приходите, будет «вкусно».\"\r\n" +
		"dec-2;2026-12-02;9:30;demo;\"Строка с \"\"кавычками\"\"\r\nи второй строкой\"\r\n"
	_, posts, _ := mustBuild(t, upload("csv", body, "Europe/Moscow"))
	if len(posts) != 2 {
		t.Fatalf("%d posts", len(posts))
	}
	if p := posts[0]; p.Text != "Открываем декабрь!\nВесь месяц — адвент-календарь; приходите, будет «вкусно»." || !p.DueAt.Equal(day(1, 7, 0)) ||
		strings.Join(p.Channels, ",") != "tg-raw,demo" || p.Row != 2 {
		t.Errorf("first post %+v", p)
	}
	if p := posts[1]; p.Row != 3 || p.Line != 4 || p.Text != "Строка с \"кавычками\"\nи второй строкой" || !p.DueAt.Equal(day(2, 6, 30)) {
		t.Errorf("second post %+v", p)
	}
}

// TestSpreadsheetErrorCells: a cell showing a formula error is a problem
// under its column's name, in XLSX and CSV alike.
func TestSpreadsheetErrorCells(t *testing.T) {
	body := rawXLSX(t, inlineRow(1, "key", "date", "time", "channels", "text")+
		`<row r="2"><c r="A2" t="inlineStr"><is><t>a</t></is></c><c r="B2" t="inlineStr"><is><t>2026-12-01</t></is></c>`+
		`<c r="C2" t="inlineStr"><is><t>10:00</t></is></c><c r="D2" t="inlineStr"><is><t>demo</t></is></c>`+
		`<c r="E2" t="e"><f>1/0</f><v>#DIV/0!</v></c></row>`)
	ps := mustFail(t, xlsxUpload(body, "UTC"))
	if p, ok := findProblem(ps, 2, "formula_error"); !ok || p.Column != "text" || !strings.Contains(p.Message, "#DIV/0!") {
		t.Errorf("xlsx: %s", problemList(ps))
	}
	ps = mustFail(t, profileUpload("csv", "hootsuite", "13/12/2026 10:00,#REF!\n", "demo"))
	if p, ok := findProblem(ps, 1, "formula_error"); !ok || p.Column != "B" {
		t.Errorf("hootsuite: %s", problemList(ps))
	}
	// Text that merely starts with '#' is text.
	mustBuild(t, profileUpload("csv", "hootsuite", "13/12/2026 10:00,#coffee #REF\n", "demo"))
}

// TestProfileEdges: a Hootsuite header row is skipped, bad bytes and cells
// past the header are named, ?channels= on a file with a channels column is
// not used.
func TestProfileEdges(t *testing.T) {
	_, posts, _ := mustBuild(t, profileUpload("csv", "hootsuite", "Date,Message,Link\n13/12/2026 10:00,hi\n", "demo"))

	if len(posts) != 1 || posts[0].Row != 2 {
		t.Errorf("hootsuite header: %+v", posts)
	}
	ps := mustFail(t, profileUpload("csv", "hootsuite", "13/12/2026 10:00,caf\xe9\n", "demo"))
	if p, ok := findProblem(ps, 1, "invalid_utf8"); !ok || p.Column != "B" {
		t.Errorf("hootsuite utf-8: %s", problemList(ps))
	}
	ps = mustFail(t, profileUpload("csv", "publer", "Date,Text\n2026-12-01 10:00,hi,surprise\n", "demo"))
	if p, ok := findProblem(ps, 2, "extra_cell"); !ok || p.Column != "C" {
		t.Errorf("publer extra cell: %s", problemList(ps))
	}
	// A file with a channels column uses it, whatever ?channels= says.
	_, posts, warnings := mustBuild(t, profileUpload("csv", "", csvHeader+"a,2026-12-01,10:00,demo,x\n", "tg-raw"))
	if strings.Join(posts[0].Channels, ",") != "demo" || len(warnings) != 0 {
		t.Errorf("herald with ?channels=: %v %s", posts[0].Channels, problemList(warnings))
	}
}
