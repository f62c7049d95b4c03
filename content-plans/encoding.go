package contentplans

import (
	"bytes"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	xunicode "golang.org/x/text/encoding/unicode"
)

// saveAsUTF8 tells how to save a spreadsheet as a CSV file in UTF-8.
const saveAsUTF8 = `in Excel choose File › Save As › "CSV UTF-8 (Comma delimited) (*.csv)"; ` +
	`in LibreOffice Calc choose File › Save As › "Text CSV (.csv)", tick "Edit filter settings" and pick the character set "Unicode (UTF-8)"`

// lookupEncoding finds a character encoding by one of its WHATWG names
// ("utf-8", "windows-1251", "cp1251", "koi8-r", "utf-16le", …) and returns
// it with its canonical name. An unknown name is an EINVALID error.
func lookupEncoding(name string) (encoding.Encoding, string, error) {
	enc, err := htmlindex.Get(strings.TrimSpace(name))
	if err == nil && enc != encoding.Replacement {
		if canon, err := htmlindex.Name(enc); err == nil {
			return enc, canon, nil
		}
	}
	return nil, "", fmt.Errorf("encoding %q is not known; use utf-8, windows-1251 (cp1251), koi8-r or another WHATWG encoding name", name)
}

// decodeText returns a CSV upload's text as UTF-8 without a byte-order
// mark, the one place where a file's encoding is dealt with:
//   - in up.Encoding when the client named one (an encoding the file
//     cannot be in, with bytes that are no character or a control
//     character there, is a problem; a file that is valid UTF-8 read in another
//     encoding as asked gets an encoding_mismatch warning);
//   - in UTF-16 when it starts with a UTF-16 byte-order mark (Excel's
//     "Unicode Text");
//   - as it is when it is valid UTF-8;
//   - in Windows-1251, with an encoding_detected warning, when it is not
//     UTF-8 but reads as Cyrillic text that way (Russian Excel's
//     "CSV (comma delimited)").
//
// Otherwise the body is returned as it is with an invalid_encoding problem
// telling how to save the file as UTF-8, and the cells holding bad bytes
// are reported where they are (invalid_utf8).
func (b *builder) decodeText(body []byte) []byte {
	if name := strings.TrimSpace(b.up.Encoding); name != "" {
		enc, canon, err := lookupEncoding(name)
		if err != nil { // checkOptions refused it already
			return trimBOM(body)
		}
		if canon == "utf-8" {
			if !utf8.Valid(body) {
				b.notUTF8(body, true)
			}
			return trimBOM(body)
		}
		text, err := enc.NewDecoder().Bytes(body)
		bad := err != nil || bytes.ContainsFunc(text, func(r rune) bool { return r >= 0x80 && r < 0xA0 }) ||
			bytes.Contains(text, []byte("\uFFFD")) && !bytes.Contains(body, []byte("\uFFFD"))
		switch isUTF8 := hasMultibyteUTF8(body); {
		case bad && isUTF8:
			b.problem(0, "", "invalid_encoding", "the file was sent as %s but is not (it has bytes that are no character there): it is UTF-8, so send it without charset= or ?encoding= (herald plan: --encoding)", canon)
			return trimBOM(body)
		case bad:
			b.problem(0, "", "invalid_encoding", "the file was sent as %s but is not (it has bytes that are no character there); send it with its real encoding, or save it as UTF-8: %s", canon, saveAsUTF8)
			return trimBOM(body)
		case isUTF8:
			b.warn(0, "", "encoding_mismatch", "the file was read as %s, as it was sent, but it is valid UTF-8, which it more likely is: if its texts look garbled, send it without charset= or ?encoding=", canon)
		}
		return trimBOM(text)
	}
	if bytes.HasPrefix(body, []byte{0xFF, 0xFE}) || bytes.HasPrefix(body, []byte{0xFE, 0xFF}) {
		text, err := xunicode.UTF16(xunicode.LittleEndian, xunicode.ExpectBOM).NewDecoder().Bytes(body)
		if err == nil {
			return trimBOM(text)
		}
	}
	if utf8.Valid(body) {
		return trimBOM(body)
	}
	if text, ok := readsAs(charmap.Windows1251, body); ok {
		b.warn(0, "", "encoding_detected", "the file is not UTF-8: it was read as Windows-1251 (Cyrillic), the encoding of Russian Excel's \"CSV (comma delimited)\"; "+
			"check the texts, and to be sure, send it with charset=windows-1251 or ?encoding=windows-1251 (herald plan: --encoding windows-1251), or save it as UTF-8: %s", saveAsUTF8)
		return text
	}
	b.notUTF8(body, false)
	return trimBOM(body)
}

