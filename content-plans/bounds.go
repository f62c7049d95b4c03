package contentplans

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/heraldhq/herald"
)

// Bounds of the sheet a plan is read from, whatever its format (CSV, JSON,
// XLSX, ODS): they bound the work, not the file. A 20 MB upload can stand
// for far more text than it holds (a compressed workbook, a shared string
// or a repeated ODS row used many times), and every byte of text read is
// kept, checked and counted per platform; each bound is a problem
// (too_large, too_long) found before the text is built, never an
// allocation.
const (
	// maxRows bounds the rows with content (a JSON plan's posts): one
	// repeated row costs a few bytes of the file but a post per row it
	// stands for (a 100,000-row plan takes a few seconds to build).
	maxRows = 200_000
	// maxCells bounds the cells of those rows (up to each row's last with
	// content), likewise: each is checked, and one past the header is a
	// problem of its own.
	maxCells = 2_000_000
	// maxColumns is the widest sheet LibreOffice and Excel make (XFD).
	maxColumns = 16384
	// maxCellChars bounds one cell's text: no platform takes a post longer
	// than 63,206 characters (Facebook's; the others stop at 40,000).
	maxCellChars = 100_000
	// maxText bounds the bytes of text of all the rows read.
	maxText = 128 << 20
)

// tooLarge is the message of a too_large problem: what passed a bound, and
// what to do.
func tooLarge(format string, args ...any) string {
	return fmt.Sprintf(format, args...) + "; split the plan into smaller files"
}

// sheetBounds holds the records of a sheet to the bounds as readTable reads
// them, whatever their format.
type sheetBounds struct {
	b     *builder
	rows  int
	text  int64
	names []string // the header's cells, to name columns; nil without one
}

// admit counts rec: a cell longer than maxCellChars is a too_long problem
// naming it, and is emptied before any profile reads it; past maxRows,
// maxColumns or maxText admit reports a too_large problem and returns false,
// and reading stops.
func (s *sheetBounds) admit(rec csvRecord) bool {
	if s.rows++; s.rows > maxRows {
		s.b.problem(0, "", "too_large", "%s", tooLarge("the sheet has more than %d rows with content", maxRows))
		return false
	}
	if len(rec.fields) > maxColumns {
		s.b.problem(0, "", "too_large", "%s", tooLarge("row %d has cells past column %d", rec.row, maxColumns))
		return false
	}
	for i, f := range rec.fields {
		s.text += int64(len(f))
		if len(f) <= maxCellChars { // never more characters than bytes
			continue
		}
		if n := utf8.RuneCountInString(f); n > maxCellChars {
			s.b.tooLong(rec.row, s.column(i), cellTooLong(columnLetter(i), rec.row, n))
			rec.fields[i] = ""
		}
	}
	if s.text > maxText {
		s.b.problem(0, "", "too_large", "%s", tooLarge("the sheet holds more than %d MB of text", maxText>>20))
		return false
	}
	return true
}

// cellTooLong is the message of a too_long problem on cell col+row that
// holds chars characters.
func cellTooLong(col string, row, chars int) string {
	return fmt.Sprintf("cell %s%d holds %d characters, more than the %d a cell may: no platform takes a post that long", col, row, chars, maxCellChars)
}

// column names column i in a problem: as the header names it, else by its
// letter.
func (s *sheetBounds) column(i int) string {
	if i < len(s.names) {
		if name := strings.ToLower(strings.TrimSpace(s.names[i])); name != "" {
			return name
		}
	}
	return columnLetter(i)
}

// tooLong reports a too_long problem on a cell that is then read as empty.
func (b *builder) tooLong(row int, col, msg string) {
	b.problem(row, col, "too_long", "%s", msg)
	if b.cut == nil {
		b.cut = map[cellAt]bool{}
	}
	b.cut[cellAt{row, col}] = true
}

// dropRequiredOfCut removes the "required" problems of the cells emptied
// for being too long.
func (b *builder) dropRequiredOfCut() {
	if len(b.cut) == 0 {
		return
	}
	b.problems = slices.DeleteFunc(b.problems, func(p herald.Problem) bool {
		return p.Code == "required" && b.cut[cellAt{p.Row, p.Column}]
	})
}
