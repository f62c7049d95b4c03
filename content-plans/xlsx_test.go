package contentplans

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

func day(d int, hm ...int) time.Time {
	h, m := 0, 0
	if len(hm) == 2 {
		h, m = hm[0], hm[1]
	}
	return time.Date(2026, 12, d, h, m, 0, 0, time.UTC)
}

var xlsxHeader = []any{"key", "date", "time", "channels", "text"}

// TestXLSXDateAndTextCells: real date and time cells, one date-time cell,
// text cells and a mix all resolve; rows are numbered as the sheet shows
// them, empty rows skipped.
func TestXLSXDateAndTextCells(t *testing.T) {
	body := makeXLSX(t, sheet{name: "Plan", rows: [][]any{
		xlsxHeader,
		{"cells", dateCell(day(1)), timeCell(10 * time.Hour), "demo", "date and time cells"},
		{"text", "2026-12-02", "11:30", "demo", "text cells"},
		{"one-cell", dateTimeCell(day(3, 9, 15)), nil, "demo", "one date-time cell"},
		{"mixed", "04.12.2026", timeCell(18*time.Hour + 30*time.Minute), "demo", "text date, time cell"},
		nil,
		{123, dateCell(day(5)), timeCell(8*time.Hour + 30*time.Second), "demo, tg-raw", "numeric key"},
	}})
	_, posts, _ := mustBuild(t, xlsxUpload(body, "Europe/Moscow")) // UTC+3
	want := []struct {
		key string
		row int
		due time.Time
	}{
		{"cells", 2, day(1, 7, 0)},
		{"text", 3, day(2, 8, 30)},
		{"one-cell", 4, day(3, 6, 15)},
		{"mixed", 5, day(4, 15, 30)},
		{"123", 7, day(5, 5, 0).Add(30 * time.Second)},
	}
	if len(posts) != len(want) {
		t.Fatalf("got %d posts, want %d: %+v", len(posts), len(want), posts)
	}
	for i, w := range want {
		p := posts[i]
		if p.Key != w.key || p.Row != w.row || !p.DueAt.Equal(w.due) {
			t.Errorf("post %d: key %q row %d due %v; want %q row %d due %v", i, p.Key, p.Row, p.DueAt, w.key, w.row, w.due)
		}
	}
	if got := posts[4].Channels; len(got) != 2 || got[1] != "tg-raw" {
		t.Errorf("channels %v", got)
	}
	if posts[0].At != "2026-12-01 10:00" || posts[3].At != "04.12.2026 18:30" {
		t.Errorf("At as written: %q, %q", posts[0].At, posts[3].At)
	}
}

// TestXLSXAtColumn: an "at" column of date-time cells.
func TestXLSXAtColumn(t *testing.T) {
	body := makeXLSX(t, sheet{name: "Plan", rows: [][]any{
		{"key", "at", "channels", "text"},
		{"a", dateTimeCell(day(1, 10, 0)), "demo", "x"},
		{"b", "2026-12-01T10:00:00Z", "demo", "y"},
	}})
	_, posts, _ := mustBuild(t, xlsxUpload(body, "Europe/Berlin"))
	if !posts[0].DueAt.Equal(day(1, 9, 0)) || !posts[1].DueAt.Equal(day(1, 10, 0)) {
		t.Errorf("due %v, %v", posts[0].DueAt, posts[1].DueAt)
	}
}

// TestXLSXFormulaCachedValues: formula cells read as the values the
// spreadsheet program cached, for text, dates and times alike.
func TestXLSXFormulaCachedValues(t *testing.T) {
	body := rawXLSX(t, inlineRow(1, "key", "date", "time", "channels", "text")+
		`<row r="2">`+
		`<c r="A2" t="str"><f>"k-"&amp;"1"</f><v>k-1</v></c>`+
		`<c r="B2"><f>DATE(2026,12,1)</f><v>46357</v></c>`+
		`<c r="C2"><f>TIME(10,0,0)</f><v>0.41666666666666669</v></c>`+
		`<c r="D2" t="inlineStr"><is><t>demo</t></is></c>`+
		`<c r="E2" t="str"><f>CONCAT("Hello, ","world")</f><v>Hello, world</v></c>`+
		`</row>`)
	_, posts, _ := mustBuild(t, xlsxUpload(body, "UTC"))
	if len(posts) != 1 {
		t.Fatalf("%d posts", len(posts))
	}
	p := posts[0]
	if p.Key != "k-1" || p.Text != "Hello, world" || !p.DueAt.Equal(day(1, 10, 0)) || p.Row != 2 {
		t.Errorf("post %+v", p)
	}
}

