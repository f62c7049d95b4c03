package storage

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// warningStrings renders warnings as "row code column: message".
func warningStrings(ws []herald.Problem) []string {
	out := []string{}
	for _, w := range ws {
		out = append(out, strings.Join([]string{strconv.Itoa(w.Row), w.Code, w.Column + ":", w.Message}, " "))
	}
	return out
}

func wantWarnings(tb testing.TB, res *herald.PlanResult, want ...string) {
	tb.Helper()
	got := warningStrings(res.Warnings)
	if want == nil {
		want = []string{}
	}
	if !reflect.DeepEqual(got, want) {
		tb.Fatalf("warnings:\n got %q\nwant %q", got, want)
	}
}

// promoPlan applies plan "promo" with row 4 on tg-main at base and row 5
// with "Big sale!" on tg-main at base+1h.
func promoPlan(t *testing.T) (*DB, int64, time.Time) {
	t.Helper()
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "brand")
	mustChannel(t, db, ws.ID, "tg-main", "telegram")
	mustChannel(t, db, ws.ID, "tg-other", "telegram")
	base := time.Date(2026, 12, 10, 9, 0, 0, 0, time.UTC)
	res := mustApply(t, db, ws.ID, "promo", []herald.Post{
		mkPost("a", 4, base, "Opening hours change", "tg-main"),
		mkPost("b", 5, base.Add(time.Hour), "Big sale!", "tg-main"),
	})
	wantWarnings(t, res)
	return db, ws.ID, base
}

func TestPlanWarningsClosePostInOtherPlan(t *testing.T) {
	db, wsID, base := promoPlan(t)
	res := mustApply(t, db, wsID, "main", []herald.Post{
		mkPost("x", 2, base.Add(40*time.Second), "Something else", "tg-main", "tg-other"),
		mkPost("y", 3, base.Add(-15*time.Second), "Another thing", "tg-main"),
		mkPost("z", 6, base.Add(time.Hour), "Third thing", "tg-main"),
	})
	wantWarnings(t, res,
		`2 close_posts at: channel tg-main already has a post 40s earlier: plan "promo" row 4`,
		`3 close_posts at: channel tg-main already has a post 15s later: plan "promo" row 4`,
		`6 close_posts at: channel tg-main already has a post at the same time: plan "promo" row 5`,
	)
}

func TestPlanWarningsDuplicateTextInOtherPlan(t *testing.T) {
	db, wsID, base := promoPlan(t)
	res := mustApply(t, db, wsID, "main", []herald.Post{
		mkPost("x", 2, base.Add(2*24*time.Hour+5*time.Hour), "  Big sale!\n", "tg-main"),
		mkPost("y", 3, base.Add(-70*time.Hour), "Big sale!", "tg-main"),
		mkPost("o", 4, base.Add(2*time.Hour), "Big sale!", "tg-other"), // another channel
		mkPost("c", 5, base.Add(3*time.Hour), "big sale!", "tg-main"),  // other text
	})
	wantWarnings(t, res,
		`2 duplicate_text text: channel tg-main already has the same text 2d4h earlier: plan "promo" row 5`,
		`3 duplicate_text text: channel tg-main already has the same text 2d23h later: plan "promo" row 5`,
	)

	// A variant counts for its platform, and names its column.
	p := mkPost("v", 7, base.Add(24*time.Hour), "Other text", "tg-main")
	p.Variants = map[string]herald.Variant{"telegram": {Text: "Big sale!"}}
	res = mustApply(t, db, wsID, "third", []herald.Post{p})
	wantWarnings(t, res,
		`7 duplicate_text text:telegram: channel tg-main already has the same text 23h earlier: plan "promo" row 5 (and 1 more within 3d)`)
}

func TestPlanWarningsOutsideWindows(t *testing.T) {
	db, wsID, base := promoPlan(t)
	res := mustApply(t, db, wsID, "main", []herald.Post{
		mkPost("x", 2, base.Add(61*time.Second), "Something else", "tg-main"),
		mkPost("y", 3, base.Add(-time.Minute-time.Millisecond), "Another thing", "tg-main"),
		mkPost("z", 4, base.Add(time.Hour+72*time.Hour+time.Second), "Big sale!", "tg-main"),
		mkPost("w", 5, base.Add(time.Hour-72*time.Hour-time.Second), "Big sale!", "tg-main"),
		mkPost("o", 6, base, "Big sale!", "tg-other"),
	})
	wantWarnings(t, res)

	// The edges are in: a minute, three days.
	db, wsID, base = promoPlan(t)
	res = mustApply(t, db, wsID, "edge", []herald.Post{
		mkPost("x", 2, base.Add(time.Minute), "Edge", "tg-main"),
		mkPost("z", 4, base.Add(time.Hour+72*time.Hour), "Big sale!", "tg-main"),
	})
	wantWarnings(t, res,
		`2 close_posts at: channel tg-main already has a post 1m earlier: plan "promo" row 4`,
		`4 duplicate_text text: channel tg-main already has the same text 3d earlier: plan "promo" row 5`)
}

