package herald

import (
	"slices"
	"time"
)

// LocalTime is a wall-clock time placed in a time zone.
type LocalTime struct {
	// At is the instant (UTC); zero when Gap.
	At time.Time
	// Gap is set when the wall time does not exist in the zone (the clocks
	// jump over it, spring-forward).
	Gap bool
	// Ambiguous is set when the wall time happens twice (the clocks go back,
	// fall-back); At is then the earlier instant.
	Ambiguous bool
	// Shift is how far the clocks jump at a gap or go back at an overlap.
	Shift time.Duration
}

// ResolveLocal places the wall-clock fields of wall (year to nanosecond, read
// as written whatever wall's own location) in loc. A wall time in a
// spring-forward gap has no instant (Gap); one in a fall-back overlap takes
// the earlier of its two instants (Ambiguous). Unlike time.Date, which picks
// an instant for either without saying so, it reports both.
func ResolveLocal(wall time.Time, loc *time.Location) LocalTime {
	w := time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), 0, time.UTC).Unix()
	nsec := int64(wall.Nanosecond())
	// The offsets in force within a day either side: enough to see one
	// transition, and zones do not change twice in a day.
	var offs []int
	for _, probe := range []int64{w - 86400, w, w + 86400} {
		_, off := time.Unix(probe, 0).In(loc).Zone()
		if !slices.Contains(offs, off) {
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
	switch len(cands) {
	case 0:
		_, before := time.Unix(w-86400, 0).In(loc).Zone()
		_, after := time.Unix(w+86400, 0).In(loc).Zone()
		return LocalTime{Gap: true, Shift: time.Duration(after-before) * time.Second}
	case 1:
		return LocalTime{At: time.Unix(cands[0], nsec).UTC()}
	}
	first, last := cands[0], cands[0]
	for _, c := range cands {
		first, last = min(first, c), max(last, c)
	}
	return LocalTime{At: time.Unix(first, nsec).UTC(), Ambiguous: true, Shift: time.Duration(last-first) * time.Second}
}

// StartOfDay is the first instant (UTC) of the calendar day y-m-d in loc:
// its midnight; where the clocks jump over midnight, the instant they jump
// to; of a midnight that happens twice, the earlier.
func StartOfDay(y int, m time.Month, d int, loc *time.Location) time.Time {
	wall := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	r := ResolveLocal(wall, loc)
	if r.Gap {
		r = ResolveLocal(wall.Add(r.Shift), loc)
	}
	return r.At
}
