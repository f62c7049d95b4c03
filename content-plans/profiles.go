package contentplans

import (
	"fmt"
	"iter"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/heraldhq/herald"
)

// Import profiles: the spreadsheet layouts Build reads (PlanUpload.Profile).
const (
	// ProfileHerald is Herald's own layout: a header naming key, date, time
	// (or at), channels, text, media, link, rubric, tags and text:<platform>.
	ProfileHerald = "herald"
	// ProfileHootsuite is Hootsuite's Bulk Composer file: no header; column A
	// the date and time ("dd/mm/yyyy hh:mm" or "mm/dd/yyyy hh:mm", 24-hour,
	// see PlanUpload.DateOrder), B the message, C an optional URL.
	ProfileHootsuite = "hootsuite"
	// ProfilePubler is Publer's bulk file: a header with Date
	// ("YYYY-MM-DD HH:MM", blank for the next free slot), Text, Link(s),
	// Media URL(s) and Labels.
	ProfilePubler = "publer"
)

// Profiles lists the import profiles, for messages and option checks.
var Profiles = []string{ProfileHerald, ProfileHootsuite, ProfilePubler}

// Date orders of slash dates that read both ways round, such as Hootsuite's
// (PlanUpload.DateOrder).
const (
	DateOrderDMY = "dmy" // 01/12/2026 is 1 December
	DateOrderMDY = "mdy" // 01/12/2026 is 12 January
)

// checkOptions checks the upload's spreadsheet options. A bad value is an
// EINVALID *herald.Error: the request, not the file, is wrong.
func checkOptions(up herald.PlanUpload) error {
	profile := strings.ToLower(strings.TrimSpace(up.Profile))
	if profile != "" && !slices.Contains(Profiles, profile) {
		return herald.Errorf(herald.EINVALID, "format %q is not an import profile; use %s", up.Profile, strings.Join(Profiles, ", "))
	}
	if profile != "" && profile != ProfileHerald && strings.EqualFold(strings.TrimSpace(up.Format), "json") {
		return herald.Errorf(herald.EINVALID, "the %s profile is a spreadsheet layout; send it as CSV, XLSX or ODS, not JSON", profile)
	}
	switch strings.ToLower(strings.TrimSpace(up.DateOrder)) {
	case "", DateOrderDMY, DateOrderMDY:
	default:
		return herald.Errorf(herald.EINVALID, "date_order %q must be dmy (day first) or mdy (month first)", up.DateOrder)
	}
	if strings.TrimSpace(up.Sheet) != "" && (up.Format == "csv" || up.Format == "json") {
		return herald.Errorf(herald.EINVALID, "sheet is for XLSX and ODS workbooks; this upload is %s", strings.ToUpper(up.Format))
	}
	if strings.TrimSpace(up.Encoding) != "" {
		_, canon, err := lookupEncoding(up.Encoding)
		if err != nil {
			return herald.Errorf(herald.EINVALID, "%s", err)
		}
		if canon != "utf-8" && up.Format != "csv" && up.Format != "" {
			return herald.Errorf(herald.EINVALID, "encoding %s is for CSV files; a %s file is always Unicode", canon, strings.ToUpper(up.Format))
		}
	}
	return nil
}

// table reads the records of one profile after its first record.
type table interface {
	// row reads one record; ok is false for a row with nothing in it.
	row(rec csvRecord) (r rawPost, ok bool)
	// finish completes the rows once every record is read.
	finish(rows []rawPost) []rawPost
}

// readTable reads a spreadsheet's records (CSV, XLSX or ODS, rows numbered
// as the person sees them) with the upload's profile, or the one detectProfile
// finds in the first record. serial, when not nil, turns the raw value of a
// cell in a time column into text (XLSX date cells, see excelSerial). seen
// is false when there was no record at all. The records are held to the
// sheet's bounds (see sheetBounds.admit): past one, no rows are returned.
func (b *builder) readTable(recs iter.Seq[csvRecord], serial func(string) string) (rows []rawPost, seen bool) {
	var t table
	bounds := sheetBounds{b: b}
	for rec := range recs {
		if !bounds.admit(rec) {
			return nil, true
		}
		if t == nil {
			seen = true
			var header bool
			t, header = b.openTable(rec, serial)
			if header {
				bounds.names = slices.Clone(rec.fields)
				continue
			}
		}
		if r, ok := t.row(rec); ok {
			rows = append(rows, r)
		}
	}
	if t != nil {
		rows = t.finish(rows)
	}
	return rows, seen
}

