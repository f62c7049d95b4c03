package contentplans

import (
	"strings"
	"testing"
	"time"
)

// TestODSLibreOfficeMatchesXLSX: testdata/libreoffice.ods, which LibreOffice
// made from testdata/libreoffice.xlsx (see testdata/README.md), gives the
// same posts: rows, keys, instants, texts (a multi-line cell, runs of
// spaces, Cyrillic), tags, and the time as written.
func TestODSLibreOfficeMatchesXLSX(t *testing.T) {
	_, want, _ := mustBuild(t, xlsxUpload(readTestdata(t, "libreoffice.xlsx"), "Europe/Moscow"))
	_, got, warnings := mustBuild(t, odsUpload(readTestdata(t, "libreoffice.ods"), "Europe/Moscow"))
	if len(warnings) != 0 {
		t.Errorf("warnings: %s", problemList(warnings))
	}
	if len(got) != 6 || len(got) != len(want) {
		t.Fatalf("%d posts from ODS, %d from XLSX, want 6", len(got), len(want))
	}
	for i := range want {
		w, g := want[i], got[i]
		if g.Row != w.Row || g.Key != w.Key || !g.DueAt.Equal(w.DueAt) || g.Text != w.Text || g.At != w.At ||
			strings.Join(g.Tags, "|") != strings.Join(w.Tags, "|") || strings.Join(g.Channels, "|") != strings.Join(w.Channels, "|") {
			t.Errorf("post %d:\n ODS  %+v\n XLSX %+v", i, g, w)
		}
	}
	if got[1].Text != "Line one\nLine two\n\nLine four, after an empty line" || got[2].Text != "Two  spaces,   three spaces" {
		t.Errorf("texts %q, %q", got[1].Text, got[2].Text)
	}
	if !got[2].DueAt.Equal(time.Date(2026, 12, 3, 6, 15, 30, 0, time.UTC)) || got[5].Row != 8 || got[3].Key != "123" {
		t.Errorf("time cell with seconds, row after the gap, numeric key: %+v %+v %+v", got[2], got[5], got[3])
	}
}

// TestODSSheet: the first sheet by default, ?sheet= by name (ignoring
// case), and an unknown name lists the sheets.
func TestODSSheet(t *testing.T) {
	body := readTestdata(t, "libreoffice.ods")
	for _, name := range []string{"Later", "later"} {
		up := odsUpload(body, "UTC")
		up.Sheet = name
		_, posts, _ := mustBuild(t, up)
		if len(posts) != 1 || posts[0].Key != "later-1" || posts[0].Row != 2 || posts[0].DueAt.Format(time.RFC3339) != "2026-12-20T11:00:00Z" {
			t.Errorf("sheet %s: %+v", name, posts)
		}
	}
	up := odsUpload(body, "UTC")
	up.Sheet = "Drafts"
	ps := mustFail(t, up)
	if len(ps) != 1 || ps[0].Code != "unknown_sheet" || !strings.Contains(ps[0].Message, `"Plan", "Later"`) {
		t.Errorf("unknown sheet: %s", problemList(ps))
	}
}

// TestODSRepeatedRowsAndColumns: a repeated row is one row per row it
// stands for, a repeated cell one cell per column, and a trailing run of
// 1,048,000 empty rows of 16,384 empty cells costs nothing; rows after
// a long empty run keep the number the spreadsheet shows.
func TestODSRepeatedRowsAndColumns(t *testing.T) {
	rows := odsRow("date", "time", "channels", "text", "text:telegram") +
		strings.Replace(odsRow(odsDateValue("2026-12-01"), odsTimeValue("PT10H00M00S"), "demo", odsRaw(
			`<table:table-cell table:number-columns-repeated="2" office:value-type="string" calcext:value-type="string"><text:p>Same text</text:p></table:table-cell>`)),
			`<table:table-row table:style-name="ro1">`, `<table:table-row table:style-name="ro1" table:number-rows-repeated="3">`, 1) +
		`<table:table-row table:number-rows-repeated="1048000"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>` +
		odsRow(odsDateValue("2026-12-02T09:30:00"), "", "demo", "After the gap")
	trailing := `<table:table-row table:number-rows-repeated="1048000"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>`
	body := makeODS(t, odsTable{"Plan", rows + trailing})
	_, posts, _ := mustBuild(t, odsUpload(body, "UTC"))
	if len(posts) != 4 {
		t.Fatalf("%d posts, want 4: %+v", len(posts), posts)
	}
	for i, p := range posts[:3] {
		if p.Row != i+2 || p.Text != "Same text" || p.Variants["telegram"].Text != "Same text" || p.DueAt.Format(time.RFC3339) != "2026-12-01T10:00:00Z" {
			t.Errorf("repeated row %d: %+v", i, p)
		}
	}
	if last := posts[3]; last.Row != 1048005 || last.DueAt.Format(time.RFC3339) != "2026-12-02T09:30:00Z" {
		t.Errorf("row after the gap: %+v", last)
	}

	without := makeODS(t, odsTable{"Plan", rows})
	allocs := func(b []byte) float64 {
		return testing.AllocsPerRun(3, func() { _, _, _, _ = Build(odsUpload(b, "UTC")) })
	}
	if with, base := allocs(body), allocs(without); with > base+100 {
		t.Errorf("the trailing empty rows cost %.0f allocations (%.0f without them)", with, base)
	}
}

