package storage

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/jmoiron/sqlx"
)

// Posting slots. A "next free slot" post (herald.Post.NextSlot) gets, on each
// of its channels, the first weekly slot of that channel, in the channel's
// time zone (else the workspace's), at or after max(plan start, now), that no
// live delivery of that channel holds (any plan) and no earlier row of the
// same apply took. The delivery stores the slot in slot_at (its due_at is the
// same instant); a unique partial index on (channel_id, slot_at) over live
// deliveries makes "no two deliveries hold one slot" a property of the schema.

// slotHorizon bounds the search for a free slot: a channel whose slots are
// all taken for this long past the earliest allowed instant gives a problem.
const slotHorizon = 2 * 366 * 24 * time.Hour

// slotHeld is the condition under which a delivery holds its slot: every
// status but the slot-freeing ones (the unique index's condition).
var slotHeld = `slot_at IS NOT NULL AND status NOT IN ` + slotFreeingIn

// holdsSlot is slotHeld for a status read into Go.
func holdsSlot(status string) bool { return !herald.SlotFreeing.Has(herald.DeliveryStatus(status)) }

// slotChannel is one channel's weekly slots and what of them is taken.
type slotChannel struct {
	name  string
	loc   *time.Location
	times [7][]int // minutes after local midnight, by weekday, sorted and unique
	// taken holds the slot instants (Unix ms) that live deliveries held when
	// the apply began, and those the apply has taken since. Slots freed
	// during the apply stay in it, so the rest of the plan does not shift.
	taken map[int64]bool
	// last is the latest slot this apply took on the channel (Unix ms): since
	// taken only grows, the next free slot is never before it.
	last int64
}

// slotPlacer places the "next free slot" deliveries of one apply.
type slotPlacer struct {
	from     time.Time // max(plan start, now)
	channels map[int64]*slotChannel
}

// heldSlot is a slot a delivery holds on a channel.
type heldSlot struct {
	ChannelID int64 `db:"channel_id"`
	SlotAt    int64 `db:"slot_at"`
}

// loadSlots prepares the placer for the plan's "next free slot" posts (nil
// when it has none), from the state the apply began with and the slots
// revived deliveries keep (p.keptSlots). It returns a no_slots problem for
// each such post's channel without slots.
func (p *planner) loadSlots(plan herald.Plan, posts []herald.Post) (*slotPlacer, []herald.Problem, error) {
	used := map[int64]bool{}
	for _, post := range posts {
		if post.NextSlot {
			for _, name := range post.Channels {
				used[p.channels[name]] = true
			}
		}
	}
	if len(used) == 0 {
		return nil, nil, nil
	}
	wsLoc, err := herald.LoadLocation(p.wsZone)
	if err != nil {
		wsLoc = time.UTC
	}
	sp := &slotPlacer{from: fromMs(p.now), channels: map[int64]*slotChannel{}}
	if plan.Start != nil && plan.Start.After(sp.from) {
		sp.from = plan.Start.UTC()
	}
	ids := make([]int64, 0, len(used))
	for _, r := range p.chans {
		if !used[r.ID] {
			continue
		}
		ch := &herald.Channel{Name: r.Name, Timezone: r.Timezone}
		if err := json.Unmarshal([]byte(r.Slots), &ch.Slots); err != nil {
			return nil, nil, fmt.Errorf("apply plan: channel %q slots: %w", r.Name, err)
		}
		sp.channels[r.ID] = newSlotChannel(ch, wsLoc)
		ids = append(ids, r.ID)
	}
	var problems []herald.Problem
	for _, post := range posts {
		if !post.NextSlot {
			continue
		}
		for _, name := range uniq(post.Channels) {
			if c := sp.channels[p.channels[name]]; c != nil && c.empty() {
				problems = append(problems, herald.Problem{Row: post.Row, Column: "channels", Code: "no_slots",
					Message: fmt.Sprintf("the row takes the next free slot, but channel %s has no posting slots; give the channel slots or give the row a time", name)})
			}
		}
	}
	if len(problems) > 0 {
		return nil, problems, nil
	}
	var held []heldSlot
	q, args, err := in(p.q, `SELECT channel_id, slot_at FROM deliveries WHERE channel_id IN (?) AND slot_at >= ? AND `+slotHeld,
		ids, ms(sp.from))
	if err == nil {
		err = sqlx.SelectContext(p.ctx, p.q, &held, q, args...)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("apply plan: taken slots: %w", busy(err))
	}
	for _, h := range append(held, p.keptSlots...) {
		if c := sp.channels[h.ChannelID]; c != nil && h.SlotAt >= ms(sp.from) {
			c.taken[h.SlotAt] = true
		}
	}
	return sp, nil, nil
}

