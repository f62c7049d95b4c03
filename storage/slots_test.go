package storage

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// slotChannelFor creates a channel with a time zone ("" = the workspace's)
// and slots written "mon 10:00".
func slotChannelFor(tb testing.TB, db *DB, wsID int64, name, zone string, slots ...string) *herald.Channel {
	tb.Helper()
	ch := &herald.Channel{WorkspaceID: wsID, Name: name, Platform: "outbox", Timezone: zone, Slots: []herald.Slot{}}
	for _, s := range slots {
		day, at, _ := strings.Cut(s, " ")
		ch.Slots = append(ch.Slots, herald.Slot{Day: day, Time: at})
	}
	if err := ch.Validate(); err != nil {
		tb.Fatal(err)
	}
	if err := db.CreateChannel(ctx, ch); err != nil {
		tb.Fatalf("create channel: %v", err)
	}
	return ch
}

func nextPost(key string, row int, text string, channels ...string) herald.Post {
	return herald.Post{Key: key, Row: row, At: "next", NextSlot: true, Channels: channels, Text: text}
}

func applyPlan(tb testing.TB, db *DB, wsID int64, plan herald.Plan, posts []herald.Post) *herald.PlanResult {
	tb.Helper()
	res, err := db.ApplyPlan(ctx, wsID, plan, posts, false)
	if err != nil {
		tb.Fatalf("apply plan %s: %v %v", plan.Key, err, herald.ErrorDetails(err))
	}
	return res
}

// liveSlots returns "key@channel=due" for every live delivery of the
// workspace, sorted, checking that a slotted delivery is due at its slot.
func liveSlots(tb testing.TB, db *DB, wsID int64) string {
	tb.Helper()
	var rows []struct {
		Plan    string `db:"plan"`
		Key     string `db:"key"`
		Channel string `db:"name"`
		DueAt   int64  `db:"due_at"`
		SlotAt  *int64 `db:"slot_at"`
	}
	if err := sel(ctx, db.w, &rows, `SELECT pl.key AS plan, p.key, c.name, d.due_at, d.slot_at FROM deliveries d
		JOIN posts p ON p.id = d.post_id JOIN plans pl ON pl.id = p.plan_id JOIN channels c ON c.id = d.channel_id
		WHERE d.workspace_id = ? AND d.status NOT IN ('cancelled', 'missed', 'failed')`, wsID); err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		if r.SlotAt != nil && *r.SlotAt != r.DueAt {
			tb.Errorf("%s@%s: slot %v, due %v", r.Key, r.Channel, fromMs(*r.SlotAt), fromMs(r.DueAt))
		}
		out = append(out, fmt.Sprintf("%s/%s@%s=%s", r.Plan, r.Key, r.Channel, fromMs(r.DueAt).Format("01-02T15:04")))
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// threeZones: t0 is Tuesday 2026-12-01 10:00 UTC — 13:00 in Moscow, 05:00 in
// New York, 11:00 in Berlin (the workspace's zone).
func threeZones(t *testing.T) (*DB, *herald.Workspace) {
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "acme")
	slotChannelFor(t, db, ws.ID, "tg", "Europe/Moscow", "mon 10:00", "wed 10:00")
	slotChannelFor(t, db, ws.ID, "masto", "America/New_York", "tue 09:00")
	slotChannelFor(t, db, ws.ID, "vk", "", "tue 10:00") // Berlin: this week's is already past
	return db, ws
}

func TestSlotPlacementRowOrder(t *testing.T) {
	db, ws := threeZones(t)
	posts := []herald.Post{
		nextPost("a", 2, "A", "tg", "masto"),
		mkPost("b", 3, t0.Add(time.Hour), "B", "tg"), // a fixed time takes no slot
		nextPost("c", 4, "C", "tg"),
		nextPost("d", 5, "D", "masto", "vk"),
	}
	res := applyPlan(t, db, ws.ID, herald.Plan{Key: "p1"}, posts)
	want := "p1/a@masto=12-01T14:00 p1/a@tg=12-02T07:00 p1/b@tg=12-01T11:00 p1/c@tg=12-07T07:00 p1/d@masto=12-08T14:00 p1/d@vk=12-08T09:00"
	if got := liveSlots(t, db, ws.ID); got != want {
		t.Fatalf("slots\n got %s\nwant %s", got, want)
	}
	if msg := res.Rows[0].Message; !strings.Contains(msg, "tg Wed 2026-12-02 10:00 MSK") || !strings.Contains(msg, "masto Tue 2026-12-01 09:00 EST") {
		t.Errorf("row a message %q", msg)
	}
	if res.Rows[1].Message != "" {
		t.Errorf("fixed row message %q", res.Rows[1].Message)
	}

	// The report and the calendar show each delivery's own slot.
	report, err := db.PlanReport(ctx, ws.ID, "p1")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range report {
		got = append(got, r.Key+"@"+r.Channel+"="+r.DueAt.Format("01-02T15:04"))
	}
	if s := strings.Join(got, " "); s != "a@masto=12-01T14:00 a@tg=12-02T07:00 b@tg=12-01T11:00 c@tg=12-07T07:00 d@masto=12-08T14:00 d@vk=12-08T09:00" {
		t.Errorf("report %s", s)
	}
	cal, err := db.Calendar(ctx, ws.ID, herald.CalendarFilter{Channel: "masto"})
	if err != nil {
		t.Fatal(err)
	}
	if len(cal) != 2 || cal[0].Key != "a" || !cal[0].DueAt.Equal(time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC)) || cal[1].Key != "d" {
		t.Errorf("calendar %+v", cal)
	}
}

