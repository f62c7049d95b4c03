package contentplans

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// xlsxUnzipLimit bounds how much a workbook may unpack to: a 20 MB upload of
// text compresses about tenfold, and anything far past that is a zip bomb.
const xlsxUnzipLimit = 512 << 20

// parseXLSX reads a plan from an XLSX workbook: the sheet up.Sheet, or the
// first one. Rows are read as a stream (the worksheet is never loaded whole)
// and numbered as the spreadsheet shows them; each is then handled as a CSV
// record of the same profile. Cells hold their raw values: formulas their
// cached result, dates and times their serial numbers, which the profile
// turns into text for its time columns (see excelSerial).
func (b *builder) parseXLSX(body []byte) (rows []rawPost) {
	defer func() {
		// excelize is a large parser of untrusted input: a panic in it is
		// the file's problem, not the server's.
		if v := recover(); v != nil {
			rows = nil
			b.problem(0, "", "malformed_xlsx", "the workbook cannot be read (%v); open it in a spreadsheet program and save it again as .xlsx", v)
		}
	}()
	if !b.checkXLSX(body) {
		return nil
	}
	f, err := excelize.OpenReader(bytes.NewReader(body), excelize.Options{UnzipSizeLimit: xlsxUnzipLimit})
	if err != nil {
		b.problem(0, "", "malformed_xlsx", "%s", xlsxOpenMessage(err))
		return nil
	}
	defer f.Close()
	sheet, ok := b.xlsxSheet(f)
	if !ok {
		return nil
	}
	date1904 := false
	if props, err := f.GetWorkbookProps(); err == nil && props.Date1904 != nil {
		date1904 = *props.Date1904
	}
	it, err := f.Rows(sheet)
	if err != nil {
		b.problem(0, "sheet", "malformed_xlsx", "sheet %q cannot be read: %s", sheet, err)
		return nil
	}
	defer it.Close()
	var readErr error
	recs := func(yield func(csvRecord) bool) {
		// Next is called once per row number, gaps included, so counting
		// the calls gives the row number the spreadsheet shows.
		for n := 1; it.Next(); n++ {
			cells, err := it.Columns(excelize.Options{RawCellValue: true})
			if err != nil {
				readErr = fmt.Errorf("row %d: %w", n, err)
				return
			}
			if blankCells(cells) {
				continue
			}
			if !yield(csvRecord{row: n, fields: cells}) {
				return
			}
		}
		if err := it.Error(); err != nil {
			readErr = err
		}
	}
	rows, seen := b.readTable(recs, func(s string) string { return excelSerial(s, date1904) })
	if readErr != nil {
		b.problem(0, "", "malformed_xlsx", "sheet %q cannot be read to the end: %s", sheet, readErr)
		return nil
	}
	if !seen {
		b.problem(1, "", "missing_header", "sheet %q is empty: its first row must name the columns (%s)", sheet, strings.Join(csvColumns, ","))
	}
	return rows
}

// xlsxSheet picks the sheet to read: up.Sheet (matched exactly, else
// ignoring case) or the workbook's first. An unknown name is a problem
// listing the sheets there are.
func (b *builder) xlsxSheet(f *excelize.File) (string, bool) {
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		b.problem(0, "", "malformed_xlsx", "the workbook has no sheets")
		return "", false
	}
	want := strings.TrimSpace(b.up.Sheet)
	if want == "" {
		return sheets[0], true
	}
	for _, s := range sheets {
		if s == want {
			return s, true
		}
	}
	for _, s := range sheets {
		if strings.EqualFold(s, want) {
			return s, true
		}
	}
	quoted := make([]string, len(sheets))
	for i, s := range sheets {
		quoted[i] = strconv.Quote(s)
	}
	b.problem(0, "sheet", "unknown_sheet", "the workbook has no sheet %q; its sheets are %s", want, strings.Join(quoted, ", "))
	return "", false
}

// xlsxOpenMessage explains why a body is not a readable workbook.
func xlsxOpenMessage(err error) string {
	switch {
	case errors.Is(err, excelize.ErrWorkbookPassword):
		return "the workbook is password-protected; save it without a password"
	case errors.Is(err, excelize.ErrWorkbookFileFormat):
		return "the file is not an XLSX workbook (an old .xls? save it as .xlsx)"
	case strings.Contains(err.Error(), "unzip size exceeds"):
		return fmt.Sprintf("the workbook unpacks to more than %d MB; split it into smaller files", xlsxUnzipLimit>>20)
	}
	return fmt.Sprintf("the file cannot be read as an XLSX workbook: %s", err)
}

func blankCells(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// maxSerial is 9999-12-31, the last day a spreadsheet date can hold.
const maxSerial = 2958465

// excelSerial turns a date or time cell's raw value (days since the
// workbook's epoch, the fraction being the time of day) into the text a
// plan's time columns take: "2026-12-01" for a whole day, "10:00" for a
// time alone, "2026-12-01 10:00" for both (seconds only when not zero).
// Anything else, text included, is returned as it is.
func excelSerial(s string, date1904 bool) string {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) || v < 0 || v > maxSerial {
		return s
	}
	days := math.Floor(v)
	secs := math.Round((v - days) * 86400)
	if secs >= 86400 {
		days, secs = days+1, 0
	}
	epoch := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	switch {
	case date1904:
		epoch = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)
	case days < 61:
		// Excel's 1900 system counts a 29 February 1900 that never was.
		epoch = epoch.AddDate(0, 0, 1)
	}
	t := epoch.AddDate(0, 0, int(days)).Add(time.Duration(secs) * time.Second)
	clock := "15:04"
	if int(secs)%60 != 0 {
		clock = "15:04:05"
	}
	switch {
	case days == 0:
		return t.Format(clock) // a time of day alone
	case secs == 0:
		return t.Format("2006-01-02")
	}
	return t.Format("2006-01-02 " + clock)
}
