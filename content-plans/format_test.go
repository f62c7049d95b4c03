package contentplans

import (
	"archive/zip"
	"bytes"
	"strings"
	"testing"
	"time"
)

// zipOf zips entries (name, content) in order.
func zipOf(t *testing.T, entries ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := 0; i+1 < len(entries); i += 2 {
		w, err := zw.Create(entries[i])
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(entries[i+1]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sampleFiles are the same small plan in each format.
func sampleFiles(t *testing.T) map[string][]byte {
	return map[string][]byte{
		"json": []byte(jsonPlan(t, "UTC", map[string]any{"key": "a", "at": "2026-12-01 10:00", "channels": []string{"demo"}, "text": "x"})),
		"csv":  []byte(csvHeader + "a,2026-12-01,10:00,demo,x\n"),
		"xlsx": makeXLSX(t, sheet{name: "Plan", rows: [][]any{xlsxHeader, {"a", dateCell(day(1)), timeCell(10 * time.Hour), "demo", "x"}}}),
		"ods":  makeODS(t, odsTable{"Plan", odsHeader + odsRow("a", odsDateValue("2026-12-01"), odsTimeValue("PT10H00M00S"), "demo", "x")}),
	}
}

func TestSniff(t *testing.T) {
	for format, body := range sampleFiles(t) {
		if got := Sniff(body); got != format {
			t.Errorf("Sniff(%s file) = %q", format, got)
		}
	}
	for name, c := range map[string]struct {
		body []byte
		want string
	}{
		"LibreOffice's ODS":         {readTestdata(t, "libreoffice.ods"), "ods"},
		"Windows-1251 CSV":          {readTestdata(t, "cp1251.csv"), "csv"},
		"UTF-16 text with a BOM":    {[]byte("\xff\xfek\x00e\x00y\x00"), "csv"},
		"JSON after a BOM":          {[]byte("\uFEFF \n{\"posts\":[]}"), "json"},
		"a JSON array":              {[]byte(`[{"text":"x"}]`), "json"},
		"a header in brackets":      {[]byte("[key],text\n"), "csv"},
		"empty":                     {nil, "csv"},
		"an ODS without mimetype":   {zipOf(t, "content.xml", "<x/>"), "ods"},
		"an ODF text document":      {zipOf(t, "mimetype", "application/vnd.oasis.opendocument.text", "content.xml", "<x/>"), SniffZip},
		"a Word document":           {zipOf(t, "[Content_Types].xml", "<x/>", "word/document.xml", "<x/>"), SniffZip},
		"an Excel 97-2003 workbook": {[]byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 rest"), SniffXLS},
		"a PNG":                     {[]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), SniffBinary},
	} {
		if got := Sniff(c.body); got != c.want {
			t.Errorf("Sniff(%s) = %q, want %q", name, got, c.want)
		}
	}
}

// TestWrongFormat: a file sent as another format is one wrong_format
// problem naming what it is and how to send it (the API's Content-Type,
// the CLI's extension); sent with no format it is read as what it is.
func TestWrongFormat(t *testing.T) {
	files := sampleFiles(t)
	for _, c := range []struct{ is, sentAs, mention string }{
		{"xlsx", "csv", "the file is an XLSX workbook, not CSV text as it was sent: send it as application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
		{"ods", "csv", "an ODS spreadsheet, not CSV text"},
		{"ods", "xlsx", "an ODS spreadsheet, not an XLSX workbook"},
		{"xlsx", "ods", "the .xlsx extension"},
		{"csv", "xlsx", "CSV text, not an XLSX workbook"},
		{"json", "csv", "a JSON plan, not CSV text"},
		{"xlsx", "json", "as application/vnd.openxmlformats"},
	} {
		up := upload(c.sentAs, "", "UTC")
		up.Body = files[c.is]
		ps := mustFail(t, up)
		if len(ps) != 1 || ps[0].Code != "wrong_format" || ps[0].Row != 0 || !strings.Contains(ps[0].Message, c.mention) || !strings.Contains(ps[0].Message, "application/octet-stream") {
			t.Errorf("%s sent as %s: %s", c.is, c.sentAs, problemList(ps))
		}
	}
	for format, body := range files {
		up := upload("", "", "UTC")
		up.Body = body
		if _, posts, _ := mustBuild(t, up); len(posts) != 1 || !posts[0].DueAt.Equal(day(1, 10, 0)) {
			t.Errorf("%s with no format: %+v", format, posts)
		}
	}
	for name, body := range map[string][]byte{"xls": []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), "binary": {0, 1, 2}, "zip": zipOf(t, "a.txt", "x")} {
		for _, format := range []string{"", "csv", "json"} {
			up := upload(format, "", "UTC")
			up.Body = body
			if ps := mustFail(t, up); len(ps) != 1 || ps[0].Code != "wrong_format" {
				t.Errorf("%s sent as %q: %s", name, format, problemList(ps))
			}
		}
	}
	// A password-protected XLSX is an OLE2 file too: the XLSX reader says so.
	up := upload("xlsx", "", "UTC")
	up.Body = []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 not really")
	if ps := mustFail(t, up); ps[0].Code != "malformed_xlsx" {
		t.Errorf("OLE2 sent as xlsx: %s", problemList(ps))
	}
}
