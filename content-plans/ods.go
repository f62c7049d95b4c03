package contentplans

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
	"strconv"
	"strings"
)

// Bounds of an ODS file besides those of every sheet (see maxRows). The
// zip is at most an upload (20 MB by default), but its content.xml can
// unpack to far more, and one repeated row or cell stands for many: each
// bound is a problem, never an allocation.
const (
	// odsContentLimit bounds content.xml unpacked: a 100,000-row plan
	// saved by LibreOffice is about 100 MB.
	odsContentLimit = 256 << 20
	// odsMaxRun bounds the bytes between two '<' of content.xml (one text
	// node or tag), so that no single token is large.
	odsMaxRun = 4 << 20
	// odsMaxDepth bounds the nesting of elements (LibreOffice's is about 12).
	odsMaxDepth = 100
)

// ODF namespaces.
const (
	nsTable   = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
	nsOffice  = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
	nsText    = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
	nsCalcExt = "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"
)

// odsError stops reading an ODS file; code and message make its problem.
type odsError struct{ code, msg string }

func (e *odsError) Error() string { return e.msg }

func odsTooLarge(format string, args ...any) *odsError {
	return &odsError{"too_large", tooLarge(format, args...)}
}

// parseODS reads a plan from an ODS spreadsheet (what LibreOffice saves):
// the sheet up.Sheet (table:name) or the first. content.xml is read as a
// stream with encoding/xml (never whole); rows are numbered as the
// spreadsheet shows them and each is handled as a CSV record of the same
// profile. Date and time cells become the text a plan's time columns take
// ("2026-12-01", "10:00", "2026-12-01 10:00"); numbers their value; text
// cells their paragraphs joined by line breaks. See the odsMax* bounds.
func (b *builder) parseODS(body []byte) []rawPost {
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		b.problem(0, "", "malformed_ods", "the file cannot be read as an ODS spreadsheet (%s); open it in LibreOffice and save it again as .ods", err)
		return nil
	}
	var content *zip.File
	for _, f := range zr.File {
		switch f.Name {
		case "content.xml":
			content = f
		case "META-INF/manifest.xml":
			if encrypted(f) {
				b.problem(0, "", "malformed_ods", "the spreadsheet is password-protected; save it without a password")
				return nil
			}
		}
	}
	if content == nil {
		b.problem(0, "", "malformed_ods", "the file has no content.xml, so it is no ODS spreadsheet; open it in LibreOffice and save it again as .ods")
		return nil
	}
	if content.UncompressedSize64 > odsContentLimit {
		b.problem(0, "", "too_large", "the spreadsheet unpacks to %d MB, more than %d MB; split the plan into smaller files", content.UncompressedSize64>>20, odsContentLimit>>20)
		return nil
	}
	rc, err := content.Open()
	if err != nil {
		b.problem(0, "", "malformed_ods", "content.xml cannot be read: %s", err)
		return nil
	}
	defer rc.Close()
	o := &odsReader{b: b, dec: xml.NewDecoder(&guardReader{r: rc, limit: odsContentLimit, name: "content.xml"})}
	sheet, ok := o.findSheet(strings.TrimSpace(b.up.Sheet))
	if !ok {
		return nil
	}
	rows, seen := b.readTable(o.records(), nil)
	if o.err != nil {
		b.problem(0, "", o.err.code, "sheet %q cannot be read to the end: %s", sheet, o.err.msg)
		return nil
	}
	if !seen {
		b.problem(1, "", "missing_header", "sheet %q is empty: its first row must name the columns (%s)", sheet, strings.Join(csvColumns, ","))
	}
	return rows
}

// encrypted reports whether an ODS manifest lists encrypted entries.
func encrypted(f *zip.File) bool {
	rc, err := f.Open()
	if err != nil {
		return false
	}
	defer rc.Close()
	m, _ := io.ReadAll(io.LimitReader(rc, 1<<20))
	return bytes.Contains(m, []byte("encryption-data"))
}

