package contentplans

import (
	"archive/zip"
	"bytes"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
)

// bomb is an ODS whose content.xml holds a header and then n bytes of
// empty rows: a few hundred kilobytes that unpack to n.
func bomb(tb testing.TB, n int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "mimetype", Method: zip.Store})
	if err != nil {
		tb.Fatal(err)
	}
	w.Write([]byte(odsMimeType))
	if w, err = zw.Create("content.xml"); err != nil {
		tb.Fatal(err)
	}
	w.Write([]byte(odsContentHead + `<table:table table:name="Plan">` + odsHeader))
	row := []byte(strings.Repeat(`<table:table-row><table:table-cell/></table:table-row>`, 1000))
	for written := 0; written < n; written += len(row) {
		if _, err := w.Write(row); err != nil {
			tb.Fatal(err)
		}
	}
	w.Write([]byte(`</table:table></office:spreadsheet></office:body></office:document-content>`))
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// allocated is how many bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestODSBomb: a small file whose content.xml unpacks past the bound is
// refused from the zip's directory, with little memory.
func TestODSBomb(t *testing.T) {
	body := bomb(t, odsContentLimit+1<<20)
	t.Logf("%d bytes unpack to more than %d MB", len(body), odsContentLimit>>20)
	var ps []string
	n := allocated(func() {
		_, _, _, err := Build(odsUpload(body, "UTC"))
		for _, p := range herald.ErrorDetails(err) {
			ps = append(ps, p.Code+": "+p.Message)
		}
	})
	if len(ps) != 1 || !strings.HasPrefix(ps[0], "too_large: ") || !strings.Contains(ps[0], "256 MB") {
		t.Errorf("problems %q", ps)
	}
	if n > 8<<20 {
		t.Errorf("refusing it allocated %d MB", n>>20)
	}
}

// TestODSLyingSize: a content.xml that unpacks to more than its zip entry
// says is cut where it says, not read on.
func TestODSLyingSize(t *testing.T) {
	honest := bomb(t, 64<<20)
	zr, err := zip.NewReader(bytes.NewReader(honest), int64(len(honest)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		h := f.FileHeader
		if f.Name == "content.xml" {
			h.UncompressedSize64 = 4096
		}
		raw, err := f.OpenRaw()
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.CreateRaw(&h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(w, raw); err != nil {
			t.Fatal(err)
		}
	}
	zw.Close()
	var ps []herald.Problem
	n := allocated(func() {
		_, _, _, err := Build(odsUpload(buf.Bytes(), "UTC"))
		ps = herald.ErrorDetails(err)
	})
	if len(ps) != 1 || ps[0].Code != "malformed_ods" {
		t.Errorf("problems: %s", problemList(ps))
	}
	if n > 8<<20 {
		t.Errorf("allocated %d MB", n>>20)
	}
}

// TestODSBounds: repeated rows, repeated cells, long cells and deep or
// long XML are refused with a problem before they cost memory.
func TestODSBounds(t *testing.T) {
	long := strings.Repeat("я", maxCellChars)
	repeatRow := func(n string, cells ...any) string {
		return strings.Replace(odsRow(cells...), `<table:table-row table:style-name="ro1">`, `<table:table-row table:number-rows-repeated="`+n+`">`, 1)
	}
	tests := []struct {
		name, rows string
		row        int
		col, code  string
		mention    string
	}{
		{"a million repeated rows", repeatRow("1000000", "a", "2026-12-01", "10:00", "demo", "x"), 0, "", "too_large", "rows"},
		{"wide rows repeated", repeatRow("1000", "", "2026-12-01", "10:00", "demo", odsRaw(`<table:table-cell table:number-columns-repeated="16000" office:value-type="string"><text:p>x</text:p></table:table-cell>`)), 0, "", "too_large", "cells"},
		{"a long cell repeated", repeatRow("2000", "", "2026-12-01", "10:00", "demo", long), 0, "", "too_large", "MB of text"},
		{"a cell past the last column", odsRow("a", "2026-12-01", "10:00", "demo", "x", odsRaw(`<table:table-cell table:number-columns-repeated="20000"/>`), "far"), 0, "", "too_large", "column 16384"},
		{"a cell too long", odsRow("a", "2026-12-01", "10:00", "demo", long+"!"), 2, "text", "too_long", "100000 characters"},
		{"one text run of 5 MB", odsRow("a", "2026-12-01", "10:00", "demo", strings.Repeat("x", 5<<20)), 0, "", "too_large", "4 MB"},
		{"elements nested 200 deep", odsRow("a", "2026-12-01", "10:00", "demo",
			odsText("<text:p>"+strings.Repeat("<text:span>", 200)+"deep"+strings.Repeat("</text:span>", 200)+"</text:p>")), 0, "", "malformed_ods", "nests"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := makeODS(t, odsTable{"Plan", odsHeader + tt.rows})
			var ps []herald.Problem
			n := allocated(func() { ps = mustFail(t, odsUpload(body, "UTC")) })
			p, ok := findProblem(ps, tt.row, tt.code)
			if !ok || p.Column != tt.col || !strings.Contains(p.Message, tt.mention) {
				t.Errorf("want %s on row %d, column %q, mentioning %q; got:\n%s", tt.code, tt.row, tt.col, tt.mention, problemList(ps))
			}
			if n > 64<<20 {
				t.Errorf("allocated %d MB", n>>20)
			}
		})
	}
}
