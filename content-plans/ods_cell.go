package contentplans

import (
	"encoding/xml"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// cell reads the table:table-cell just started (row line, column index
// col) up to its end and returns its value as a plan reads it: a date or
// time cell as text a time column takes, a number as its value, an error
// as the spreadsheet shows it (#DIV/0!, Err:502: a problem later), text as
// its paragraphs joined by "\n".
func (o *odsReader) cell(se xml.StartElement, line, col int) (string, error) {
	text, err := o.cellText(line, col)
	if err != nil {
		return "", err
	}
	if attr(se, nsCalcExt, "value-type") == "error" {
		return text, nil
	}
	switch attr(se, nsOffice, "value-type") {
	case "date":
		if v, ok := odsDate(attr(se, nsOffice, "date-value")); ok {
			return v, nil
		}
	case "time":
		if v, ok := odsTime(attr(se, nsOffice, "time-value")); ok {
			return v, nil
		}
	case "float", "percentage", "currency":
		if v := attr(se, nsOffice, "value"); v != "" {
			return v, nil
		}
	case "string":
		if v := attr(se, nsOffice, "string-value"); v != "" {
			return v, nil
		}
	}
	return text, nil
}

// cellText reads a cell's content up to its end: the text of its
// paragraphs (text:p, text:h, also inside lists) joined by "\n", with
// text:s (spaces), text:tab, text:line-break and the text of text:span,
// text:a and fields; whitespace in the XML collapses as ODF says.
// Annotations (comments), drawings and notes are left out. A text longer
// than maxCellChars is a problem on its cell, and cut there.
func (o *odsReader) cellText(line, col int) (string, error) {
	var sb strings.Builder
	chars, paras, depth := 0, 0, 0
	space := true // the last character is a space, or a paragraph starts: collapse what follows
	put := func(r rune) {
		if chars <= maxCellChars {
			chars++
			sb.WriteRune(r)
		}
	}
	add := func(s string) {
		if chars <= maxCellChars {
			chars += utf8.RuneCountInString(s)
			sb.WriteString(s)
		}
	}
	for {
		tok, err := o.token()
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			if depth == 0 {
				s := sb.String()
				if chars > maxCellChars {
					o.b.problem(line, o.columnName(col), "too_long", "the cell has more than %d characters; no post is that long", maxCellChars)
					s = string([]rune(s)[:maxCellChars])
				}
				return s, nil
			}
			depth--
		case xml.CharData:
			if depth == 0 {
				continue // between paragraphs
			}
			for _, r := range string(t) {
				if r == ' ' || r == '\t' || r == '\n' || r == '\r' {
					if !space {
						put(' ')
					}
					space = true
					continue
				}
				put(r)
				space = false
			}
		case xml.StartElement:
			inline := ""
			switch {
			case t.Name.Space != nsText || t.Name.Local == "note":
				if err := o.skip(); err != nil {
					return "", err
				}
				continue
			case t.Name.Local == "p" || t.Name.Local == "h":
				if paras++; paras > 1 {
					add("\n")
				}
				space = true
			case t.Name.Local == "s":
				n, err := strconv.Atoi(attr(t, nsText, "c"))
				if err != nil || n < 1 {
					n = 1
				}
				inline = strings.Repeat(" ", min(n, maxCellChars+1))
			case t.Name.Local == "tab":
				inline = "\t"
			case t.Name.Local == "line-break":
				inline = "\n"
			}
			if inline != "" {
				add(inline)
				space = inline == "\n"
				if err := o.skip(); err != nil {
					return "", err
				}
				continue
			}
			depth++ // a paragraph, span, link, field or list: read its text
		}
	}
}

// columnName names column col in a problem: as the first row with
// content names it, else by its letter.
func (o *odsReader) columnName(col int) string {
	if col < len(o.first) {
		if name := strings.ToLower(strings.TrimSpace(o.first[col])); name != "" {
			return name
		}
	}
	return columnLetter(col)
}

// odsDate turns an office:date-value ("2026-12-01" or
// "2026-12-01T10:00:00", maybe with fractions of a second) into the text a
// time column takes: "2026-12-01", or "2026-12-01 10:00" (seconds only when
// not zero), as excelSerial does for XLSX.
func odsDate(v string) (string, bool) {
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02"} {
		t, err := time.Parse(layout, strings.TrimSpace(v))
		if err != nil {
			continue
		}
		t = t.Round(time.Second)
		switch {
		case t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0:
			return t.Format("2006-01-02"), true
		case t.Second() != 0:
			return t.Format("2006-01-02 15:04:05"), true
		}
		return t.Format("2006-01-02 15:04"), true
	}
	return "", false
}

// odsDuration is an office:time-value: an ISO 8601 duration as LibreOffice
// writes it, "PT10H00M00S" (hours may pass 24; seconds may have fractions).
var odsDuration = regexp.MustCompile(`^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d*)?)S)?$`)

// odsTime turns an office:time-value into "10:00" (or "10:00:30"); a
// duration of a day or more is not a time of day (false).
func odsTime(v string) (string, bool) {
	m := odsDuration.FindStringSubmatch(strings.TrimSpace(v))
	if m == nil {
		return "", false
	}
	h, _ := strconv.Atoi(m[1])
	mins, _ := strconv.Atoi(m[2])
	secs, _ := strconv.ParseFloat(m[3], 64)
	total := h*3600 + mins*60 + int(math.Round(secs))
	if h >= 24 || total >= 86400 {
		return "", false
	}
	if total%60 != 0 {
		return fmt.Sprintf("%02d:%02d:%02d", total/3600, total/60%60, total%60), true
	}
	return fmt.Sprintf("%02d:%02d", total/3600, total/60%60), true
}