func TestSlotsStableAcrossReapply(t *testing.T) {
	db, ws := threeZones(t)
	posts := []herald.Post{nextPost("a", 2, "A", "tg"), nextPost("b", 3, "B", "tg", "masto"), nextPost("c", 4, "C", "tg")}
	applyPlan(t, db, ws.ID, herald.Plan{Key: "p1"}, posts)
	first := liveSlots(t, db, ws.ID)
	if first != "p1/a@tg=12-02T07:00 p1/b@masto=12-01T14:00 p1/b@tg=12-07T07:00 p1/c@tg=12-09T07:00" {
		t.Fatalf("first apply %s", first)
	}

	// The same plan, a day later (a's slot has passed): nothing moves.
	clockOf(db).Set(t0.Add(36 * time.Hour))
	res := applyPlan(t, db, ws.ID, herald.Plan{Key: "p1"}, posts)
	if res.Unchanged != 3 || liveSlots(t, db, ws.ID) != first {
		t.Fatalf("re-apply: %s\n%s", rowActions(res), liveSlots(t, db, ws.ID))
	}

	// Edited text keeps the slots; a channel added to a row takes that
	// channel's next free slot; a channel dropped frees its slot for later.
	edited := []herald.Post{nextPost("a", 2, "A", "tg"), nextPost("b", 3, "B edited", "tg"), nextPost("c", 4, "C", "tg", "masto")}
	res = applyPlan(t, db, ws.ID, herald.Plan{Key: "p1"}, edited)
	if got := rowActions(res); got != "a:2:unchanged b:3:updated c:4:updated" {
		t.Fatalf("rows %s", got)
	}
	if got := liveSlots(t, db, ws.ID); got != "p1/a@tg=12-02T07:00 p1/b@tg=12-07T07:00 p1/c@masto=12-08T14:00 p1/c@tg=12-09T07:00" {
		t.Fatalf("after edit %s", got)
	}
	if !strings.Contains(res.Rows[1].Message, "tg Mon 2026-12-07 10:00 MSK") {
		t.Errorf("updated row message %q", res.Rows[1].Message)
	}
}

func TestSecondPlanTakesFollowingSlots(t *testing.T) {
	db, ws := threeZones(t)
	applyPlan(t, db, ws.ID, herald.Plan{Key: "p1"}, []herald.Post{nextPost("a", 2, "A", "tg"), nextPost("b", 3, "B", "tg")})
	applyPlan(t, db, ws.ID, herald.Plan{Key: "p2"}, []herald.Post{nextPost("a", 2, "A2", "tg", "masto")})
	want := "p1/a@tg=12-02T07:00 p1/b@tg=12-07T07:00 p2/a@masto=12-01T14:00 p2/a@tg=12-09T07:00"
	if got := liveSlots(t, db, ws.ID); got != want {
		t.Fatalf("slots\n got %s\nwant %s", got, want)
	}
	// Re-applying the first plan does not take the second plan's slots.
	res := applyPlan(t, db, ws.ID, herald.Plan{Key: "p1"}, []herald.Post{nextPost("a", 2, "A", "tg"), nextPost("b", 3, "B", "tg"), nextPost("c", 4, "C", "tg")})
	want = "p1/a@tg=12-02T07:00 p1/b@tg=12-07T07:00 p1/c@tg=12-14T07:00 p2/a@masto=12-01T14:00 p2/a@tg=12-09T07:00"
	if got := liveSlots(t, db, ws.ID); got != want || res.Created != 1 {
		t.Fatalf("slots %s (%s)", got, rowActions(res))
	}
}