// openTable picks the profile for a file whose first record is first, and
// reports whether that record is a header.
func (b *builder) openTable(first csvRecord, serial func(string) string) (table, bool) {
	profile := strings.ToLower(strings.TrimSpace(b.up.Profile))
	if profile == "" {
		profile = detectProfile(first, serial)
	}
	switch profile {
	case ProfileHootsuite:
		return b.hootsuiteTable(first, serial)
	case ProfilePubler:
		return b.publerTable(first, serial), true
	}
	// DefaultChannels are for files without a channel column; this one has
	// its own (the CLI's lint passes every channel it knows, for any file).
	return &heraldTable{b: b, h: b.csvHeader(first), serial: serial}, true
}

// heraldTable reads Herald's own layout with the CSV row handling.
type heraldTable struct {
	b      *builder
	h      csvHeaderInfo
	serial func(string) string
}

func (t *heraldTable) row(rec csvRecord) (rawPost, bool) {
	t.b.validCells(rec, t.h.columnName, func(i int) bool { return !t.h.ignored[i] })
	if t.serial != nil {
		for _, name := range []string{"date", "time", "at"} {
			if i, ok := t.h.index[name]; ok && i < len(rec.fields) {
				rec.fields[i] = t.serial(rec.fields[i])
			}
		}
	}
	return t.b.csvRow(t.h, rec)
}

func (t *heraldTable) finish(rows []rawPost) []rawPost { return rows }

// profileChannels are the channels of every row of a profile without a
// channel column: the upload's DefaultChannels (?channels=a,b). ok is false
// when they are missing or name a channel the workspace does not have; that
// is reported once (row 0, column "channels"), not on every row.
func (b *builder) profileChannels(profile string) (chs []string, ok bool) {
	names := cleanList(b.up.DefaultChannels)
	if len(names) == 0 {
		msg := fmt.Sprintf("a %s file has no channel column: pass ?channels=a,b naming the channels its posts go to", profile)
		if !b.up.AnyChannel {
			msg += fmt.Sprintf(" (this workspace has: %s)", b.channelNames())
		}
		b.problem(0, "channels", "required", "%s", msg)
		return nil, false
	}
	ok = true
	for _, name := range names {
		if slices.Contains(chs, name) {
			continue
		}
		if b.up.Channels[name] == nil && !b.up.AnyChannel {
			b.problem(0, "channels", "unknown_channel", "?channels names unknown channel %q (this workspace has: %s)", name, b.channelNames())
			ok = false
			continue
		}
		chs = append(chs, name)
	}
	return chs, ok
}

// renameColumns shows the problems and warnings of a profile's rows under
// that profile's column names (b.columns: Herald's name → the file's).
func (b *builder) renameColumns() {
	if len(b.columns) == 0 {
		return
	}
	for _, ps := range [][]herald.Problem{b.problems, b.warnings} {
		for i := range ps {
			if ps[i].Row == 0 {
				continue
			}
			if name, ok := b.columns[ps[i].Column]; ok {
				ps[i].Column = name
			}
		}
	}
}

// columnLetter is a spreadsheet column's letter: 0 → A, 26 → AA.
func columnLetter(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}

// spreadsheetErrors are the values a spreadsheet shows in a cell whose
// formula failed.
var spreadsheetErrors = []string{"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA", "#SPILL!", "#CALC!"}

// libreOfficeError reports whether v is an error LibreOffice shows in its
// own words: "Err:502" (invalid argument) and the like.
func libreOfficeError(v string) bool {
	n, ok := strings.CutPrefix(v, "Err:")
	return ok && len(n) == 3 && strings.Trim(n, "0123456789") == ""
}

// validCells reports cells of rec that are not UTF-8 (a CSV saved in
// another encoding) under the column name(i), and makes them valid, and
// cells holding a formula error (#REF!, #N/A…): published as it is, such a
// cell would be a post reading "#REF!". Only the columns read(i) are
// checked (all when read is nil): those Herald ignores may hold anything.
func (b *builder) validCells(rec csvRecord, name func(int) string, read func(int) bool) {
	for i, cell := range rec.fields {
		if read != nil && !read(i) {
			continue
		}
		if !utf8.ValidString(cell) {
			b.problem(rec.row, name(i), "invalid_utf8", "the cell is not valid UTF-8 (bad byte at offset %d of the cell); save the file as UTF-8", firstInvalid([]byte(cell)))
			rec.fields[i] = strings.ToValidUTF8(cell, "\uFFFD")
		}
		if v := strings.TrimSpace(cell); strings.HasPrefix(v, "#") && slices.Contains(spreadsheetErrors, strings.ToUpper(v)) || libreOfficeError(v) {
			b.problem(rec.row, name(i), "formula_error", "the cell shows the spreadsheet error %s: fix its formula (or write the value itself) and export the file again", v)
		}
	}
}