// TestXLSXSheet: the first sheet by default, else the named one (case
// aside); an unknown name lists the sheets.
func TestXLSXSheet(t *testing.T) {
	body := makeXLSX(t,
		sheet{name: "Notes", rows: [][]any{{"key", "date", "time", "channels", "text"}, {"n", "2026-12-01", "10:00", "demo", "from Notes"}}},
		sheet{name: "December", rows: [][]any{xlsxHeader, nil, {"d", "2026-12-01", "10:00", "demo", "from December"}}},
	)
	up := xlsxUpload(body, "UTC")
	if _, posts, _ := mustBuild(t, up); posts[0].Text != "from Notes" {
		t.Errorf("default sheet gave %q", posts[0].Text)
	}
	for _, name := range []string{"December", "december"} {
		up.Sheet = name
		if _, posts, _ := mustBuild(t, up); posts[0].Text != "from December" || posts[0].Row != 3 {
			t.Errorf("sheet %q gave %q on row %d", name, posts[0].Text, posts[0].Row)
		}
	}
	up.Sheet = "January"
	ps := mustFail(t, up)
	if p, ok := findProblem(ps, 0, "unknown_sheet"); !ok || p.Column != "sheet" || !strings.Contains(p.Message, `"Notes", "December"`) {
		t.Errorf("unknown sheet: %s", problemList(ps))
	}
}

// TestXLSXProblems: problems point at the row the spreadsheet shows and the
// column's name.
func TestXLSXProblems(t *testing.T) {
	tests := []struct {
		name string
		body []byte
		row  int
		col  string
		code string
	}{
		{"not a workbook", []byte("key,date\n"), 0, "", "wrong_format"},
		{"empty sheet", makeXLSX(t, sheet{name: "Plan"}), 1, "", "missing_header"},
		{"unknown channel after an empty row", makeXLSX(t, sheet{name: "Plan", rows: [][]any{
			xlsxHeader, {"a", "2026-12-01", "10:00", "demo", "x"}, nil, {"b", "2026-12-02", "10:00", "nope", "y"}}}),
			4, "channels", "unknown_channel"},
		{"text date that is no date", makeXLSX(t, sheet{name: "Plan", rows: [][]any{
			xlsxHeader, {"a", "2026-13-01", timeCell(10 * time.Hour), "demo", "x"}}}),
			2, "date", "invalid_date"},
		{"number far past any date", makeXLSX(t, sheet{name: "Plan", rows: [][]any{
			xlsxHeader, {"a", 1e9, "10:00", "demo", "x"}}}),
			2, "date", "invalid_date"},
		{"header on row 3", makeXLSX(t, sheet{name: "Plan", rows: [][]any{
			nil, nil, {"key", "date", "time", "channels", "txt"}}}),
			3, "txt", "unknown_column"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := mustFail(t, xlsxUpload(tt.body, "UTC"))
			if p, ok := findProblem(ps, tt.row, tt.code); !ok || p.Column != tt.col {
				t.Fatalf("want %s on row %d, column %q; got:\n%s", tt.code, tt.row, tt.col, problemList(ps))
			}
		})
	}
}

func TestExcelSerial(t *testing.T) {
	tests := []struct {
		in       string
		date1904 bool
		want     string
	}{
		{"46357", false, "2026-12-01"},
		{"46357.5", false, "2026-12-01 12:00"},
		{"0.41666666666666669", false, "10:00"},
		{"0.999999999", false, "1900-01-01"}, // rounds up to the next day
		{"0.000347222", false, "00:00:30"},
		{"44895", true, "2026-12-01"},
		{"61", false, "1900-03-01"},
		{"59", false, "1900-02-28"},
		{"60", false, "1900-03-01"}, // Excel's 29 February 1900, which never was
		{"-1", false, "-1"},
		{"1e9", false, "1e9"},
		{"NaN", false, "NaN"},
		{"next", false, "next"},
	}
	for _, tt := range tests {
		if got := excelSerial(tt.in, tt.date1904); got != tt.want {
			t.Errorf("excelSerial(%q, %v) = %q, want %q", tt.in, tt.date1904, got, tt.want)
		}
	}
}

// TestXLSXDate1904: a workbook counting days from 1904 (old Mac Excel).
func TestXLSXDate1904(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	yes := true
	if err := f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &yes}); err != nil {
		t.Fatal(err)
	}
	if err := f.SetSheetRow("Sheet1", "A1", &[]any{"key", "date", "time", "channels", "text"}); err != nil {
		t.Fatal(err)
	}
	// 44895 days after 1 January 1904 is 1 December 2026.
	if err := f.SetSheetRow("Sheet1", "A2", &[]any{"a", 44895, 0.5, "demo", "x"}); err != nil {
		t.Fatal(err)
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	_, posts, _ := mustBuild(t, xlsxUpload(buf.Bytes(), "UTC"))
	if !posts[0].DueAt.Equal(day(1, 12, 0)) {
		t.Errorf("due %v", posts[0].DueAt)
	}
}

func TestXLSXOpenMessage(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want string
	}{
		{excelize.ErrWorkbookPassword, "password"},
		{excelize.ErrWorkbookFileFormat, ".xls"},
		{errors.New("unzip size exceeds the 536870912 bytes limit"), "512 MB"},
		{errors.New("zip: not a valid zip file"), "not a valid zip"},
	} {
		if got := xlsxOpenMessage(tt.err); !strings.Contains(got, tt.want) {
			t.Errorf("%v: %q", tt.err, got)
		}
	}
}