// odsEnded is the message of reading past the end of content.xml.
const odsEnded = "content.xml ends before the sheet does"

// odsReader reads the rows of one table of content.xml.
type odsReader struct {
	b     *builder
	dec   *xml.Decoder
	depth int       // element nesting
	table int       // the nesting of the sheet's table:table element
	err   *odsError // why reading stopped
	rows  int       // rows with content read, repeated ones counted
	cells int       // their cells
	text  int64     // bytes of text read
	first []string  // the first row with content, to name columns in problems
}

// token is the decoder's next token, within the depth bound. Reading
// problems are odsErrors.
func (o *odsReader) token() (xml.Token, error) {
	tok, err := o.dec.Token()
	if err != nil {
		var ge *odsError
		switch {
		case errors.As(err, &ge):
			return nil, ge
		case err == io.EOF:
			return nil, &odsError{"malformed_ods", odsEnded}
		}
		return nil, &odsError{"malformed_ods", fmt.Sprintf("content.xml is not well-formed XML: %s", err)}
	}
	switch tok.(type) {
	case xml.StartElement:
		if o.depth++; o.depth > odsMaxDepth {
			return nil, &odsError{"malformed_ods", fmt.Sprintf("content.xml nests elements more than %d deep", odsMaxDepth)}
		}
	case xml.EndElement:
		o.depth--
	}
	return tok, nil
}

// skip reads to the end of the element just started.
func (o *odsReader) skip() error {
	for depth := 1; depth > 0; {
		tok, err := o.token()
		if err != nil {
			return err
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		}
	}
	return nil
}

