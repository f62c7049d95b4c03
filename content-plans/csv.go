package contentplans

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// csvColumns are the columns a CSV plan may have, besides text:<platform>.
var csvColumns = []string{"key", "date", "time", "at", "channels", "text", "media", "link", "rubric", "tags"}

// csvRecord is one row of a spreadsheet, CSV or XLSX.
type csvRecord struct {
	// row is the row as the spreadsheet shows it: an XLSX row's number; a
	// CSV record's place in the file, the header being row 1 when it is
	// the first line, each record counting one row however many lines its
	// cells span, and each blank line one row (a spreadsheet program shows
	// an empty row for it, though the CSV reader skips it).
	row int
	// line is the CSV file line the record starts on (0 for XLSX).
	line   int
	fields []string
}

// parseCSV reads a plan in CSV, in any import profile (see readTable), its
// records numbered as a spreadsheet shows them (see csvRecord). The
// delimiter is a comma, or a semicolon or tab when the first line uses that
// instead.
func (b *builder) parseCSV(body []byte) []rawPost {
	comma := sniffDelimiter(body)
	if msg := csvTooWide(body, byte(comma)); msg != "" {
		b.problem(0, "", "too_large", "%s", msg)
		return nil
	}
	rd := csv.NewReader(bytes.NewReader(body))
	rd.Comma = comma
	rd.FieldsPerRecord = -1
	num := csvRows{body: body}
	var recs []csvRecord
	firstErrRow := 0
	for {
		fields, err := rd.Read()
		if err == io.EOF {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			row := num.next(pe.StartLine, rd.InputOffset())
			b.recordLine(row, pe.StartLine)
			b.problem(row, "", "malformed_csv", "%s", csvErrorMessage(pe, body))
			if firstErrRow == 0 {
				firstErrRow = row
			}
			continue
		} else if err != nil {
			b.problem(0, "", "malformed_csv", "the file cannot be read as CSV: %s", err)
			break
		}
		if len(recs) == maxRows {
			b.problem(0, "", "too_large", "%s", tooLarge("the sheet has more than %d rows with content", maxRows))
			return nil
		}
		line, _ := rd.FieldPos(0)
		row := num.next(line, rd.InputOffset())
		b.recordLine(row, line)
		recs = append(recs, csvRecord{row: row, line: line, fields: fields})
	}
	if len(recs) == 0 || firstErrRow != 0 && firstErrRow <= recs[0].row {
		if len(recs) == 0 && firstErrRow == 0 {
			b.problem(1, "", "missing_header", "the file is empty: the first row must name the columns (%s)", strings.Join(csvColumns, ","))
		}
		return nil
	}
	rows, _ := b.readTable(slices.Values(recs), nil)
	return rows
}

// csvRows numbers the records of a CSV file as a spreadsheet program shows
// them: one row per record, and one per blank line the reader skipped.
type csvRows struct {
	body  []byte
	off   int64 // of the end of the last record read
	lines int   // lines up to there
	row   int   // of the last record read
}

// next returns the row of the record starting on line start that the
// reader has read up to offset end.
func (c *csvRows) next(start int, end int64) int {
	blank := max(start-c.lines-1, 0) // empty lines the reader skipped before it
	c.row += blank + 1
	c.lines += bytes.Count(c.body[c.off:end], []byte("\n"))
	c.off = end
	return c.row
}

// csvHeaderInfo maps column names to indexes.
type csvHeaderInfo struct {
	names    []string       // per index; "" for an unnamed column
	index    map[string]int // name → index
	variants map[string]int // platform → index of text:<platform>
	ignored  map[int]bool   // columns Herald does not read
	missing  map[string]bool
	useAt    bool // an "at" column instead of "date" and "time"
}

