package contentplans

import (
	"archive/zip"
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
)

// xlsxWithStrings zips a minimal workbook with shared strings (each item's
// XML inside <si>) and one worksheet's <sheetData> XML, written by w.
func xlsxWithStrings(tb testing.TB, shared []string, rows func(w *bytes.Buffer)) []byte {
	tb.Helper()
	var sheet bytes.Buffer
	sheet.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	rows(&sheet)
	sheet.WriteString(`</sheetData></worksheet>`)
	var sst strings.Builder
	sst.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`)
	for _, s := range shared {
		sst.WriteString("<si>" + s + "</si>")
	}
	sst.WriteString(`</sst>`)
	parts := []struct{ name, body string }{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Plan" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`},
		{"xl/sharedStrings.xml", sst.String()},
		{"xl/worksheets/sheet1.xml", sheet.String()},
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, p := range parts {
		w, err := zw.Create(p.name)
		if err == nil {
			_, err = w.Write([]byte(p.body))
		}
		if err != nil {
			tb.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// bombHeader is the header row of the generated workbooks, as inline strings.
var bombHeader = inlineRow(1, "key", "at", "channels", "text", "text:vk")

// sharedRows writes rows 2..n+1 whose text columns (D on) use shared
// string 0 in cols cells each.
func sharedRows(n, cols int) func(w *bytes.Buffer) {
	return func(w *bytes.Buffer) {
		w.WriteString(bombHeader)
		for r := 2; r <= n+1; r++ {
			fmt.Fprintf(w, `<row r="%d"><c r="B%d" t="inlineStr"><is><t>next</t></is></c><c r="C%d" t="inlineStr"><is><t>demo</t></is></c>`, r, r, r)
			for c := range cols {
				fmt.Fprintf(w, `<c r="%s%d" t="s"><v>0</v></c>`, columnLetter(3+c), r)
			}
			w.WriteString("</row>")
		}
	}
}

// TestXLSXBombs: workbooks whose cells expand past the bounds are refused
// from their XML, before excelize builds a string, with one problem naming
// the bound (or each cell too long).
func TestXLSXBombs(t *testing.T) {
	runs := func(n, size int) string { // one shared string of n runs of size bytes
		return strings.Repeat("<r><t>"+strings.Repeat("x", size)+"</t></r>", n)
	}
	tests := []struct {
		name      string
		body      []byte
		row       int
		col, code string
		mention   string
	}{
		{"the tester's bomb: one 15 MB shared string in 200 rows", xlsxWithStrings(t, []string{"<t>" + strings.Repeat("x", 15<<20) + "</t>"}, sharedRows(200, 1)), 0, "", "too_large", "longer than 4 MB"},
		{"a 15 MB shared string of rich-text runs", xlsxWithStrings(t, []string{runs(15, 1<<20)}, sharedRows(200, 2)), 2, "D", "too_long", "cell D2 holds 15728640 characters"},
		{"shared strings of 99,999 characters everywhere", xlsxWithStrings(t, []string{"<t>" + strings.Repeat("x", maxCellChars-1) + "</t>"}, sharedRows(700, 2)), 0, "", "too_large", "128 MB of text"},
		{"an inline string too long", xlsxWithStrings(t, nil, func(w *bytes.Buffer) {
			w.WriteString(bombHeader + inlineRow(2, "a", "next", "demo", strings.Repeat("я", maxCellChars+1)))
		}), 2, "D", "too_long", "cell D2 holds 100001 characters"},
		{"an inline string repeated", xlsxWithStrings(t, nil, func(w *bytes.Buffer) {
			w.WriteString(bombHeader)
			for r := 2; r < 400; r++ {
				w.WriteString(inlineRow(r, "", "next", "demo", strings.Repeat("x", maxCellChars-1)))
			}
		}), 0, "", "too_large", "times its size"},
		{"too many rows", xlsxWithStrings(t, nil, func(w *bytes.Buffer) {
			w.WriteString(bombHeader)
			for r := 2; r <= maxRows+1; r++ {
				fmt.Fprintf(w, `<row r="%d"><c r="A%d"><v>1</v></c></row>`, r, r)
			}
		}), 0, "", "too_large", "200000 rows"},
		{"a cell past the last column", xlsxWithStrings(t, nil, func(w *bytes.Buffer) {
			w.WriteString(bombHeader + `<row r="2"><c r="XFE2"><v>1</v></c></row>`)
		}), 0, "", "too_large", "column 16384"},
		{"shared strings past 64 MB", xlsxWithStrings(t, []string{"<t>" + strings.Repeat("x", 65<<20) + "</t>"}, sharedRows(1, 1)), 0, "", "too_large", "shared strings unpack to 65 MB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ps []herald.Problem
			n := allocated(func() { ps = mustFail(t, xlsxUpload(tt.body, "UTC")) })
			p, ok := findProblem(ps, tt.row, tt.code)
			if !ok || p.Column != tt.col || !strings.Contains(p.Message, tt.mention) {
				t.Errorf("want %s on row %d, column %q, mentioning %q; got:\n%s", tt.code, tt.row, tt.col, tt.mention, problemList(ps))
			}
			if n > 256<<20 { // allocated in all, most of it garbage; the benchmark measures the peak
				t.Errorf("allocated %d MB", n>>20)
			}
		})
	}
}

// TestXLSXWithinBounds: a workbook whose shared strings are used within
// the bounds builds as before.
func TestXLSXWithinBounds(t *testing.T) {
	body := xlsxWithStrings(t, []string{"<t>Hello</t>", `<r><t>rich </t></r><r><t>text</t></r><rPh><t>ignored</t></rPh>`}, func(w *bytes.Buffer) {
		w.WriteString(bombHeader + `<row r="2"><c r="A2" t="inlineStr"><is><t>a</t></is></c><c r="B2" t="inlineStr"><is><t>2099-12-01 10:00</t></is></c><c r="C2" t="inlineStr"><is><t>demo</t></is></c><c r="D2" t="s"><v>0</v></c><c r="E2" t="s"><v>1</v></c></row>`)
	})
	_, posts, _ := mustBuild(t, xlsxUpload(body, "UTC"))
	if len(posts) != 1 || posts[0].Text != "Hello" {
		t.Errorf("posts %+v", posts)
	}
}