func TestCancelledSlotFreedForLaterApplies(t *testing.T) {
	db, ws := threeZones(t)
	applyPlan(t, db, ws.ID, herald.Plan{Key: "p1"}, []herald.Post{
		nextPost("a", 2, "A", "tg"), nextPost("b", 3, "B", "tg"), nextPost("c", 4, "C", "tg", "masto")})
	// a is removed, c moves to a fixed time, d is new: d does not take the
	// slots freed in this apply, so b keeps its place and nothing shifts.
	res := applyPlan(t, db, ws.ID, herald.Plan{Key: "p1"}, []herald.Post{
		nextPost("b", 2, "B", "tg"), mkPost("c", 3, t0.Add(48*time.Hour), "C", "tg", "masto"), nextPost("d", 4, "D", "tg", "masto")})
	if got := rowActions(res); got != "b:2:unchanged c:3:updated d:4:created a:0(was 2):cancelled" {
		t.Fatalf("rows %s", got)
	}
	want := "p1/b@tg=12-07T07:00 p1/c@masto=12-03T10:00 p1/c@tg=12-03T10:00 p1/d@masto=12-08T14:00 p1/d@tg=12-14T07:00"
	if got := liveSlots(t, db, ws.ID); got != want {
		t.Fatalf("slots\n got %s\nwant %s", got, want)
	}
	// A later plan takes the freed slots first.
	applyPlan(t, db, ws.ID, herald.Plan{Key: "p2"}, []herald.Post{nextPost("x", 2, "X", "tg", "masto"), nextPost("y", 3, "Y", "tg")})
	want += " p2/x@masto=12-01T14:00 p2/x@tg=12-02T07:00 p2/y@tg=12-09T07:00"
	if got := liveSlots(t, db, ws.ID); got != want {
		t.Fatalf("slots\n got %s\nwant %s", got, want)
	}
}

// A delivery that failed or was cancelled frees its slot; editing its row
// places it again, in a free slot.
func TestDeadDeliveryFreesSlot(t *testing.T) {
	db, ws := threeZones(t)
	applyPlan(t, db, ws.ID, herald.Plan{Key: "p1"}, []herald.Post{nextPost("a", 2, "A", "tg")})
	ids := deliveryIDs(t, db, ws.ID)
	if _, err := exec(ctx, db.w, `UPDATE deliveries SET status = 'failed' WHERE id = ?`, ids[[2]string{"a", "tg"}]); err != nil {
		t.Fatal(err)
	}
	applyPlan(t, db, ws.ID, herald.Plan{Key: "p2"}, []herald.Post{nextPost("x", 2, "X", "tg")})
	if got := liveSlots(t, db, ws.ID); got != "p2/x@tg=12-02T07:00" {
		t.Fatalf("slots %s", got)
	}
	// Retrying the failed delivery does not take the slot back from x.
	d, err := db.RetryDelivery(ctx, ws.ID, ids[[2]string{"a", "tg"}])
	if err != nil {
		t.Fatal(err)
	}
	if !d.DueAt.Equal(time.Date(2026, 12, 2, 7, 0, 0, 0, time.UTC)) {
		t.Errorf("retried due %v", d.DueAt)
	}
	var slot *int64
	if err := get(ctx, db.w, &slot, `SELECT slot_at FROM deliveries WHERE id = ?`, d.ID); err != nil || slot != nil {
		t.Errorf("retried delivery still holds slot %v (%v)", slot, err)
	}
	// Editing the row places it in the next free slot.
	applyPlan(t, db, ws.ID, herald.Plan{Key: "p1"}, []herald.Post{nextPost("a", 2, "A edited", "tg")})
	if got := liveSlots(t, db, ws.ID); got != "p1/a@tg=12-07T07:00 p2/x@tg=12-02T07:00" {
		t.Fatalf("slots %s", got)
	}
}