func TestPlanWarningsOnlyLiveDeliveries(t *testing.T) {
	db, wsID, base := promoPlan(t)
	// Row 4 of promo removed: its delivery is cancelled and warns no more.
	mustApply(t, db, wsID, "promo", []herald.Post{mkPost("b", 5, base.Add(time.Hour), "Big sale!", "tg-main")})
	res := mustApply(t, db, wsID, "main", []herald.Post{mkPost("x", 2, base, "Something else", "tg-main")})
	wantWarnings(t, res)
	// A published one does.
	var id int64
	if err := get(ctx, db.w, &id, `SELECT d.id FROM deliveries d JOIN posts p ON p.id = d.post_id WHERE p.key = 'b'`); err != nil {
		t.Fatal(err)
	}
	if _, err := exec(ctx, db.w, `UPDATE deliveries SET status = 'published' WHERE id = ?`, id); err != nil {
		t.Fatal(err)
	}
	res = mustApply(t, db, wsID, "other", []herald.Post{mkPost("x", 2, base.Add(time.Hour+time.Second), "Big sale!", "tg-main")})
	wantWarnings(t, res,
		`2 close_posts at: channel tg-main already has a post 1s earlier: plan "promo" row 5`,
		`2 duplicate_text text: channel tg-main already has the same text 1s earlier: plan "promo" row 5`)
}

func TestPlanWarningsNoSelfWarnings(t *testing.T) {
	db, wsID, base := promoPlan(t)
	posts := []herald.Post{
		mkPost("a", 4, base, "Opening hours change", "tg-main"),
		mkPost("b", 5, base.Add(time.Hour), "Big sale!", "tg-main"),
	}
	// Unchanged rows give no warnings at all.
	res := mustApply(t, db, wsID, "promo", posts)
	if res.Unchanged != 2 {
		t.Fatalf("re-apply: %+v", res)
	}
	wantWarnings(t, res)
	// Updated rows are not compared with the plan's own deliveries, old or new.
	posts[0].DueAt = base.Add(30 * time.Second)
	posts[1].Text = "Big sale!  "
	posts = append(posts, mkPost("c", 6, base.Add(time.Hour+10*time.Second), "Big sale!", "tg-main"))
	res = mustApply(t, db, wsID, "promo", posts)
	if res.Updated != 2 || res.Created != 1 {
		t.Fatalf("update: %+v", res)
	}
	wantWarnings(t, res)
	// Row y of another plan comes later; the updated row of promo then warns about it.
	mustApply(t, db, wsID, "main", []herald.Post{mkPost("y", 9, base.Add(2*time.Hour), "Big sale!", "tg-main")})
	posts[1].Text = "Big sale!"
	res = mustApply(t, db, wsID, "promo", posts)
	wantWarnings(t, res,
		`5 duplicate_text text: channel tg-main already has the same text 1h later: plan "main" row 9`)
}

func TestPlanWarningsDryRun(t *testing.T) {
	db, wsID, base := promoPlan(t)
	posts := []herald.Post{
		mkPost("x", 2, base.Add(40*time.Second), "Big sale!", "tg-main"),
		mkPost("y", 3, base.Add(50*time.Hour), "Big sale!", "tg-main"),
	}
	dry, err := db.ApplyPlan(ctx, wsID, herald.Plan{Key: "main"}, posts, true)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`2 close_posts at: channel tg-main already has a post 40s earlier: plan "promo" row 4`,
		`2 duplicate_text text: channel tg-main already has the same text 59m20s later: plan "promo" row 5`,
		`3 duplicate_text text: channel tg-main already has the same text 2d1h earlier: plan "promo" row 5`,
	}
	wantWarnings(t, dry, want...)
	real := mustApply(t, db, wsID, "main", posts)
	wantWarnings(t, real, want...)
	if !reflect.DeepEqual(dry.Warnings, real.Warnings) {
		t.Fatalf("dry run %+v, apply %+v", dry.Warnings, real.Warnings)
	}
}

func TestPlanWarningsNextSlot(t *testing.T) {
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "brand")
	slotChannelFor(t, db, ws.ID, "tg", "", "wed 09:00")
	// t0 is Tue 2026-12-01 10:00 UTC: the first slot is Wed 09:00 Berlin = 08:00 UTC.
	slot := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	mustApply(t, db, ws.ID, "promo", []herald.Post{mkPost("a", 3, slot.Add(30*time.Second), "Hello", "tg")})
	res := applyPlan(t, db, ws.ID, herald.Plan{Key: "main"}, []herald.Post{nextPost("n", 2, "Hello", "tg")})
	wantWarnings(t, res,
		`2 close_posts at: channel tg already has a post 30s later: plan "promo" row 3`,
		`2 duplicate_text text: channel tg already has the same text 30s later: plan "promo" row 3`)
}

func TestPlanWarningsOtherWorkspace(t *testing.T) {
	db, wsID, base := promoPlan(t)
	ws2 := mustWorkspace(t, db, "other")
	mustChannel(t, db, ws2.ID, "tg-main", "telegram")
	res := mustApply(t, db, ws2.ID, "main", []herald.Post{mkPost("x", 2, base, "Big sale!", "tg-main")})
	wantWarnings(t, res)
	_ = wsID
}

func TestGap(t *testing.T) {
	for d, want := range map[time.Duration]string{
		400 * time.Millisecond: "under 1s", 40 * time.Second: "40s", time.Minute: "1m", 125 * time.Second: "2m5s",
		5*time.Hour + 30*time.Minute: "5h30m", 47 * time.Hour: "47h", 72 * time.Hour: "3d", 51 * time.Hour: "2d3h",
	} {
		if got := gap(d); got != want {
			t.Errorf("gap(%v) = %q, want %q", d, got, want)
		}
	}
}
