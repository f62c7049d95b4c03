package contentplans

import (
	"archive/zip"
	"bytes"
	"fmt"
	"html"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
)

// odsTable is one sheet for makeODS: its table:table-row elements as XML.
type odsTable struct {
	name string
	rows string
}

// makeODS zips a spreadsheet as LibreOffice lays it out: a stored mimetype
// entry first, a manifest, and content.xml with the tables.
func makeODS(tb testing.TB, tables ...odsTable) []byte {
	tb.Helper()
	var content strings.Builder
	content.WriteString(odsContentHead)
	for _, t := range tables {
		fmt.Fprintf(&content, `<table:table table:name="%s" table:style-name="ta1"><table:table-column table:number-columns-repeated="16384"/>%s</table:table>`, html.EscapeString(t.name), t.rows)
	}
	content.WriteString(`</office:spreadsheet></office:body></office:document-content>`)
	return zipODS(tb, content.String(), odsManifest)
}

const odsContentHead = `<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xlink="http://www.w3.org/1999/xlink" office:version="1.3"><office:automatic-styles/><office:body><office:spreadsheet>`

const odsManifest = `<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>`

// zipODS zips content.xml and a manifest behind a stored mimetype entry.
func zipODS(tb testing.TB, content, manifest string) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "mimetype", Method: zip.Store})
	if err == nil {
		_, err = w.Write([]byte(odsMimeType))
	}
	for _, p := range []struct{ name, body string }{{"META-INF/manifest.xml", manifest}, {"content.xml", content}} {
		if err != nil {
			break
		}
		if w, err = zw.Create(p.name); err == nil {
			_, err = w.Write([]byte(p.body))
		}
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// Cells for odsRow.
type (
	// odsText is a text cell whose XML (paragraphs, spans…) is given as is.
	odsText string
	// odsDateValue is a date cell: office:date-value="…".
	odsDateValue string
	// odsTimeValue is a time cell: office:time-value="PT10H00M00S".
	odsTimeValue string
	// odsRaw is a cell, or cells, written as is.
	odsRaw string
)

// odsRow is a table:table-row of cells: strings are one-paragraph text
// cells, numbers float cells, "" an empty cell.
func odsRow(cells ...any) string {
	var b strings.Builder
	b.WriteString(`<table:table-row table:style-name="ro1">`)
	for _, c := range cells {
		switch v := c.(type) {
		case string:
			if v == "" {
				b.WriteString(`<table:table-cell/>`)
				continue
			}
			fmt.Fprintf(&b, `<table:table-cell office:value-type="string" calcext:value-type="string"><text:p>%s</text:p></table:table-cell>`, html.EscapeString(v))
		case int, float64:
			fmt.Fprintf(&b, `<table:table-cell office:value-type="float" office:value="%v" calcext:value-type="float"><text:p>%v</text:p></table:table-cell>`, v, v)
		case odsText:
			fmt.Fprintf(&b, `<table:table-cell office:value-type="string" calcext:value-type="string">%s</table:table-cell>`, v)
		case odsDateValue:
			fmt.Fprintf(&b, `<table:table-cell office:value-type="date" office:date-value="%s" calcext:value-type="date"><text:p>shown otherwise</text:p></table:table-cell>`, v)
		case odsTimeValue:
			fmt.Fprintf(&b, `<table:table-cell office:value-type="time" office:time-value="%s" calcext:value-type="time"><text:p>shown otherwise</text:p></table:table-cell>`, v)
		case odsRaw:
			b.WriteString(string(v))
		}
	}
	b.WriteString(`<table:table-cell table:number-columns-repeated="16370"/></table:table-row>`)
	return b.String()
}

// odsUpload is an ODS upload with the test channels.
func odsUpload(body []byte, tz string) herald.PlanUpload {
	up := upload("ods", "", tz)
	up.Body = body
	return up
}

// odsHeader is the header row of the generated ODS plans.
var odsHeader = odsRow("key", "date", "time", "channels", "text")
