package contentplans

import (
	"iter"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
)

// TestCSVBounds: a CSV's cells, rows and width are held to the sheet's
// bounds, each with one problem saying which.
func TestCSVBounds(t *testing.T) {
	head := "key,at,channels,text\n"
	tests := []struct {
		name, body string
		row        int
		col, code  string
		mention    string
	}{
		{"a cell too long", head + "a,2099-12-01 10:00,demo," + strings.Repeat("я", maxCellChars+1) + "\n", 2, "text", "too_long", "cell D2 holds 100001 characters"},
		{"a header cell too long", strings.Repeat("x", maxCellChars+1) + ",at,channels,text\n", 1, "A", "too_long", "cell A1"},
		{"too many rows", head + strings.Repeat("a,next,demo,x\n", maxRows), 0, "", "too_large", "200000 rows"},
		{"a row too wide", head + "a,next,demo,x" + strings.Repeat(",", maxColumns) + "\n", 0, "", "too_large", "column 16384"},
		{"too many cells", head + strings.Repeat("a,next,demo,x"+strings.Repeat(",", 100)+"\n", maxCells/100), 0, "", "too_large", "2000000 cells"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := mustFail(t, upload("csv", tt.body, "UTC"))
			p, ok := findProblem(ps, tt.row, tt.code)
			if !ok || p.Column != tt.col || !strings.Contains(p.Message, tt.mention) {
				t.Errorf("want %s on row %d, column %q, mentioning %q; got:\n%s", tt.code, tt.row, tt.col, tt.mention, problemList(ps))
			}
			if tt.code == "too_long" && len(ps) != 1 {
				t.Errorf("the emptied cell should not be reported again:\n%s", problemList(ps))
			}
		})
	}
}

// TestSheetTextBound: records whose text adds up past maxText stop the
// reading with one too_large problem (the records share one string, as
// a workbook's shared string would, so the test costs little).
func TestSheetTextBound(t *testing.T) {
	long := strings.Repeat("x", maxCellChars)
	recs := func(yield func(csvRecord) bool) {
		if !yield(csvRecord{row: 1, fields: []string{"key", "at", "channels", "text", "text:vk"}}) {
			return
		}
		for n := 2; n < 100_000; n++ {
			if !yield(csvRecord{row: n, fields: []string{"", "next", "demo", long, long}}) {
				t.Logf("stopped at row %d", n)
				return
			}
		}
		t.Error("read to the end")
	}
	b := &builder{up: upload("csv", "", "UTC")}
	rows, _ := b.readTable(iter.Seq[csvRecord](recs), nil)
	if rows != nil || len(b.problems) != 1 || b.problems[0].Code != "too_large" || !strings.Contains(b.problems[0].Message, "128 MB of text") {
		t.Errorf("%d rows; problems:\n%s", len(rows), problemList(b.problems))
	}
}

// TestCellBoundKeepsTheRest: a cell just within the bound is read.
func TestCellBoundKeepsTheRest(t *testing.T) {
	body := "key,at,channels,text\na,2099-12-01 10:00,demo," + strings.Repeat("я", maxCellChars) + "\n"
	_, posts, _, err := Build(upload("csv", body, "UTC"))
	if err != nil || len(posts) != 1 || len([]rune(posts[0].Text)) != maxCellChars {
		t.Errorf("err %v; problems:\n%s", err, problemList(herald.ErrorDetails(err)))
	}
}

// TestJSONBounds: a JSON plan's text fields are held to the cell bound and
// its posts to the row bound.
func TestJSONBounds(t *testing.T) {
	long := strings.Repeat("я", maxCellChars+1)
	post := func(field string, v any) map[string]any {
		p := map[string]any{"key": "a", "at": "2099-12-01T10:00:00Z", "channels": []string{"demo"}, "text": "Hi"}
		p[field] = v
		return p
	}
	tests := []struct {
		name string
		body string
		row  int
		col  string
		code string
	}{
		{"text", jsonPlan(t, "UTC", post("text", long)), 1, "text", "too_long"},
		{"link", jsonPlan(t, "UTC", post("link", "https://example.com/"+long)), 1, "link", "too_long"},
		{"media", jsonPlan(t, "UTC", post("media", []string{"https://example.com/" + strings.Repeat("x", maxCellChars/2), "https://example.com/" + strings.Repeat("x", maxCellChars/2)})), 1, "media", "too_long"},
		{"variant", jsonPlan(t, "UTC", post("variants", map[string]any{"vk": map[string]string{"text": long}})), 1, "text:vk", "too_long"},
		{"a million posts", `{"timezone":"UTC","posts":[` + strings.Repeat(`{},`, 1_000_000) + `{}]}`, 0, "posts", "too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := mustFail(t, upload("json", tt.body, "UTC"))
			p, ok := findProblem(ps, tt.row, tt.code)
			if !ok || p.Column != tt.col || len(ps) != 1 {
				t.Errorf("want only %s on row %d, column %q; got:\n%s", tt.code, tt.row, tt.col, problemList(ps))
			}
		})
	}
}
