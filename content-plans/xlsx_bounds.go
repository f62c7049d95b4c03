package contentplans

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Bounds of a workbook's parts, checked before excelize reads it: excelize
// reads every part whole, the shared strings too, and copies a shared
// string into every cell that uses it, so a small file can stand for
// gigabytes of text. The sheet's own bounds are those of every sheet (see
// maxRows).
const (
	// xlsxMaxSharedStrings bounds xl/sharedStrings.xml unpacked: 200,000
	// rows of distinct texts of 300 characters are about 60 MB.
	xlsxMaxSharedStrings = 64 << 20
	// xlsxMaxRatio bounds what the workbook unpacks to, as a multiple of
	// its size, once that is past xlsxRatioFloor: Excel's and excelize's
	// files of 100,000 rows unpack to 5-20 times their size.
	xlsxMaxRatio   = 100
	xlsxRatioFloor = 16 << 20
	// xlsxMaxOtherParts bounds the parts besides the sheets and shared
	// strings (styles, themes, pictures), which excelize keeps in memory.
	xlsxMaxOtherParts = 32 << 20
)

// xlsxParts are the parts of a workbook the bounds read.
type xlsxParts struct {
	files map[string]*zip.File // by name, lower-cased
	total uint64               // what every part unpacks to
}

// checkXLSX holds a workbook to the bounds before excelize reads it: the
// sizes its zip declares, then the text its shared strings and the chosen
// sheet's cells expand to, counted from a stream of their XML without
// building it. It reports each bound passed as a problem (too_large,
// too_long naming the cell) and returns false then. A file that is no zip
// is left to excelize to explain.
func (b *builder) checkXLSX(body []byte) bool {
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		return true
	}
	ps := xlsxParts{files: map[string]*zip.File{}}
	var sheets uint64
	for _, f := range zr.File {
		name := strings.ToLower(strings.ReplaceAll(f.Name, "\\", "/"))
		ps.files[name] = f
		ps.total += f.UncompressedSize64
		if strings.HasPrefix(name, "xl/worksheets/") {
			sheets += f.UncompressedSize64
		}
	}
	ss := ps.files["xl/sharedstrings.xml"]
	other := ps.total - sheets
	if ss != nil {
		other -= ss.UncompressedSize64
	}
	switch {
	case ss != nil && ss.UncompressedSize64 > xlsxMaxSharedStrings:
		b.problem(0, "", "too_large", "%s", tooLarge("the workbook's shared strings unpack to %d MB, more than %d MB", ss.UncompressedSize64>>20, xlsxMaxSharedStrings>>20))
	case sheets > odsContentLimit:
		b.problem(0, "", "too_large", "%s", tooLarge("the workbook's sheets unpack to %d MB, more than %d MB", sheets>>20, odsContentLimit>>20))
	case other > xlsxMaxOtherParts:
		b.problem(0, "", "too_large", "%s", tooLarge("the workbook's parts besides its sheets unpack to %d MB, more than %d MB", other>>20, xlsxMaxOtherParts>>20))
	case ps.total > xlsxRatioFloor && ps.total > xlsxMaxRatio*uint64(len(body)):
		b.problem(0, "", "too_large", "%s", tooLarge("the workbook unpacks to %d MB, %d times its size", ps.total>>20, ps.total/uint64(len(body))))
	default:
		return b.checkXLSXText(ps)
	}
	return false
}

// checkXLSXText reads the lengths of the shared strings, then streams the
// chosen sheet and counts what its cells expand to.
func (b *builder) checkXLSXText(ps xlsxParts) bool {
	var lengths []stringLength
	if ss := ps.files["xl/sharedstrings.xml"]; ss != nil {
		var err error
		if lengths, err = sharedStringLengths(ss); err != nil {
			b.xlsxPartProblem(err)
			return false
		}
	}
	sheet := ps.sheetPart(strings.TrimSpace(b.up.Sheet))
	if sheet == nil {
		return true // excelize tells what is wrong
	}
	return b.scanSheet(sheet, lengths)
}

// stringLength is a text's length in characters and bytes.
type stringLength struct{ chars, bytes int32 }

// xlsxPart opens a part to read as XML within its declared size (archive/zip
// refuses more than that too) and odsMaxRun bytes between two '<'.
func xlsxPart(f *zip.File) (*xml.Decoder, io.Closer, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, nil, err
	}
	limit := int64(f.UncompressedSize64)
	return xml.NewDecoder(&guardReader{r: io.LimitReader(rc, limit+1), limit: limit, name: f.Name}), rc, nil
}

// xlsxPartProblem reports why a part could not be read: a bound passed, or
// XML excelize will not read either.
func (b *builder) xlsxPartProblem(err error) {
	var oe *odsError
	if errors.As(err, &oe) {
		b.problem(0, "", oe.code, "%s", oe.msg)
		return
	}
	b.problem(0, "", "malformed_xlsx", "the workbook cannot be read (%s); open it in a spreadsheet program and save it again as .xlsx", err)
}

// sharedStringLengths reads xl/sharedStrings.xml as a stream: the length of
// each item's text (its <t>, and those of its rich-text runs, not its
// phonetic ones), at most maxCells items.
func sharedStringLengths(f *zip.File) ([]stringLength, error) {
	dec, c, err := xlsxPart(f)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	var out []stringLength
	var cur stringLength
	inText, phonetic := false, 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out, nil
		} else if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "si":
				if len(out) == maxCells {
					return nil, odsTooLarge("the workbook has more than %d shared strings", maxCells)
				}
				cur = stringLength{}
			case "rPh":
				phonetic++
			case "t":
				inText = phonetic == 0
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "si":
				out = append(out, cur)
			case "rPh":
				phonetic--
			case "t":
				inText = false
			}
		case xml.CharData:
			if inText {
				cur.chars += int32(utf8.RuneCount(t)) // the part is less than 2 GB
				cur.bytes += int32(len(t))
			}
		}
	}
}