func TestSlotsRespectStart(t *testing.T) {
	db, ws := threeZones(t)
	start := time.Date(2026, 12, 14, 7, 0, 0, 0, time.UTC) // Monday 10:00 in Moscow: that slot is allowed
	applyPlan(t, db, ws.ID, herald.Plan{Key: "p1", Start: &start}, []herald.Post{nextPost("a", 2, "A", "tg", "masto"), nextPost("b", 3, "B", "tg")})
	if got := liveSlots(t, db, ws.ID); got != "p1/a@masto=12-15T14:00 p1/a@tg=12-14T07:00 p1/b@tg=12-16T07:00" {
		t.Fatalf("slots %s", got)
	}
	plan, err := db.Plan(ctx, ws.ID, "p1")
	if err != nil || plan.Start == nil || !plan.Start.Equal(start) {
		t.Fatalf("stored start %v (%v)", plan, err)
	}
	// A start in the past counts as now.
	past := t0.Add(-30 * 24 * time.Hour)
	applyPlan(t, db, ws.ID, herald.Plan{Key: "p2", Start: &past}, []herald.Post{nextPost("x", 2, "X", "tg")})
	if got := liveSlots(t, db, ws.ID); !strings.Contains(got, "p2/x@tg=12-02T07:00") {
		t.Fatalf("slots %s", got)
	}
}

func TestSlotProblems(t *testing.T) {
	db, ws := threeZones(t)
	slotChannelFor(t, db, ws.ID, "bare", "")
	slotChannelFor(t, db, ws.ID, "once", "UTC", "fri 10:00")
	_, err := db.ApplyPlan(ctx, ws.ID, herald.Plan{Key: "p1"}, []herald.Post{
		nextPost("a", 2, "A", "tg", "bare"), mkPost("b", 3, t0, "B", "bare")}, false)
	wantCode(t, err, herald.EVALIDATION)
	ps := herald.ErrorDetails(err)
	if len(ps) != 1 || ps[0].Row != 2 || ps[0].Column != "channels" || ps[0].Code != "no_slots" || !strings.Contains(ps[0].Message, "channel bare") {
		t.Fatalf("problems %+v", ps)
	}

	// One weekly slot holds two years of posts at most; nothing is applied.
	var posts []herald.Post
	for i := range 106 {
		posts = append(posts, nextPost(fmt.Sprintf("r%d", i), i+2, "x", "once"))
	}
	_, err = db.ApplyPlan(ctx, ws.ID, herald.Plan{Key: "p1"}, posts, false)
	wantCode(t, err, herald.EVALIDATION)
	ps = herald.ErrorDetails(err)
	if len(ps) != 1 || ps[0].Row != 107 || ps[0].Code != "no_free_slot" || !strings.Contains(ps[0].Message, "channel once") {
		t.Fatalf("problems %+v", ps)
	}
	if got := liveSlots(t, db, ws.ID); got != "" {
		t.Fatalf("applied despite problems: %s", got)
	}
	res := applyPlan(t, db, ws.ID, herald.Plan{Key: "p1"}, posts[:105])
	if res.Created != 105 {
		t.Fatalf("created %d", res.Created)
	}
}

// Slots are weekly local times: across a DST change they keep their wall
// time; a slot in a spring-forward gap does not exist that week; one in a
// fall-back overlap is the earlier instant.
func TestSlotsAcrossDST(t *testing.T) {
	tests := []struct {
		name, zone, slot string
		start            time.Time
		want             []string // UTC instants of the first slots
	}{
		{"New York keeps 09:00 across spring-forward", "America/New_York", "mon 09:00",
			time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC), []string{"2027-03-01T14:00", "2027-03-08T14:00", "2027-03-15T13:00"}},
		{"New York keeps 09:00 across fall-back", "America/New_York", "mon 09:00",
			time.Date(2026, 10, 26, 0, 0, 0, 0, time.UTC), []string{"2026-10-26T13:00", "2026-11-02T14:00"}},
		{"New York gap skipped", "America/New_York", "sun 02:30",
			time.Date(2027, 3, 7, 0, 0, 0, 0, time.UTC), []string{"2027-03-07T07:30", "2027-03-21T06:30"}},
		{"New York overlap takes the earlier", "America/New_York", "sun 01:30",
			time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC), []string{"2026-11-01T05:30", "2026-11-08T06:30"}},
		{"Berlin gap skipped", "Europe/Berlin", "sun 02:30",
			time.Date(2027, 3, 22, 0, 0, 0, 0, time.UTC), []string{"2027-04-04T00:30", "2027-04-11T00:30"}},
		{"Berlin overlap takes the earlier", "Europe/Berlin", "sun 02:30",
			time.Date(2027, 10, 25, 0, 0, 0, 0, time.UTC), []string{"2027-10-31T00:30", "2027-11-07T01:30"}},
		{"Moscow has no DST", "Europe/Moscow", "sun 02:30",
			time.Date(2027, 3, 22, 0, 0, 0, 0, time.UTC), []string{"2027-03-27T23:30", "2027-04-03T23:30", "2027-10-30T23:30"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := MustOpenDB(t)
			clockOf(db).Set(tt.start.Add(-24 * time.Hour))
			ws := mustWorkspace(t, db, "acme")
			slotChannelFor(t, db, ws.ID, "ch", tt.zone, tt.slot)
			n := len(tt.want)
			if tt.zone == "Europe/Moscow" {
				n = 32 // the 32nd Sunday after 2027-03-27 is 2027-10-30, when Berlin goes back
			}
			var posts []herald.Post
			for i := range n {
				posts = append(posts, nextPost(fmt.Sprintf("r%02d", i), i+2, "x", "ch"))
			}
			applyPlan(t, db, ws.ID, herald.Plan{Key: "p", Start: &tt.start}, posts)
			report, err := db.PlanReport(ctx, ws.ID, "p")
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for i, r := range report {
				if tt.zone != "Europe/Moscow" || i < 2 || i == n-1 {
					got = append(got, r.DueAt.Format("2006-01-02T15:04"))
				}
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("slots %v, want %v", got, tt.want)
			}
		})
	}
}