// csvHeader reads the header of Herald's layout: its columns, variants
// (text:<platform>), columns almost named like one of them (problems with
// a suggestion) and other columns (ignored, with one warning).
func (b *builder) csvHeader(rec csvRecord) csvHeaderInfo {
	h := csvHeaderInfo{index: map[string]int{}, variants: map[string]int{}, ignored: map[int]bool{}, missing: map[string]bool{}}
	row := rec.row
	var raws []string
	for i, raw := range rec.fields {
		if !utf8.ValidString(raw) {
			b.problem(row, fmt.Sprintf("column %d", i+1), "invalid_utf8", "the header is not valid UTF-8; save the file as UTF-8")
			raw = strings.ToValidUTF8(raw, "\uFFFD")
		}
		raws = append(raws, strings.TrimSpace(raw))
		h.names = append(h.names, strings.ToLower(strings.TrimSpace(raw)))
	}
	absent := func(n string) bool {
		switch {
		case slices.Contains(h.names, n):
			return false
		case n == "at":
			return !slices.Contains(h.names, "date") && !slices.Contains(h.names, "time")
		case n == "date" || n == "time":
			return !slices.Contains(h.names, "at")
		}
		return true
	}
	meant := map[string]bool{} // columns a misspelled name suggests
	var ignored []string
	for i, name := range h.names {
		if name == "" {
			continue
		}
		known, platform, problem, suggested, note := b.headerColumn(name, absent)
		if !known && problem == "" {
			h.ignored[i] = true
			label := strconv.Quote(raws[i])
			if note != "" {
				label += " (" + note + ")"
			}
			if !slices.Contains(ignored, label) {
				ignored = append(ignored, label)
			}
			continue
		}
		if _, dup := h.index[name]; dup {
			b.problem(row, name, "duplicate_column", "column %q appears twice in the header", name)
			continue
		}
		h.index[name] = i
		switch {
		case problem != "":
			b.problem(row, name, "unknown_column", "%s", problem)
			meant[suggested] = true
		case platform != "":
			if _, dup := h.variants[platform]; dup {
				b.problem(row, name, "duplicate_column", "column %q is a second variant for %s", name, platform)
				continue
			}
			h.variants[platform] = i
		}
	}
	b.ignoredColumnsWarning(row, ignored)
	has := func(n string) bool { _, ok := h.index[n]; return ok }
	for _, n := range []string{"channels", "text"} {
		if !has(n) {
			h.missing[n] = true
			if !meant[n] {
				b.problem(row, n, "missing_column", "column %q is required", n)
			}
		}
	}
	switch {
	case has("at") && (has("date") || has("time")):
		h.missing["time"] = true
		b.problem(row, "at", "conflicting_columns", `use either an "at" column or "date" and "time" columns, not both`)
	case has("at"):
		h.useAt = true
	case has("date") && has("time"):
	default:
		h.missing["time"] = true
		if meant["at"] || (has("date") || meant["date"]) && (has("time") || meant["time"]) {
			break // a misspelled column is reported already
		}
		col := "date"
		if has("date") {
			col = "time"
		}
		b.problem(row, col, "missing_column", `columns "date" and "time" (or a single "at" column) are required`)
	}
	return h
}

// columnName is the header's name of column i, else "column <i+1>".
func (h csvHeaderInfo) columnName(i int) string {
	if i < len(h.names) && h.names[i] != "" {
		return h.names[i]
	}
	return fmt.Sprintf("column %d", i+1)
}

// csvRow reads one record whose cells validCells has checked; ok is false
// for a row whose cells are all empty.
func (b *builder) csvRow(h csvHeaderInfo, rec csvRecord) (rawPost, bool) {
	r := rawPost{row: rec.row, line: rec.line, noText: h.missing["text"], noChannels: h.missing["channels"], noTime: h.missing["time"]}
	empty := true
	for i, cell := range rec.fields {
		if strings.TrimSpace(cell) != "" {
			empty = false
			if i >= len(h.names) || h.names[i] == "" {
				b.problem(r.row, fmt.Sprintf("column %d", i+1), "extra_cell", "the row has a value in column %d, which the header does not name; quote cells that contain the delimiter", i+1)
			}
		}
	}
	if empty {
		return r, false
	}
	cell := func(name string) string {
		if i, ok := h.index[name]; ok && i < len(rec.fields) {
			return strings.TrimSpace(rec.fields[i])
		}
		return ""
	}
	r.key, r.text, r.link, r.rubric = cell("key"), cell("text"), cell("link"), cell("rubric")
	r.channels, r.media, r.tags = splitList(cell("channels")), splitList(cell("media")), splitList(cell("tags"))
	for platform, i := range h.variants {
		if i < len(rec.fields) {
			if r.variants == nil {
				r.variants = map[string]string{}
			}
			r.variants[platform] = strings.TrimSpace(rec.fields[i])
		}
	}
	if !r.noTime {
		b.csvTime(&r, h.useAt, cell)
	}
	return r, true
}