// newSlotChannel reads a channel's slots; slots that do not parse (the API
// validates them) are left out.
func newSlotChannel(ch *herald.Channel, fallback *time.Location) *slotChannel {
	c := &slotChannel{name: ch.Name, loc: ch.Location(fallback), taken: map[int64]bool{}, last: -1 << 62}
	for _, s := range ch.Slots {
		day := weekday(s.Day)
		t, err := time.Parse("15:04", s.Time)
		if day < 0 || err != nil {
			continue
		}
		m := t.Hour()*60 + t.Minute()
		if !containsInt(c.times[day], m) {
			c.times[day] = append(c.times[day], m)
		}
	}
	for d := range c.times {
		sort.Ints(c.times[d])
	}
	return c
}

func weekday(name string) int {
	for i, d := range herald.Weekdays {
		if strings.EqualFold(d, strings.TrimSpace(name)) {
			return i
		}
	}
	return -1
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func (c *slotChannel) empty() bool {
	for _, ts := range c.times {
		if len(ts) > 0 {
			return false
		}
	}
	return true
}

// take returns the first free slot at or after from and marks it taken;
// false when none is free within slotHorizon. A slot whose local time falls
// in a spring-forward gap does not exist that week; one in a fall-back
// overlap is its earlier instant. Slots keep their local wall time across
// DST changes.
func (c *slotChannel) take(from time.Time) (time.Time, bool) {
	start := from
	if c.last >= ms(from) {
		start = fromMs(c.last) // taken, so skipped below
	}
	limit := from.Add(slotHorizon)
	local := start.In(c.loc)
	day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC)
	l := limit.In(c.loc)
	end := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.UTC)
	for ; !day.After(end); day = day.AddDate(0, 0, 1) {
		for _, m := range c.times[day.Weekday()] {
			lt := herald.ResolveLocal(day.Add(time.Duration(m)*time.Minute), c.loc)
			if lt.Gap || lt.At.Before(start) {
				continue
			}
			if lt.At.After(limit) {
				return time.Time{}, false
			}
			if at := ms(lt.At); !c.taken[at] {
				c.taken[at], c.last = true, at
				return lt.At, true
			}
		}
	}
	return time.Time{}, false
}

// when decides a delivery's due instant and slot on channel chID for post.
// A fixed-time post is due at post.DueAt with no slot. A "next free slot" post
// keeps the slot its delivery old (nil for a new one) holds when that
// delivery is live and the slot not before the earliest allowed instant, and
// otherwise takes the channel's next free slot. When none is free, it records
// a no_free_slot problem and returns false.
func (p *planner) when(post *herald.Post, chID int64, old *oldDelivery) (int64, sql.NullInt64, bool) {
	if !post.NextSlot {
		return ms(post.DueAt), sql.NullInt64{}, true
	}
	c := p.slots.channels[chID]
	if old != nil && old.SlotAt.Valid && holdsSlot(old.Status) && old.SlotAt.Int64 >= ms(p.slots.from) {
		p.noteSlot(c, fromMs(old.SlotAt.Int64))
		return old.SlotAt.Int64, old.SlotAt, true
	}
	at, ok := c.take(p.slots.from)
	if !ok {
		p.problems = append(p.problems, herald.Problem{Row: post.Row, Column: "channels", Code: "no_free_slot",
			Message: fmt.Sprintf("channel %s has no free slot between %s and %s; add slots to the channel or give the row a time",
				c.name, p.slots.from.In(c.loc).Format("2006-01-02 15:04"), p.slots.from.Add(slotHorizon).In(c.loc).Format("2006-01-02 15:04 MST"))})
		return 0, sql.NullInt64{}, false
	}
	p.noteSlot(c, at)
	return ms(at), sql.NullInt64{Int64: ms(at), Valid: true}, true
}

// noteSlot records, for the row's result message, the slot a delivery holds.
func (p *planner) noteSlot(c *slotChannel, at time.Time) {
	p.slotNotes = append(p.slotNotes, fmt.Sprintf("%s %s", c.name, at.In(c.loc).Format("Mon 2006-01-02 15:04 MST")))
}

// slotMessage returns the row message listing the slots noted since the
// last call ("" when none) and forgets them.
func (p *planner) slotMessage() string {
	if len(p.slotNotes) == 0 {
		return ""
	}
	msg := "next free slot: " + strings.Join(p.slotNotes, ", ")
	p.slotNotes = p.slotNotes[:0]
	return msg
}
