package herald

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Weekdays as used in slots.
var Weekdays = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// dayNames are the other names of each weekday people write in slots, in
// English and Russian, lowercased.
var dayNames = map[string][]string{
	"mon": {"monday", "mo", "пн", "пон", "понедельник"},
	"tue": {"tuesday", "tues", "tu", "вт", "вто", "вторник"},
	"wed": {"wednesday", "we", "ср", "сре", "среда"},
	"thu": {"thursday", "thur", "thurs", "th", "чт", "чет", "четверг"},
	"fri": {"friday", "fr", "пт", "пят", "пятница"},
	"sat": {"saturday", "sa", "сб", "суб", "суббота"},
	"sun": {"sunday", "su", "вс", "вос", "воскресенье"},
}

// ParseWeekday reads a slot's day as people write it ("mon", "Monday",
// "Mon.", "пн", "понедельник") and returns it as stored (one of
// Weekdays); ok is false for anything else.
func ParseWeekday(s string) (day string, ok bool) {
	s = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".")
	if slices.Contains(Weekdays, s) {
		return s, true
	}
	for day, names := range dayNames {
		if slices.Contains(names, s) {
			return day, true
		}
	}
	return "", false
}

var slotClockRe = regexp.MustCompile(`^(\d{1,2})[:.](\d{2})$`)

// Normalize writes the channel's slots as they are stored: days as in
// Weekdays ("Monday" and "пн" become "mon"), times as HH:MM ("9:30" and
// "10.00" become "09:30" and "10:00"). What it cannot read it leaves for
// Validate to report. Call it before Validate on what a person sent.
func (c *Channel) Normalize() {
	for i, s := range c.Slots {
		if day, ok := ParseWeekday(s.Day); ok {
			c.Slots[i].Day = day
		}
		if g := slotClockRe.FindStringSubmatch(strings.TrimSpace(s.Time)); g != nil {
			h, _ := strconv.Atoi(g[1])
			m, _ := strconv.Atoi(g[2])
			if h <= 23 && m <= 59 {
				c.Slots[i].Time = fmt.Sprintf("%02d:%02d", h, m)
			}
		}
	}
}