// csvTime sets the row's time from its "at" cell, or from "date" and "time"
// (see readDate and readClock for the forms). A full date and time in
// either cell alone is accepted too. Both cells empty, or "next" in
// either, is the next free slot.
func (b *builder) csvTime(r *rawPost, useAt bool, cell func(string) string) {
	if useAt {
		r.at, r.atValue, r.timeCol = cell("at"), cell("at"), "at"
		return
	}
	d, t := cell("date"), cell("time")
	r.at, r.timeCol = strings.TrimSpace(d+" "+t), "time"
	switch {
	case d == "" && t == "", strings.EqualFold(t, "next") || t == "" && strings.EqualFold(d, "next"):
		r.atValue = "next"
	case d == "" || t == "":
		missing := "date"
		if t == "" {
			missing, r.timeCol = "time", "date"
		}
		if _, _, ok := readMoment(d+t, b.dateOrder()); ok {
			r.atValue = d + t
			return
		}
		b.problem(r.row, missing, "required", "%s is required (date as %s; time as %s)", missing, dateForms, clockForms)
		r.noTime = true
	default:
		date, errD := readDate(d, b.dateOrder())
		clock, okT := readClock(t)
		switch {
		case errors.Is(errD, errNotDate):
			b.problem(r.row, "date", "invalid_date", "date %q must be written as %s (or YYYY-MM-DD)", d, dateForms)
		case errD != nil:
			b.problem(r.row, "date", "invalid_date", "%s", errD)
		case date.ambiguous:
			b.ambiguous = append(b.ambiguous, ambiguousDate{row: r.row, col: "date", raw: d, date: date})
		}
		if !okT {
			b.problem(r.row, "time", "invalid_time", `time %q must be HH:MM (24-hour: %s) or "next"`, t, clockForms)
		}
		if errD != nil || date.ambiguous || !okT {
			r.noTime = true
			return
		}
		r.atValue = date.t.Add(clock).Format("2006-01-02 15:04:05")
	}
}

// sniffDelimiter picks the first line's delimiter: a comma unless the line
// has more semicolons or tabs (spreadsheets in many locales export ';').
// Only those outside quoted cells count (a Hootsuite file has no header: its
// first line is a post whose message may hold any of them).
func sniffDelimiter(body []byte) rune {
	line := body
	if i := bytes.IndexByte(body, '\n'); i >= 0 {
		line = body[:i]
	}
	counts := map[byte]int{}
	quoted := false
	for _, c := range line {
		if c == '"' {
			quoted = !quoted
		} else if !quoted {
			counts[c]++
		}
	}
	best, bestN := ',', counts[',']
	for _, d := range []rune{';', '\t'} {
		if n := counts[byte(d)]; n > bestN {
			best, bestN = d, n
		}
	}
	return best
}

// csvErrorMessage explains a CSV reader failure with the line and column
// where the reader stopped.
func csvErrorMessage(pe *csv.ParseError, body []byte) string {
	switch {
	case errors.Is(pe.Err, csv.ErrBareQuote):
		return fmt.Sprintf(`a quote (") inside a cell that does not start with one (line %d, column %d); quote the whole cell and double the quotes inside it ("")`, pe.Line, pe.Column)
	case errors.Is(pe.Err, csv.ErrQuote) && !quoteAt(body, pe.Line, pe.Column):
		return fmt.Sprintf(`unbalanced quote: a quoted cell that starts on line %d is never closed, so the rest of the file was read into it (the reader stopped at line %d, column %d)`, pe.StartLine, pe.Line, pe.Column)
	case errors.Is(pe.Err, csv.ErrQuote):
		return fmt.Sprintf(`unbalanced quote at line %d, column %d: a quoted cell must end with a quote followed by the delimiter or the line end; double quotes inside it ("")`, pe.Line, pe.Column)
	}
	return fmt.Sprintf("malformed CSV at line %d, column %d: %s", pe.Line, pe.Column, pe.Err)
}

// quoteAt reports whether body has a '"' at line and (1-based byte) column.
// The reader points at the offending quote of a quoted cell that goes on
// after its closing quote, and past the line end when the file ended inside
// a quoted cell.
func quoteAt(body []byte, line, col int) bool {
	lines := bytes.SplitN(body, []byte("\n"), line+1)
	if line < 1 || line > len(lines) {
		return false
	}
	text := lines[line-1]
	return col >= 1 && col <= len(text) && text[col-1] == '"'
}

// csvTooWide tells, before the CSV reader makes a string of every cell,
// whether body has a record past maxColumns cells or more than maxCells
// cells in all (a 20 MB file of commas is 20 million empty cells): the
// message of the too_large problem, or "". Delimiters inside quotes do not
// count.
func csvTooWide(body []byte, comma byte) string {
	cells, inRecord, quoted := 0, 1, false
	for _, c := range body {
		switch {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == comma:
			cells++
			if inRecord++; inRecord > maxColumns {
				return tooLarge("a row has cells past column %d", maxColumns)
			}
		case c == '\n':
			inRecord = 1
		}
	}
	if cells > maxCells {
		return tooLarge("the file has more than %d cells", maxCells)
	}
	return ""
}