// notUTF8 reports a file that is not UTF-8 and was not decoded; declared
// is true when the client said it was UTF-8.
func (b *builder) notUTF8(body []byte, declared bool) {
	off := firstInvalid(body)
	line := bytes.Count(body[:off], []byte("\n")) + 1
	what := fmt.Sprintf("the file is not UTF-8 (the first byte that is not is on line %d)", line)
	if declared {
		what = fmt.Sprintf("the file was sent as UTF-8 but is not (the first byte that is not is on line %d)", line)
		if _, ok := readsAs(charmap.Windows1251, body); ok {
			b.problem(0, "", "invalid_encoding", "%s; it reads as Windows-1251 (Cyrillic): send it with ?encoding=windows-1251 (herald plan: --encoding windows-1251), or save it as UTF-8: %s", what, saveAsUTF8)
			return
		}
	} else {
		what += " and does not read as Windows-1251 (Cyrillic) text either"
	}
	b.problem(0, "", "invalid_encoding", "%s. Save it as UTF-8: %s. Or name its encoding with ?encoding= (herald plan: --encoding), e.g. windows-1252 or koi8-r", what, saveAsUTF8)
}

// readsAs decodes body in a single-byte encoding and reports whether the
// result reads as Cyrillic text (see readableCyrillic).
func readsAs(cm *charmap.Charmap, body []byte) ([]byte, bool) {
	text, err := cm.NewDecoder().Bytes(trimBOM(body))
	if err != nil || !readableCyrillic(text) {
		return nil, false
	}
	return text, true
}

// readableCyrillic reports whether text looks like Cyrillic writing rather
// than another encoding read wrongly: no undefined bytes or control
// characters; at least three Cyrillic letters; the words with them in one
// script and cased as words are (all small, capitalised or all capitals),
// but for one in five at most; and small letters not outnumbered more than
// two to one by capitals. UTF-8 read as Windows-1251 ("РџСЂРёРІРµС‚"),
// Western text ("cafй") and KOI8-R (capitals where small letters belong)
// all fail it.
func readableCyrillic(text []byte) bool {
	var good, bad, lower, upper int
	var word []rune
	flush := func() {
		if len(word) > 0 {
			switch wordKind(word) {
			case 1:
				good++
			case -1:
				bad++
			}
		}
		word = word[:0]
	}
	for _, r := range string(text) {
		switch {
		case r == utf8.RuneError, r < ' ' && r != '\t' && r != '\n' && r != '\r', r >= 0x7F && r < 0xA0:
			return false
		case unicode.IsLetter(r):
			word = append(word, r)
			if unicode.Is(unicode.Cyrillic, r) {
				if unicode.IsUpper(r) {
					upper++
				} else {
					lower++
				}
			}
		default:
			flush()
		}
	}
	flush()
	return good > 0 && bad*5 <= good && lower+upper >= 3 && upper <= 2*lower
}

// wordKind is 1 for a well-formed word with Cyrillic letters, -1 for one
// mixing scripts or cases, 0 for a word without Cyrillic letters.
func wordKind(word []rune) int {
	cyrillic, other := false, false
	for _, r := range word {
		if unicode.Is(unicode.Cyrillic, r) {
			cyrillic = true
		} else {
			other = true
		}
	}
	switch {
	case !cyrillic:
		return 0
	case other:
		return -1
	}
	restLower, allUpper := true, unicode.IsUpper(word[0])
	for _, r := range word[1:] {
		restLower = restLower && unicode.IsLower(r)
		allUpper = allUpper && unicode.IsUpper(r)
	}
	if restLower || allUpper {
		return 1
	}
	return -1
}

// hasMultibyteUTF8 reports whether b is valid UTF-8 with at least one
// character outside ASCII.
func hasMultibyteUTF8(b []byte) bool {
	return utf8.Valid(b) && bytes.ContainsFunc(b, func(r rune) bool { return r >= utf8.RuneSelf })
}
