package storage

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/rs/zerolog"
)

// A wait a platform named is handed to every later claim of that platform,
// by any process, until it ends; a shorter wait never shortens it.
func TestRateBlocksReachLaterClaims(t *testing.T) {
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "acme")
	mustChannel(t, db, ws.ID, "t1", "telegram")
	mustChannel(t, db, ws.ID, "t2", "telegram")
	mustChannel(t, db, ws.ID, "m", "mastodon")
	mustApply(t, db, ws.ID, "p", []herald.Post{mkPost("a", 2, t0, "A", "t1"), mkPost("b", 3, t0.Add(time.Minute), "B", "t2", "m")})
	jobs, err := db.ClaimDue(ctx, "w1", t0, time.Minute, 10)
	if err != nil || len(jobs) != 1 || jobs[0].Blocks != nil {
		t.Fatalf("first claim: %+v %v, want one job and no blocks", jobs, err)
	}
	until := t0.Add(10 * time.Minute)
	res := herald.Result{Outcome: herald.OutcomePublished, RemoteID: "1",
		Blocks: map[string]time.Time{"telegram:app:42": until, "nonsense": until}}
	if err := db.Complete(ctx, "w1", jobs[0], res, t0, time.Time{}); err != nil {
		t.Fatal(err)
	}
	shorter := herald.Result{Outcome: herald.OutcomePublished, RemoteID: "2", Blocks: map[string]time.Time{"telegram:app:42": t0.Add(time.Minute)}}
	clockOf(db).Set(t0.Add(time.Minute))
	jobs, err = db.ClaimDue(ctx, "w1", t0.Add(time.Minute), time.Minute, 10)
	if err != nil || len(jobs) != 2 {
		t.Fatalf("second claim: %+v %v", jobs, err)
	}
	for _, j := range jobs {
		want := map[string]time.Time{"telegram:app:42": until}
		if j.Channel.Platform != "telegram" {
			want = nil
		}
		if len(j.Blocks) != len(want) || !j.Blocks["telegram:app:42"].Equal(want["telegram:app:42"]) {
			t.Errorf("%s job blocks %v, want %v", j.Channel.Name, j.Blocks, want)
		}
		r := herald.Result{Outcome: herald.OutcomePublished, RemoteID: "x"}
		if j.Channel.Platform == "telegram" {
			r = shorter
		}
		if err := db.Complete(ctx, "w1", j, r, t0.Add(time.Minute), time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	blocks, err := db.rateBlocks(ctx, db.r, map[int64]herald.Channel{1: {Platform: "telegram"}})
	if err != nil || !blocks["telegram"]["telegram:app:42"].Equal(until) {
		t.Errorf("after a shorter wait: %v %v, want the block until %s kept", blocks, err, until)
	}
	// Once it ended it is no longer handed out, and maintenance forgets it.
	clockOf(db).Set(until.Add(time.Second))
	if _, err := db.RecoverExpired(ctx, until.Add(time.Second), nil); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := get(ctx, db.r, &n, `SELECT COUNT(*) FROM rate_blocks`); err != nil || n != 0 {
		t.Errorf("%d blocks left after they ended (%v)", n, err)
	}
}

// On a database several processes share, a channel's next claim waits for
// its platform's pace (Result.NotBefore); a process holding its database
// alone paces in memory and keeps no such hold.
func TestChannelPaceHoldsTheNextClaim(t *testing.T) {
	for _, sole := range []bool{false, true} {
		clk := &Clock{t: t0}
		db, err := Open(filepath.Join(t.TempDir(), "h.db"), Options{SecretKey: testKey, Now: clk.Now, Logger: zerolog.Nop(), Sole: sole})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		clocks.Store(db, clk)
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		ws := mustWorkspace(t, db, "acme")
		mustChannel(t, db, ws.ID, "tg", "telegram")
		mustApply(t, db, ws.ID, "p", []herald.Post{mkPost("a", 2, t0, "A", "tg"), mkPost("b", 3, t0, "B", "tg")})
		jobs, err := db.ClaimDue(ctx, "w1", t0, time.Minute, 10)
		if err != nil || len(jobs) != 1 {
			t.Fatal(jobs, err)
		}
		pace := t0.Add(time.Second)
		next, err := db.CompleteAndClaimNext(ctx, "w1", jobs[0], herald.Result{Outcome: herald.OutcomePublished, RemoteID: "1", NotBefore: pace},
			t0.Add(10*time.Millisecond), time.Time{}, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if sole {
			if next == nil {
				t.Error("sole process: the next post should be claimed at once (the pace is kept in memory)")
			}
			continue
		}
		if next != nil {
			t.Fatalf("shared database: the next post was claimed before the pace allowed it")
		}
		if jobs, _ := db.ClaimDue(ctx, "w2", pace.Add(-time.Millisecond), time.Minute, 10); len(jobs) != 0 {
			t.Fatalf("claimed %d before the pace allowed it", len(jobs))
		}
		if at, ok, err := db.NextDue(ctx); err != nil || !ok || !at.Equal(pace) {
			t.Errorf("next due %s %v %v, want the pace's %s", at, ok, err, pace)
		}
		if jobs, _ := db.ClaimDue(ctx, "w2", pace, time.Minute, 10); len(jobs) != 1 {
			t.Errorf("at the pace's instant: claimed %d, want the next post", len(jobs))
		}
	}
}