// sheetPart finds the worksheet excelize reads for sheet name want (else
// the first): through xl/workbook.xml and its relationships, as excelize
// does. nil when there is none.
func (ps xlsxParts) sheetPart(want string) *zip.File {
	var wb struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			ID   string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	var rels struct {
		Rel []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if !ps.unmarshal("xl/workbook.xml", &wb) || !ps.unmarshal("xl/_rels/workbook.xml.rels", &rels) || len(wb.Sheets) == 0 {
		return nil
	}
	id := wb.Sheets[0].ID
	if want != "" {
		id = ""
		for _, s := range wb.Sheets {
			if s.Name == want || id == "" && strings.EqualFold(s.Name, want) {
				id = s.ID
			}
		}
	}
	for _, r := range rels.Rel {
		if r.ID == id && id != "" {
			target := path.Join("xl", r.Target)
			if strings.HasPrefix(r.Target, "/") {
				target = strings.TrimPrefix(path.Clean(r.Target), "/")
			}
			return ps.files[strings.ToLower(target)]
		}
	}
	return nil
}

// unmarshal decodes a small part (at most 16 MB of it) into v.
func (ps xlsxParts) unmarshal(name string, v any) bool {
	f := ps.files[name]
	if f == nil {
		return false
	}
	rc, err := f.Open()
	if err != nil {
		return false
	}
	defer rc.Close()
	return xml.NewDecoder(io.LimitReader(rc, 16<<20)).Decode(v) == nil
}

// scanSheet streams a worksheet's XML and counts what its cells expand to:
// shared strings by lengths, inline strings and values as written. A cell
// past maxCellChars is a too_long problem naming it; rows, columns, cells
// or text past the sheet's bounds a too_large one, which stops the scan.
func (b *builder) scanSheet(f *zip.File, lengths []stringLength) bool {
	dec, c, err := xlsxPart(f)
	if err != nil {
		b.xlsxPartProblem(err)
		return false
	}
	defer c.Close()
	ok := true
	var (
		rows, cells, row, col int
		text                  int64
		cell                  stringLength
		kind                  string // the cell's t attribute
		in                    string // "v" or "t" (of an inline string) while reading its text
		rowHasContent         bool
		index                 []byte // a shared-string cell's value
	)
	tooLarge := func(format string, args ...any) bool {
		b.xlsxPartProblem(odsTooLarge(format, args...))
		return false
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return ok
		} else if err != nil {
			b.xlsxPartProblem(err)
			return false
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "row":
				row, col, rowHasContent = row+1, 0, false
				if n, err := strconv.Atoi(attrLocal(t, "r")); err == nil && n > 0 {
					row = n
				}
			case "c":
				col++
				if c := refColumn(attrLocal(t, "r")); c > 0 {
					col = c
				}
				if col > maxColumns {
					return tooLarge("row %d has cells past column %d", row, maxColumns)
				}
				kind, cell, index = attrLocal(t, "t"), stringLength{}, index[:0]
			case "v", "t":
				in = t.Name.Local
			case "rPh", "f":
				if err := dec.Skip(); err != nil {
					b.xlsxPartProblem(err)
					return false
				}
			}
		case xml.CharData:
			if in != "" {
				cell.chars += int32(utf8.RuneCount(t)) // the part is less than 2 GB
				cell.bytes += int32(len(t))
				if kind == "s" && len(index) < 16 {
					index = append(index, t[:min(len(t), 16)]...)
				}
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "v", "t":
				in = ""
			case "c":
				if kind == "s" {
					i, err := strconv.Atoi(strings.TrimSpace(string(index)))
					cell = stringLength{}
					if err == nil && i >= 0 && i < len(lengths) {
						cell = lengths[i]
					}
				}
				if cell.bytes == 0 {
					continue
				}
				if !rowHasContent {
					if rows++; rows > maxRows {
						return tooLarge("the sheet has more than %d rows with content", maxRows)
					}
					rowHasContent = true
				}
				if cells++; cells > maxCells {
					return tooLarge("the sheet has more than %d cells with content", maxCells)
				}
				if text += int64(cell.bytes); text > maxText {
					return tooLarge("the sheet holds more than %d MB of text", maxText>>20)
				}
				if cell.chars > maxCellChars {
					b.problem(row, columnLetter(col-1), "too_long", "%s", cellTooLong(columnLetter(col-1), row, int(cell.chars)))
					ok = false
				}
			}
		}
	}
}

// attrLocal is the value of the attribute named local in any namespace.
func attrLocal(se xml.StartElement, local string) string {
	for _, a := range se.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// refColumn is the column number of a cell reference ("B7" → 2), 0 when it
// has none; past maxColumns it is maxColumns+1.
func refColumn(ref string) int {
	n := 0
	for _, c := range ref {
		switch {
		case c >= 'A' && c <= 'Z':
			n = min(n*26+int(c-'A'+1), maxColumns+1)
		case c >= 'a' && c <= 'z':
			n = min(n*26+int(c-'a'+1), maxColumns+1)
		default:
			return n
		}
	}
	return n
}