// TestODSCellText: paragraphs join with line breaks; text:s, text:tab,
// text:line-break, spans and links are text; comments, drawings and the
// content of covered (merged-away) cells are not; XML whitespace collapses.
func TestODSCellText(t *testing.T) {
	cell := odsText(`<office:annotation><dc:creator>Anna</dc:creator><text:p>a comment</text:p></office:annotation>` +
		`<text:p>Hello,<text:s text:c="3"/><text:span text:style-name="T1">bold</text:span> and <text:a xlink:href="https://example.com">a link</text:a></text:p>` +
		`<text:p>tab<text:tab/>here<text:line-break/>broken
		   line<draw:frame><draw:image/></draw:frame></text:p>`)
	merged := odsRaw(`<table:table-cell table:number-columns-spanned="2" office:value-type="string"><text:p>demo</text:p></table:table-cell><table:covered-table-cell office:value-type="string"><text:p>hidden</text:p></table:covered-table-cell>`)
	body := makeODS(t, odsTable{"Plan", odsRow("key", "date", "time", "channels", "rubric", "text") +
		odsRow("a", odsDateValue("2026-12-01"), odsTimeValue("PT10H00M00S"), merged, cell)})
	_, posts, _ := mustBuild(t, odsUpload(body, "UTC"))
	want := "Hello,   bold and a link\ntab\there\nbroken line"
	if p := posts[0]; p.Text != want || p.Rubric != "" || strings.Join(p.Channels, ",") != "demo" {
		t.Errorf("text %q rubric %q channels %v, want text %q", p.Text, p.Rubric, p.Channels, want)
	}
}

// TestODSProfilesAndErrors: a Hootsuite file (no header, a date-time cell
// in column A) reads through the same profiles; formula errors, in
// Excel's words and LibreOffice's, are problems on their cell.
func TestODSProfilesAndErrors(t *testing.T) {
	body := makeODS(t, odsTable{"Sheet1", odsRow(odsDateValue("2026-12-13T10:00:00"), "Hello from a Hootsuite sheet")})
	up := odsUpload(body, "UTC")
	up.DefaultChannels = []string{"demo"}
	_, posts, _ := mustBuild(t, up)
	if len(posts) != 1 || posts[0].Row != 1 || posts[0].DueAt.Format(time.RFC3339) != "2026-12-13T10:00:00Z" {
		t.Errorf("hootsuite: %+v", posts)
	}

	errCell := func(shown string) odsRaw {
		return odsRaw(`<table:table-cell table:formula="of:=1/0" office:value-type="float" office:value="0" calcext:value-type="error"><text:p>` + shown + `</text:p></table:table-cell>`)
	}
	body = makeODS(t, odsTable{"Plan", odsHeader +
		odsRow("a", "2026-12-01", "10:00", "demo", errCell("#DIV/0!")) +
		odsRow("b", "2026-12-01", "11:00", "demo", errCell("Err:502"))})
	ps := mustFail(t, odsUpload(body, "UTC"))
	for _, row := range []int{2, 3} {
		if p, ok := findProblem(ps, row, "formula_error"); !ok || p.Column != "text" {
			t.Errorf("no formula_error on row %d, text: %s", row, problemList(ps))
		}
	}
}

// TestODSDateTimeValues: office:date-value and office:time-value become
// the text time columns take.
func TestODSDateTimeValues(t *testing.T) {
	for in, want := range map[string]string{
		"2026-12-01": "2026-12-01", "2026-12-01T00:00:00": "2026-12-01", "2026-12-01T10:00:00": "2026-12-01 10:00",
		"2026-12-01T10:00:30.2": "2026-12-01 10:00:30", "2026-12-01T23:59:59.7": "2026-12-02", "yesterday": "",
	} {
		if got, _ := odsDate(in); got != want {
			t.Errorf("odsDate(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"PT10H00M00S": "10:00", "PT09H15M30S": "09:15:30", "PT10H00M00.4S": "10:00", "PT0H30M": "00:30",
		"PT24H00M00S": "", "PT36H00M00S": "", "P1DT2H": "", "10:00": "",
	} {
		if got, _ := odsTime(in); got != want {
			t.Errorf("odsTime(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestODSPasswordProtected: an encrypted spreadsheet says so.
func TestODSPasswordProtected(t *testing.T) {
	manifest := strings.Replace(odsManifest, `manifest:media-type="text/xml"/>`,
		`manifest:media-type="text/xml"><manifest:encryption-data manifest:checksum-type="SHA1/1K"/></manifest:file-entry>`, 1)
	ps := mustFail(t, odsUpload(zipODS(t, "\x93\x11 encrypted bytes", manifest), "UTC"))
	if len(ps) != 1 || ps[0].Code != "malformed_ods" || !strings.Contains(ps[0].Message, "password") {
		t.Errorf("%s", problemList(ps))
	}
}
