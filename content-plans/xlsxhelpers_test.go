package contentplans

import (
	"archive/zip"
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/xuri/excelize/v2"
)

// Cell values for makeXLSX besides strings (text cells) and numbers.
type (
	// dateCell is a real date cell (a serial number formatted as a date).
	dateCell time.Time
	// timeCell is a real time cell (a fraction of a day formatted h:mm).
	timeCell time.Duration
	// dateTimeCell is one cell holding a date and a time.
	dateTimeCell time.Time
)

// sheet is one worksheet for makeXLSX: rows from row 1, nil rows left empty.
type sheet struct {
	name string
	rows [][]any
}

// makeXLSX writes a workbook with excelize, as a spreadsheet program would:
// dates and times are serial numbers with date and time number formats.
func makeXLSX(tb testing.TB, sheets ...sheet) []byte {
	tb.Helper()
	f := excelize.NewFile()
	defer f.Close()
	dateFmt, timeFmt, dtFmt := "yyyy-mm-dd", "h:mm", "dd.mm.yyyy hh:mm"
	dateStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt})
	if err != nil {
		tb.Fatal(err)
	}
	timeStyle, _ := f.NewStyle(&excelize.Style{CustomNumFmt: &timeFmt})
	dtStyle, _ := f.NewStyle(&excelize.Style{CustomNumFmt: &dtFmt})
	for i, sh := range sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", sh.name); err != nil {
				tb.Fatal(err)
			}
		} else if _, err := f.NewSheet(sh.name); err != nil {
			tb.Fatal(err)
		}
		for r, row := range sh.rows {
			for c, v := range row {
				cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
				style := 0
				switch x := v.(type) {
				case nil:
					continue
				case dateCell:
					v, style = time.Time(x), dateStyle
				case dateTimeCell:
					v, style = time.Time(x), dtStyle
				case timeCell:
					v, style = time.Duration(x).Hours()/24, timeStyle
				}
				if err := f.SetCellValue(sh.name, cell, v); err != nil {
					tb.Fatal(err)
				}
				if style != 0 {
					if err := f.SetCellStyle(sh.name, cell, cell, style); err != nil {
						tb.Fatal(err)
					}
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// rawXLSX zips a minimal workbook around one worksheet's <sheetData> XML,
// for cells excelize does not write (formulas with cached values).
func rawXLSX(tb testing.TB, sheetData string) []byte {
	tb.Helper()
	parts := []struct{ name, body string }{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Plan" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`},
		{"xl/worksheets/sheet1.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` + sheetData + `</sheetData></worksheet>`},
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, p := range parts {
		w, err := zw.Create(p.name)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := w.Write([]byte(p.body)); err != nil {
			tb.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// inlineRow is a <row> of inline-string cells from column A.
func inlineRow(n int, cells ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<row r="%d">`, n)
	for i, c := range cells {
		if c == "" {
			continue
		}
		fmt.Fprintf(&b, `<c r="%s%d" t="inlineStr"><is><t>%s</t></is></c>`, columnLetter(i), n, c)
	}
	b.WriteString("</row>")
	return b.String()
}

// xlsxUpload is an XLSX upload with the test channels.
func xlsxUpload(body []byte, tz string) herald.PlanUpload {
	up := upload("xlsx", "", tz)
	up.Body = body
	return up
}
