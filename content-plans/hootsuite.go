package contentplans

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Hootsuite Bulk Composer columns. Problems name them by letter (A, B, C);
// messages say what each holds.
const (
	hootDateCol = "A" // date and time
	hootTextCol = "B" // message
	hootLinkCol = "C" // URL
)

// hootDateRe matches "dd/mm/yyyy hh:mm" or "mm/dd/yyyy hh:mm" (seconds
// optional); which part is the day is the file's date order.
var hootDateRe = regexp.MustCompile(`^(\d{1,2})/(\d{1,2})/(\d{4})[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?$`)

// hootDate is column A as read, before the date order is known. iso is set
// for an unambiguous "2026-12-01 10:00" (a real date cell of an XLSX file).
type hootDate struct {
	first, second, year int
	clock               time.Duration
	iso                 string
}

// ambiguous reports whether either part could be the day.
func (d hootDate) ambiguous() bool { return d.iso == "" && d.first <= 12 && d.second <= 12 }

// order is the only date order d can be read in ("" when either or none).
func (d hootDate) order() string {
	switch {
	case d.iso != "" || d.first > 12 && d.second > 12:
		return ""
	case d.first > 12:
		return DateOrderDMY
	case d.second > 12:
		return DateOrderMDY
	}
	return ""
}

// parseHootDate reads column A; ok is false when it is no date and time.
func parseHootDate(s string) (hootDate, bool) {
	if m, ok := parseMoment(s); ok && !m.offset {
		return hootDate{iso: wallString(m.wall)}, true
	}
	g := hootDateRe.FindStringSubmatch(s)
	if g == nil {
		return hootDate{}, false
	}
	n := make([]int, 7)
	for i := 1; i < len(g); i++ {
		if g[i] != "" {
			n[i], _ = strconv.Atoi(g[i])
		}
	}
	if n[1] < 1 || n[2] < 1 || n[4] > 23 || n[5] > 59 || n[6] > 59 {
		return hootDate{}, false
	}
	clock := time.Duration(n[4])*time.Hour + time.Duration(n[5])*time.Minute + time.Duration(n[6])*time.Second
	return hootDate{first: n[1], second: n[2], year: n[3], clock: clock}, true
}

// hootsuite reads a Hootsuite Bulk Composer file.
type hootsuite struct {
	b          *builder
	serial     func(string) string
	channels   []string
	noChannels bool
	dates      map[int]hootDate // by row
}

// hootsuiteTable starts a Hootsuite file. It has no header, but a first row
// whose column A says "date" is taken as one and skipped.
func (b *builder) hootsuiteTable(first csvRecord, serial func(string) string) (table, bool) {
	t := &hootsuite{b: b, serial: serial, dates: map[int]hootDate{}}
	chs, ok := b.profileChannels(ProfileHootsuite)
	t.channels, t.noChannels = chs, !ok
	b.columns = map[string]string{"time": hootDateCol, "date": hootDateCol, "text": hootTextCol, "link": hootLinkCol}
	a := ""
	if len(first.fields) > 0 {
		a = strings.ToLower(strings.TrimSpace(first.fields[0]))
	}
	return t, strings.HasPrefix(a, "date")
}

func (t *hootsuite) row(rec csvRecord) (rawPost, bool) {
	cell := func(i int) string {
		if i < len(rec.fields) {
			return strings.TrimSpace(rec.fields[i])
		}
		return ""
	}
	if blankCells(rec.fields) {
		return rawPost{}, false
	}
	b := t.b
	b.validCells(rec, columnLetter, nil)
	r := rawPost{row: rec.row, line: rec.line, text: cell(1), link: cell(2), timeCol: hootDateCol,
		channels: t.channels, noChannels: t.noChannels}
	for i := 3; i < len(rec.fields); i++ {
		if cell(i) != "" {
			b.problem(r.row, columnLetter(i), "extra_cell", "the row has a value in column %s; a Hootsuite bulk file has three columns: A the date and time, B the message, C an optional URL", columnLetter(i))
		}
	}
	a := cell(0)
	if t.serial != nil {
		a = t.serial(a)
	}
	r.at = a
	d, ok := parseHootDate(a)
	switch {
	case a == "":
		b.problem(r.row, hootDateCol, "required", "column A (date and time) is empty; write it as dd/mm/yyyy hh:mm or mm/dd/yyyy hh:mm, 24-hour")
		r.noTime = true
	case !ok:
		b.problem(r.row, hootDateCol, "invalid_time", "column A (date and time) %q must be dd/mm/yyyy hh:mm or mm/dd/yyyy hh:mm, 24-hour (such as 01/12/2026 14:30)", a)
		r.noTime = true
	default:
		t.dates[r.row] = d
	}
	return r, true
}

// finish reads every date in the file's order: the upload's DateOrder, else
// the one the file's unambiguous dates show. When no date settles it and
// some could be read both ways, that is one problem asking for ?date_order=.
func (t *hootsuite) finish(rows []rawPost) []rawPost {
	b := t.b
	order := strings.ToLower(strings.TrimSpace(b.up.DateOrder))
	why := "as ?date_order=" + order + " says"
	if order == "" {
		for _, r := range rows {
			if o := t.dates[r.row].order(); o != "" && !r.noTime {
				order, why = o, fmt.Sprintf("as row %d shows", r.row)
				break
			}
		}
	}
	askedOrder := false
	for i := range rows {
		r := &rows[i]
		d, ok := t.dates[r.row]
		if !ok || r.noTime {
			continue
		}
		if d.iso != "" {
			r.atValue = d.iso
			continue
		}
		if d.first > 12 && d.second > 12 {
			b.problem(r.row, hootDateCol, "invalid_date", "column A (date and time) %q is not a date: neither %d nor %d can be a month", r.at, d.first, d.second)
			r.noTime = true
			continue
		}
		if order == "" && d.ambiguous() {
			if !askedOrder {
				b.problem(r.row, hootDateCol, "ambiguous_date_order", "column A (date and time) %q can be read day first or month first, and no date in the file settles it; pass ?date_order=dmy (day first) or ?date_order=mdy (month first)", r.at)
				askedOrder = true
			}
			r.noTime = true
			continue
		}
		day, month := d.first, d.second
		if order == DateOrderMDY {
			day, month = month, day
		}
		date := time.Date(d.year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
		if month > 12 || date.Day() != day {
			readAs := "day first (dd/mm/yyyy)"
			if order == DateOrderMDY {
				readAs = "month first (mm/dd/yyyy)"
			}
			b.problem(r.row, hootDateCol, "invalid_date", "column A (date and time) %q is not a date when read %s, %s", r.at, readAs, why)
			r.noTime = true
			continue
		}
		r.atValue = date.Add(d.clock).Format("2006-01-02 15:04:05")
	}
	return rows
}
