package contentplans

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Dates and times as people type them in a content plan. A date is
// year-month-day (2027-12-01, also 2027-12-1 or 2027/12/01), day.month.year
// with dots (1.12.2027, 01.12.27: dots are day first wherever they are
// used), or day and month with slashes or dashes before the year
// (25/12/2027, 12-25-2027), read in the upload's date order (dmy or mdy).
// Without one, a slash date that is a date only one way round (25/12/2027)
// is read that way, and one that is a date both ways (12/4/2027) is a
// problem naming both readings: guessing would publish on the wrong day.
// Two-digit years are 20yy. A time is 10:00, 9:30, 10.00, 10:00:30, or the
// same with am/pm (9:30 pm).

// Forms for problem messages.
const (
	dateForms  = "2027-12-01, 1.12.2027, 01.12.27 or 25/12/2027"
	clockForms = "10:00, 9:30, 10.00 or 9:30 pm"
	// timeHint is how an "at" cell should be written.
	timeHint = `a local time "YYYY-MM-DD HH:MM" (the date may also be 1.12.2027, 01.12.27 or 25/12/2027, the time 9:30, 10.00 or 9:30 pm), an RFC 3339 instant such as "2026-12-01T10:00:00+03:00", or "next"`
)

var (
	dateRe  = regexp.MustCompile(`^(\d{1,4})([./-])(\d{1,2})([./-])(\d{1,4})$`)
	clockRe = regexp.MustCompile(`(?i)^(\d{1,2})(?:[:.](\d{2}))?(?:[:.](\d{2}))?(?:\s*([ap])\.?m\.?)?$`)
)

// dateValue is a date as read. When ambiguous, t is its day-first reading
// and mdy its month-first one.
type dateValue struct {
	t         time.Time
	ambiguous bool
	mdy       time.Time
}

// errNotDate: the text is no date in any form Herald reads.
var errNotDate = errors.New("not a date")

// readDate reads a date in order ("dmy", "mdy" or "" for none given); an
// error says why it is no date.
func readDate(s, order string) (dateValue, error) {
	s = strings.TrimSpace(s)
	g := dateRe.FindStringSubmatch(s)
	if g == nil || g[2] != g[4] {
		return dateValue{}, errNotDate
	}
	a, _ := strconv.Atoi(g[1])
	b, _ := strconv.Atoi(g[3])
	c, _ := strconv.Atoi(g[5])
	sep := g[2]
	if len(g[1]) == 4 { // year first: always year-month-day
		if len(g[5]) > 2 {
			return dateValue{}, errNotDate
		}
		return dated(s, a, b, c, "year-month-day")
	}
	switch len(g[5]) {
	case 2:
		c += 2000
	case 4:
	default:
		return dateValue{}, errNotDate
	}
	if len(g[1]) > 2 {
		return dateValue{}, errNotDate
	}
	switch {
	case sep == ".":
		return dated(s, c, b, a, "day.month.year")
	case order == DateOrderDMY:
		return dated(s, c, b, a, "day first, as the date order dmy says")
	case order == DateOrderMDY:
		return dated(s, c, a, b, "month first, as the date order mdy says")
	}
	dmy, okD := validDate(c, b, a)
	mdy, okM := validDate(c, a, b)
	switch {
	case okD && okM && a != b:
		return dateValue{t: dmy, ambiguous: true, mdy: mdy}, nil
	case okD:
		return dateValue{t: dmy}, nil
	case okM:
		return dateValue{t: mdy}, nil
	}
	return dateValue{}, fmt.Errorf("%q is not a date read either day first or month first", s)
}

// dated is the date year-month-day, or an error saying s is no date when
// read as how says.
func dated(s string, year, month, day int, how string) (dateValue, error) {
	t, ok := validDate(year, month, day)
	if !ok {
		return dateValue{}, fmt.Errorf("%q is not a date read %s", s, how)
	}
	return dateValue{t: t}, nil
}

func validDate(year, month, day int) (time.Time, bool) {
	t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	return t, month >= 1 && month <= 12 && t.Day() == day
}

// readClock reads a time of day: 10:00, 9:30, 10.00, 10:00:30, 9:30 pm,
// 9 pm (a time without minutes needs am or pm).
func readClock(s string) (time.Duration, bool) {
	g := clockRe.FindStringSubmatch(strings.TrimSpace(s))
	if g == nil || g[2] == "" && (g[3] != "" || g[4] == "") {
		return 0, false
	}
	h, _ := strconv.Atoi(g[1])
	m, _ := strconv.Atoi(g[2])
	sec, _ := strconv.Atoi(g[3])
	if m > 59 || sec > 59 {
		return 0, false
	}
	switch strings.ToLower(g[4]) {
	case "":
		if h > 23 {
			return 0, false
		}
	case "a", "p":
		if h < 1 || h > 12 {
			return 0, false
		}
		h %= 12
		if strings.EqualFold(g[4], "p") {
			h += 12
		}
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(sec)*time.Second, true
}

// readMoment reads an "at" value: an RFC 3339 instant, or a local date
// and time in any of the forms above ("2027-12-01 10:00", "2027-12-01T10:00",
// "01.12.2027 10:00", "12/25/2027 9:30 pm"). date is the date part as read
// (ambiguous when it is a slash date both ways round, see readDate); ok is
// false when s is none of these.
func readMoment(s, order string) (m moment, date dateValue, ok bool) {
	s = strings.TrimSpace(s)
	if m, ok := parseMoment(s); ok {
		return m, dateValue{t: m.wall}, true
	}
	d, c, found := strings.Cut(s, " ")
	if !found {
		return moment{}, dateValue{}, false
	}
	date, err := readDate(d, order)
	clock, okC := readClock(c)
	if err != nil || !okC {
		return moment{}, dateValue{}, false
	}
	return moment{wall: date.t.Add(clock)}, date, true
}

// ambiguousDate is a slash date of the plan that is a date both ways round.
type ambiguousDate struct {
	row      int
	col, raw string
	date     dateValue
}

// reportAmbiguousDates reports the plan's ambiguous dates as one problem,
// on the first, counting the others, which take no time either.
func (b *builder) reportAmbiguousDates() {
	if len(b.ambiguous) == 0 {
		return
	}
	a := b.ambiguous[0]
	msg := fmt.Sprintf("%s %q can be read day first (%s) or month first (%s); pass ?date_order=dmy or ?date_order=mdy",
		a.col, a.raw, a.date.t.Format("2 January 2006"), a.date.mdy.Format("2 January 2006"))
	if n := len(b.ambiguous) - 1; n > 0 {
		var rows []int
		for _, o := range b.ambiguous[1:] {
			rows = append(rows, o.row)
		}
		msg += fmt.Sprintf(" (%s can be read both ways too)", numbered("row", rows))
	}
	b.problem(a.row, a.col, "ambiguous_date_order", "%s", msg)
}

// numbered names things by number: "row 5", "rows 5, 7, 9 and 4 more".
func numbered(what string, ns []int) string {
	var s []string
	for _, n := range ns[:min(len(ns), 3)] {
		s = append(s, strconv.Itoa(n))
	}
	list := strings.Join(s, ", ")
	if len(ns) > 3 {
		list += fmt.Sprintf(" and %d more", len(ns)-3)
	}
	if len(ns) == 1 {
		return what + " " + list
	}
	return what + "s " + list
}