// findSheet reads up to the start of the sheet named want (exactly, else
// ignoring case: sheet names differ in more than case), or of the first
// sheet. An unknown name is a problem listing the sheets there are.
func (o *odsReader) findSheet(want string) (string, bool) {
	var names []string
	for {
		tok, err := o.token()
		var oe *odsError
		if errors.As(err, &oe) && oe.msg == odsEnded && o.depth == 0 {
			break // the document's end
		}
		if err != nil {
			o.fail(err)
			o.b.problem(0, "", o.err.code, "%s", o.err.msg)
			return "", false
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Space != nsTable || se.Name.Local != "table" {
			continue
		}
		name := attr(se, nsTable, "name")
		if want == "" || strings.EqualFold(name, want) {
			o.table = o.depth
			return name, true
		}
		names = append(names, strconv.Quote(name))
		if err := o.skip(); err != nil {
			o.fail(err)
			o.b.problem(0, "", o.err.code, "%s", o.err.msg)
			return "", false
		}
	}
	if want == "" {
		o.b.problem(0, "", "malformed_ods", "the spreadsheet has no sheets")
	} else {
		o.b.problem(0, "sheet", "unknown_sheet", "the spreadsheet has no sheet %q; its sheets are %s", want, strings.Join(names, ", "))
	}
	return "", false
}

// records yields the rows with content of the table whose start was just
// read, numbered as the spreadsheet shows them (a repeated row once per
// row it stands for). Empty rows, repeated or not, cost nothing.
func (o *odsReader) records() iter.Seq[csvRecord] {
	return func(yield func(csvRecord) bool) {
		rowNum := 0
		for {
			tok, err := o.token()
			if err != nil {
				o.fail(err)
				return
			}
			switch t := tok.(type) {
			case xml.EndElement:
				if o.depth < o.table {
					return // the table's end
				}
			case xml.StartElement:
				switch {
				case t.Name.Space == nsTable && t.Name.Local == "table-row":
					n := repeated(t, "number-rows-repeated")
					fields, err := o.row(rowNum + 1)
					if err != nil {
						o.fail(err)
						return
					}
					if blankCells(fields) {
						rowNum += n
						continue
					}
					if err := o.count(fields, n); err != nil {
						o.fail(err)
						return
					}
					if o.first == nil {
						o.first = slices.Clone(fields)
					}
					for i := range n {
						rec := fields
						if i < n-1 {
							rec = slices.Clone(fields) // readTable edits the cells it checks
						}
						rowNum++
						if !yield(csvRecord{row: rowNum, fields: rec}) {
							return
						}
					}
				case t.Name.Space == nsTable && (t.Name.Local == "table-rows" || t.Name.Local == "table-header-rows" || t.Name.Local == "table-row-group"):
					// groups of rows: read the rows inside
				default:
					if err := o.skip(); err != nil { // columns, forms, shapes, named ranges…
						o.fail(err)
						return
					}
				}
			}
		}
	}
}

// count adds n rows of fields to what was read, within the bounds.
func (o *odsReader) count(fields []string, n int) error {
	size := 0
	for _, f := range fields {
		size += len(f)
	}
	if o.rows+n > maxRows {
		return odsTooLarge("the sheet has more than %d rows with content", maxRows)
	}
	if o.cells+len(fields)*n > maxCells {
		return odsTooLarge("the sheet has more than %d cells with content", maxCells)
	}
	if o.text+int64(size)*int64(n) > maxText {
		return odsTooLarge("the sheet holds more than %d MB of text", maxText>>20)
	}
	o.rows += n
	o.cells += len(fields) * n
	o.text += int64(size) * int64(n)
	return nil
}

func (o *odsReader) fail(err error) {
	var oe *odsError
	if !errors.As(err, &oe) {
		oe = &odsError{"malformed_ods", err.Error()}
	}
	o.err = oe
}

// row reads the cells of the row just started (row number num) up to its
// end. Empty cells are added only when a cell with content follows, so a
// row's trailing empty cells, repeated or not, cost nothing.
func (o *odsReader) row(num int) ([]string, error) {
	var fields []string
	col := 0
	for {
		tok, err := o.token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return fields, nil
		case xml.StartElement:
			if t.Name.Space != nsTable || t.Name.Local != "table-cell" && t.Name.Local != "covered-table-cell" {
				if err := o.skip(); err != nil {
					return nil, err
				}
				continue
			}
			n := repeated(t, "number-columns-repeated")
			v := ""
			if t.Name.Local == "table-cell" {
				v, err = o.cell(t, num, col)
			} else {
				err = o.skip() // hidden by a merged cell, as in XLSX
			}
			if err != nil {
				return nil, err
			}
			if v != "" {
				if col+n > maxColumns {
					return nil, odsTooLarge("row %d has cells past column %d", num, maxColumns)
				}
				for len(fields) < col {
					fields = append(fields, "")
				}
				for range n {
					fields = append(fields, v)
				}
			}
			col += n
		}
	}
}

// repeated reads a table:number-*-repeated attribute: at least 1, at most
// 2^30 (the bounds say what is too many).
func repeated(se xml.StartElement, name string) int {
	n, err := strconv.Atoi(attr(se, nsTable, name))
	if err != nil || n < 1 {
		return 1
	}
	return min(n, 1<<30)
}

func attr(se xml.StartElement, space, local string) string {
	for _, a := range se.Attr {
		if a.Name.Space == space && a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// guardReader reads an XML part (content.xml, an XLSX part: name) within
// limit bytes and odsMaxRun bytes between two '<'.
type guardReader struct {
	r         io.Reader
	limit, n  int64
	sinceOpen int64
	name      string
}

func (g *guardReader) Read(p []byte) (int, error) {
	k, err := g.r.Read(p)
	g.n += int64(k)
	if g.n > g.limit {
		return 0, odsTooLarge("%s unpacks to more than %d MB", g.name, g.limit>>20)
	}
	if i := bytes.LastIndexByte(p[:k], '<'); i >= 0 {
		g.sinceOpen = int64(k - 1 - i)
	} else {
		g.sinceOpen += int64(k)
	}
	if g.sinceOpen > odsMaxRun {
		return 0, odsTooLarge("%s has a text or tag longer than %d MB", g.name, odsMaxRun>>20)
	}
	return k, err
}