// No two live deliveries hold one slot, even with applies racing from two
// handles on one database (as two processes would).
func TestNoTwoDeliveriesOnOneSlot(t *testing.T) {
	path := t.TempDir() + "/herald.db"
	db1 := mustOpenRaw(t, path)
	if err := db1.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	db2 := mustOpenRaw(t, path)
	ws := mustWorkspace(t, db1, "acme")
	slotChannelFor(t, db1, ws.ID, "tg", "Europe/Moscow", "mon 10:00", "wed 10:00", "fri 18:00")
	slotChannelFor(t, db1, ws.ID, "masto", "America/New_York", "tue 09:00", "thu 09:00")

	const plans, rows = 6, 20
	var wg sync.WaitGroup
	errs := make(chan error, plans)
	for i := range plans {
		db := db1
		if i%2 == 1 {
			db = db2
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var posts []herald.Post
			for r := range rows {
				posts = append(posts, nextPost(fmt.Sprintf("r%d", r), r+2, "x", "tg", "masto"))
			}
			_, err := db.ApplyPlan(ctx, ws.ID, herald.Plan{Key: fmt.Sprintf("p%d", i)}, posts, false)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var n, distinct int
	if err := get(ctx, db1.w, &n, `SELECT COUNT(*) FROM deliveries WHERE slot_at IS NOT NULL`); err != nil {
		t.Fatal(err)
	}
	if err := get(ctx, db1.w, &distinct, `SELECT COUNT(*) FROM (SELECT DISTINCT channel_id, slot_at FROM deliveries) s`); err != nil {
		t.Fatal(err)
	}
	if n != plans*rows*2 || distinct != n {
		t.Fatalf("%d slotted deliveries, %d distinct slots; want %d of each", n, distinct, plans*rows*2)
	}

	// The schema refuses a second live delivery on a slot, not a dead one.
	var d struct {
		ID        int64 `db:"id"`
		ChannelID int64 `db:"channel_id"`
		SlotAt    int64 `db:"slot_at"`
	}
	if err := get(ctx, db1.w, &d, `SELECT id, channel_id, slot_at FROM deliveries ORDER BY id LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	const steal = `UPDATE deliveries SET slot_at = ? WHERE id = (SELECT MAX(id) FROM deliveries WHERE channel_id = ?)`
	if _, err := exec(ctx, db1.w, steal, d.SlotAt, d.ChannelID); !isUnique(err) {
		t.Fatalf("second live delivery on a slot: %v", err)
	}
	if _, err := exec(ctx, db1.w, `UPDATE deliveries SET status = 'cancelled' WHERE id = (SELECT MAX(id) FROM deliveries WHERE channel_id = ?)`, d.ChannelID); err != nil {
		t.Fatal(err)
	}
	if _, err := exec(ctx, db1.w, steal, d.SlotAt, d.ChannelID); err != nil {
		t.Fatalf("cancelled delivery on a held slot: %v", err)
	}
}

func TestSlotsDryRun(t *testing.T) {
	db, ws := threeZones(t)
	res, err := db.ApplyPlan(ctx, ws.ID, herald.Plan{Key: "p1"}, []herald.Post{nextPost("a", 2, "A", "tg")}, true)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Rows[0].Message, "tg Wed 2026-12-02 10:00 MSK") {
		t.Errorf("message %q", res.Rows[0].Message)
	}
	if got := liveSlots(t, db, ws.ID); got != "" {
		t.Fatalf("dry run applied: %s", got)
	}
}
