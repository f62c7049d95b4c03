package contentplans

import (
	"encoding/csv"
	"strings"
	"testing"
)

// csvToXLSX is the workbook a spreadsheet program makes of a CSV file: one
// row per record, every cell text.
func csvToXLSX(t *testing.T, body string) []byte {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	rows := make([][]any, len(recs))
	for i, rec := range recs {
		for _, c := range rec {
			rows[i] = append(rows[i], c)
		}
	}
	return makeXLSX(t, sheet{name: "Plan", rows: rows})
}

// The CSV and the XLSX of one sheet number its rows alike, however many
// lines the CSV's cells span; the CSV's problems also name the file line.
func TestRowsAreSpreadsheetRowsInCSVAndXLSX(t *testing.T) {
	body := readFile(t, "examples/december.csv")
	book := csvToXLSX(t, body)
	_, fromCSV, _ := mustBuild(t, upload("csv", body, "Europe/Moscow"))
	_, fromXLSX, _ := mustBuild(t, xlsxUpload(book, "Europe/Moscow"))
	if len(fromCSV) != len(fromXLSX) || len(fromCSV) < 3 {
		t.Fatalf("%d posts from the CSV, %d from the XLSX", len(fromCSV), len(fromXLSX))
	}
	for i := range fromCSV {
		c, x := fromCSV[i], fromXLSX[i]
		if c.Key != x.Key || c.Row != x.Row || c.Row != i+2 || x.Line != 0 {
			t.Errorf("post %d: CSV %s row %d, XLSX %s row %d (line %d); want row %d in both", i, c.Key, c.Row, x.Key, x.Row, x.Line, i+2)
		}
	}
	if p := fromCSV[1]; p.Key != "dec-02-roast-ethiopia" || p.Row != 3 || p.Line != 8 {
		t.Errorf("second post: %s row %d line %d, want dec-02-roast-ethiopia row 3 line 8", p.Key, p.Row, p.Line)
	}

	bad := strings.Replace(body, "dec-02-roast-ethiopia,2099-12-02,12:00", "dec-02-roast-ethiopia,2099-12-02,25:00", 1)
	csvPs := mustFail(t, upload("csv", bad, "Europe/Moscow"))
	xlsxPs := mustFail(t, xlsxUpload(csvToXLSX(t, bad), "Europe/Moscow"))
	if len(csvPs) != 1 || len(xlsxPs) != 1 {
		t.Fatalf("want one problem each; CSV:\n%sXLSX:\n%s", problemList(csvPs), problemList(xlsxPs))
	}
	c, x := csvPs[0], xlsxPs[0]
	if c.Row != 3 || c.Line != 8 || c.Column != "time" || x.Row != 3 || x.Line != 0 || x.Column != "time" {
		t.Errorf("CSV %+v, XLSX %+v; want row 3, column time in both, line 8 in the CSV", c, x)
	}
	if got := c.String(); !strings.HasPrefix(got, "row 3 (line 8), time: ") {
		t.Errorf("String() = %q, want it to start with row 3 (line 8)", got)
	}
}

// A keyless CSV row's derived key keeps the file line it starts on, as it
// always has: a plan applied before rows were counted as a spreadsheet does
// re-uploads onto the same posts instead of replacing (and re-publishing) them.
func TestDerivedKeysKeepTheCSVLine(t *testing.T) {
	body := "date,time,channels,text\n2099-12-01,10:00,demo,\"Two\nlines\"\n2099-12-02,10:00,demo,After\n"
	_, posts, _ := mustBuild(t, upload("csv", body, "UTC"))
	if len(posts) != 2 || posts[1].Row != 3 || posts[1].Line != 4 || posts[1].Key != DeriveKey(4, "After") || posts[0].Key != DeriveKey(2, "Two\nlines") {
		t.Errorf("posts: %+v", posts)
	}
}
