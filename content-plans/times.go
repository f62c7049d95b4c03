package contentplans

import (
	"fmt"
	"strings"
	"time"

	"github.com/heraldhq/herald"
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
)

// parseMoment reads an ISO local time (seconds optional, ' ' or 'T') or an
// RFC 3339 instant; readMoment reads the other forms people write too.
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

// dateOrder is the upload's date order ("dmy", "mdy" or "").
func (b *builder) dateOrder() string {
	return strings.ToLower(strings.TrimSpace(b.up.DateOrder))
}

// resolve places m in loc: an instant as is, a wall time through
// herald.ResolveLocal (a spring-forward gap has no instant; a fall-back
// overlap takes the earlier one).
func resolve(m moment, loc *time.Location) herald.LocalTime {
	if m.offset {
		return herald.LocalTime{At: m.instant.UTC()}
	}
	return herald.ResolveLocal(m.wall, loc)
}

// place resolves m in loc for the cell at row and col: a gap is a problem
// (ok false), an overlap a warning.
func (b *builder) place(row int, col string, m moment, zone string, loc *time.Location) (time.Time, bool) {
	res := resolve(m, loc)
	switch {
	case res.Gap:
		b.problem(row, col, "nonexistent_time", "%s", gapMessage(m, zone, res))
		return time.Time{}, false
	case res.Ambiguous:
		b.warn(row, col, "ambiguous_time", "%s", ambiguousMessage(m, loc, res))
	}
	return res.At, true
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

func gapMessage(m moment, zone string, r herald.LocalTime) string {
	return fmt.Sprintf("local time %s does not exist in %s: the clocks jump forward %s there that day; pick another time",
		wallString(m.wall), zone, human(r.Shift))
}

func ambiguousMessage(m moment, loc *time.Location, r herald.LocalTime) string {
	return fmt.Sprintf("local time %s happens twice in %s (clocks go back %s); taken as the earlier one, %s (%s UTC)",
		wallString(m.wall), loc.String(), human(r.Shift), r.At.In(loc).Format(time.RFC3339), r.At.Format("15:04"))
}

// nextSlot makes p a "next free slot" row (At "next", DueAt zero): when the
// plan is applied, each of its channels' deliveries takes that channel's
// first free weekly slot. Each target channel without slots is a problem
// naming it (column "channels").
func (b *builder) nextSlot(p *herald.Post, r rawPost) {
	p.NextSlot, p.At, p.DueAt = true, "next", time.Time{}
	if r.noChannels {
		return
	}
	seen := map[string]bool{}
	for _, name := range r.channels {
		ch := b.up.Channels[name]
		if ch == nil || seen[name] {
			continue // unknown channels are reported by channels()
		}
		seen[name] = true
		if len(ch.Slots) == 0 {
			b.problem(r.row, "channels", "no_slots", `the row takes the next free slot, but channel %s has no posting slots; give the channel slots (e.g. {"day": "mon", "time": "10:00"}) or give the row a time`, name)
		}
	}
}

// planStart resolves the plan's "start" as written (b.start): a local time
// (or a date, meaning its midnight) in the plan's zone, or an RFC 3339
// instant. No slot is taken before it. It returns nil when there is none or
// it is invalid; problems and warnings are on row 0, column "start".
func (b *builder) planStart(zone string, loc *time.Location) *time.Time {
	s := strings.TrimSpace(b.start)
	if s == "" {
		return nil
	}
	m, date, ok := readMoment(s, b.dateOrder())
	if !ok {
		if d, err := readDate(s, b.dateOrder()); err == nil {
			m, date, ok = moment{wall: d.t}, d, true
		}
	}
	if !ok || date.ambiguous {
		b.problem(0, "start", "invalid_time", `start %q must be a local time "YYYY-MM-DD HH:MM", a date "YYYY-MM-DD" (or %s, with ?date_order= for a slash date that reads both ways), or an RFC 3339 instant such as "2026-12-01T10:00:00+03:00"`, s, dateForms)
		return nil
	}
	if !m.offset && loc == nil {
		if zone == "" {
			b.problem(0, "start", "required", `start %q is a local time but the plan has no time zone; set "timezone" or write start as an RFC 3339 instant`, s)
		}
		return nil // an invalid zone is reported once for the plan
	}
	at, ok := b.place(0, "start", m, zone, loc)
	if !ok {
		return nil
	}
	return &at
}
