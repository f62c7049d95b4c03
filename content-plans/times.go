package contentplans

import (
	"fmt"
	"time"
)

// A moment as written in a plan: either an instant (the value carried an
// offset) or a wall-clock time to resolve in the plan's zone.
type moment struct {
	instant time.Time // set when offset
	wall    time.Time // wall-clock fields, in UTC, when !offset
	offset  bool
}

var (
	localLayouts  = []string{"2006-01-02 15:04", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02T15:04:05"}
	offsetLayouts = []string{"2006-01-02T15:04:05Z07:00", "2006-01-02T15:04Z07:00",
		"2006-01-02 15:04:05Z07:00", "2006-01-02 15:04Z07:00"}
	dateLayouts  = []string{"2006-01-02", "02.01.2006"}
	clockLayouts = []string{"15:04", "15:04:05"}
)

// timeHint is how a plan's time should be written, for problem messages.
const timeHint = `a local time "YYYY-MM-DD HH:MM", an RFC 3339 instant such as "2026-12-01T10:00:00+03:00", or "next"`

// parseMoment reads a local time (seconds optional, ' ' or 'T') or an RFC
// 3339 instant.
func parseMoment(s string) (moment, bool) {
	for _, l := range localLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return moment{wall: t}, true
		}
	}
	for _, l := range offsetLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return moment{instant: t, offset: true}, true
		}
	}
	return moment{}, false
}

// parseDate reads a CSV date cell: ISO "2026-12-01" or "01.12.2026".
func parseDate(s string) (time.Time, bool) {
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// parseClock reads a CSV time cell: "10:00", "9:30" or "10:00:30".
func parseClock(s string) (time.Duration, bool) {
	for _, l := range clockLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.Sub(time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)), true
		}
	}
	return 0, false
}

// resolved is a moment placed on the time line.
type resolved struct {
	at        time.Time // UTC
	gap       bool      // the wall time does not exist in the zone
	ambiguous bool      // the wall time happens twice; at is the earlier
	shift     time.Duration
}

// resolve places m in loc. A wall time in a spring-forward gap has no
// instant (gap); one in a fall-back overlap takes the earlier instant.
func resolve(m moment, loc *time.Location) resolved {
	if m.offset {
		return resolved{at: m.instant.UTC()}
	}
	w := m.wall.Unix()
	// The offsets in force within a day either side: enough to see one
	// transition, and zones do not change twice in a day.
	var offs []int
	for _, probe := range []int64{w - 86400, w, w + 86400} {
		_, off := time.Unix(probe, 0).In(loc).Zone()
		if !containsInt(offs, off) {
			offs = append(offs, off)
		}
	}
	var cands []int64
	for _, off := range offs {
		u := w - int64(off)
		if _, got := time.Unix(u, 0).In(loc).Zone(); got == off {
			cands = append(cands, u)
		}
	}
	nsec := int64(m.wall.Nanosecond())
	switch len(cands) {
	case 0:
		_, before := time.Unix(w-86400, 0).In(loc).Zone()
		_, after := time.Unix(w+86400, 0).In(loc).Zone()
		return resolved{gap: true, shift: time.Duration(after-before) * time.Second}
	case 1:
		return resolved{at: time.Unix(cands[0], nsec).UTC()}
	default:
		first, last := cands[0], cands[0]
		for _, c := range cands {
			first, last = min(first, c), max(last, c)
		}
		return resolved{at: time.Unix(first, nsec).UTC(), ambiguous: true, shift: time.Duration(last-first) * time.Second}
	}
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// human formats a duration as "1h", "30m" or "1h30m".
func human(d time.Duration) string {
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case h > 0 && m > 0:
		return fmt.Sprintf("%dh%dm", h, m)
	case h > 0:
		return fmt.Sprintf("%dh", h)
	}
	return fmt.Sprintf("%dm", m)
}

// wallString formats wall-clock fields as written in plans.
func wallString(t time.Time) string {
	if t.Second() != 0 {
		return t.Format("2006-01-02 15:04:05")
	}
	return t.Format("2006-01-02 15:04")
}

func gapMessage(m moment, zone string, r resolved) string {
	return fmt.Sprintf("local time %s does not exist in %s: the clocks jump forward %s there that day; pick another time",
		wallString(m.wall), zone, human(r.shift))
}

func ambiguousMessage(m moment, loc *time.Location, r resolved) string {
	return fmt.Sprintf("local time %s happens twice in %s (clocks go back %s); taken as the earlier one, %s (%s UTC)",
		wallString(m.wall), loc.String(), human(r.shift), r.at.In(loc).Format(time.RFC3339), r.at.Format("15:04"))
}
