package contentplans

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/heraldhq/herald"
)

// What Sniff finds besides the plan formats "json", "csv", "xlsx" and "ods".
const (
	// SniffXLS is an OLE2 compound file: an Excel 97-2003 workbook (.xls),
	// or an XLSX workbook saved with a password.
	SniffXLS = "xls"
	// SniffZip is a zip archive that is neither an XLSX nor an ODS
	// spreadsheet (a Word or Writer document, say).
	SniffZip = "zip"
	// SniffBinary is anything else that is not text (it has NUL bytes).
	SniffBinary = "binary"
)

// odsMimeType is the media type of an ODS spreadsheet, also the content of
// the "mimetype" entry its zip starts with.
const odsMimeType = "application/vnd.oasis.opendocument.spreadsheet"

// Sniff tells a plan file's format from its bytes: "xlsx" for a zip with
// an xl/ folder, "ods" for a zip whose "mimetype" entry names an
// OpenDocument spreadsheet (or that has a content.xml and no mimetype),
// "json" for a JSON object (or a valid JSON array), "csv" for any other
// text (UTF-8, a single-byte encoding, or UTF-16 with a byte-order mark),
// and SniffXLS, SniffZip or SniffBinary for what Build cannot read. It reads
// the zip's directory, never a whole entry.
func Sniff(body []byte) string {
	switch {
	case bytes.HasPrefix(body, []byte("PK\x03\x04")), bytes.HasPrefix(body, []byte("PK\x05\x06")):
		return sniffZip(body)
	case bytes.HasPrefix(body, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}):
		return SniffXLS
	case bytes.HasPrefix(body, []byte{0xFF, 0xFE}), bytes.HasPrefix(body, []byte{0xFE, 0xFF}):
		return "csv" // UTF-16 text, as Excel saves "Unicode Text"
	}
	text := bytes.TrimLeft(trimBOM(body), " \t\r\n")
	switch {
	case bytes.HasPrefix(text, []byte("{")):
		return "json"
	case bytes.HasPrefix(text, []byte("[")) && json.Valid(text):
		return "json"
	case bytes.IndexByte(body[:min(len(body), 8000)], 0) >= 0:
		return SniffBinary
	}
	return "csv"
}

func sniffZip(body []byte) string {
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		// A damaged zip: an ODS file starts with its stored mimetype entry.
		if len(body) > 38 && bytes.HasPrefix(body[30:], []byte("mimetype"+odsMimeType)) {
			return "ods"
		}
		return SniffZip
	}
	content := false
	for _, f := range zr.File {
		switch {
		case strings.HasPrefix(f.Name, "xl/"):
			return "xlsx"
		case f.Name == "mimetype":
			rc, err := f.Open()
			if err != nil {
				return SniffZip
			}
			mt, _ := io.ReadAll(io.LimitReader(rc, 128))
			rc.Close()
			if strings.HasPrefix(strings.TrimSpace(string(mt)), odsMimeType) {
				return "ods"
			}
			return SniffZip // another OpenDocument file (text, drawing…)
		case f.Name == "content.xml":
			content = true
		}
	}
	if content {
		return "ods"
	}
	return SniffZip
}

// fileKind describes a format in messages: what it is, the Content-Type to
// send it with and the file extension the CLI takes it from.
type fileKind struct{ what, contentType, ext string }

var fileKinds = map[string]fileKind{
	"json": {"a JSON plan", "application/json", ".json"},
	"csv":  {"CSV text", "text/csv", ".csv"},
	"xlsx": {"an XLSX workbook", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"},
	"ods":  {"an ODS spreadsheet", odsMimeType, ".ods"},
}

// Formats lists the plan formats Build reads, for messages.
const Formats = "JSON, CSV, XLSX or ODS"

// resolveFormat checks the upload's declared format against its bytes and
// returns the format to read: the declared one, what Sniff finds when none
// was declared, or "" with one wrong_format problem when the file is not
// what it was sent as (an XLSX workbook sent as text/csv) or not a plan
// format at all. Where the bytes could still be the declared format (a
// password-protected XLSX, a damaged zip, JSON that is not an object) the
// declared format's reader explains what is wrong.
func (b *builder) resolveFormat(declared string, body []byte) string {
	got := Sniff(body)
	switch {
	case declared == got, declared != "" && len(body) == 0:
		return declared
	case declared == "" && fileKinds[got].what != "":
		return got
	case declared == "json" && got == "csv",
		declared == "xlsx" && (got == SniffXLS || got == SniffZip),
		declared == "ods" && got == SniffZip:
		return declared
	}
	msg := ""
	switch got {
	case SniffXLS:
		msg = "the file is an Excel 97-2003 workbook (.xls) or a password-protected one, which Herald does not read: open it and save it as .xlsx (without a password), .ods or CSV UTF-8"
	case SniffZip:
		msg = "the file is a zip archive but not an XLSX or ODS spreadsheet (a text document?): export the plan from its spreadsheet as .xlsx, .ods or CSV UTF-8"
	case SniffBinary:
		msg = "the file is neither text nor a spreadsheet Herald reads (it has NUL bytes): send the plan as " + Formats
	default:
		is, sent := fileKinds[got], fileKinds[declared]
		msg = fmt.Sprintf("the file is %s, not %s as it was sent: send it as %s (or as application/octet-stream, and Herald reads it as what it is); with herald plan, give the file the %s extension",
			is.what, sent.what, is.contentType, is.ext)
	}
	b.problem(0, "", "wrong_format", "%s", msg)
	return ""
}

// checkFormat is the EUNSUPPORTED error of a format Build does not know.
func checkFormat(format string) error {
	if _, ok := fileKinds[format]; ok || format == "" {
		return nil
	}
	return herald.Errorf(herald.EUNSUPPORTED, "plan format %q is not supported; use json, csv, xlsx or ods", format)
}
