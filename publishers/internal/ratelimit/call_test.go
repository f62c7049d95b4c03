package ratelimit

import (
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

func TestBeginImportsBlocksWithoutShorteningOrReporting(t *testing.T) {
	c := newClock()
	s := New(c.Now)
	s.Begin(nil).BlockFor("x:app:1", time.Minute)
	call := s.Begin(map[string]time.Time{
		"x:app:1": c.Now().Add(10 * time.Second), // earlier than what the Set knows: kept at 1m
		"x:7":     c.Now().Add(30 * time.Second),
		"x:8":     c.Now().Add(-time.Second), // over: skipped
	})
	if d := call.Blocked("x:app:1"); d != time.Minute {
		t.Errorf("x:app:1 blocked %s, want 1m (an imported block never shortens one)", d)
	}
	if d := call.Delay("x:7", time.Second, 1); d != 30*time.Second {
		t.Errorf("x:7: wait %s, want the imported 30s", d)
	}
	if d := call.Delay("x:8", time.Second, 1); d != 0 {
		t.Errorf("x:8: wait %s, want 0 (its block is over)", d)
	}
	var res herald.Result
	call.Finish(&res)
	if res.Blocks != nil {
		t.Errorf("Finish reported imported blocks: %v", res.Blocks)
	}
}

func TestFinishReportsTheBlocksTheCallSetOrExtended(t *testing.T) {
	c := newClock()
	s := New(c.Now)
	s.Begin(nil).BlockFor("known", time.Hour)
	call := s.Begin(map[string]time.Time{"imported": c.Now().Add(time.Minute)})
	call.BlockFor("known", time.Minute)      // shorter than what is known: nothing new
	call.BlockFor("imported", 2*time.Minute) // extends the imported block
	res := herald.Result{Outcome: herald.OutcomeFailed}
	call.Throttle("own", &res, 30*time.Second)
	call.Throttle("none", &res, 0) // no wait named: nothing held
	call.BlockUntil("past", c.Now().Add(-time.Second))
	call.Finish(&res)
	want := map[string]time.Time{
		"imported": c.Now().Add(2 * time.Minute).UTC(),
		"own":      c.Now().Add(30 * time.Second).UTC(),
	}
	if len(res.Blocks) != len(want) {
		t.Fatalf("Blocks = %v, want %v", res.Blocks, want)
	}
	for k, until := range want {
		if got := res.Blocks[k]; !got.Equal(until) || got.Location() != time.UTC {
			t.Errorf("Blocks[%s] = %v, want %v in UTC", k, got, until)
		}
	}
	// Another call of the same Set reports only its own.
	other := herald.Result{}
	s.Begin(nil).Finish(&other)
	if other.Blocks != nil {
		t.Errorf("a call that blocked nothing reported %v", other.Blocks)
	}
}

func TestNotBeforeIsTheSteadyPace(t *testing.T) {
	c := newClock()
	s := New(c.Now)
	chat := Limit{Key: "telegram:1:@brand", Every: time.Second, Burst: 3}
	bot := Limit{Key: "telegram:app:1", Every: time.Second / 30, Burst: 30}
	call := s.Begin(nil)
	var res herald.Result
	call.Finish(&res, chat, bot)
	if !res.NotBefore.IsZero() {
		t.Fatalf("before any call: NotBefore %v, want zero", res.NotBefore)
	}
	t0 := c.Now()
	if d := call.DelayAll(chat, bot); d != 0 {
		t.Fatalf("first call: wait %s", d)
	}
	call.Finish(&res, chat, bot)
	// The bucket still has room for a burst here, but another process
	// must not spend it: one call per Every from the last.
	if want := t0.Add(time.Second); !res.NotBefore.Equal(want) || res.NotBefore.Location() != time.UTC {
		t.Fatalf("NotBefore %v, want %v in UTC", res.NotBefore, want)
	}
	call.DelayAll(chat, bot) // a second call at once, in the burst
	call.Finish(&res, chat, bot)
	if want := t0.Add(2 * time.Second); !res.NotBefore.Equal(want) {
		t.Fatalf("after two calls: NotBefore %v, want %v", res.NotBefore, want)
	}
	c.Add(2 * time.Second)
	call.Finish(&res, chat, bot)
	if !res.NotBefore.IsZero() {
		t.Fatalf("once the bucket is full again: NotBefore %v, want zero", res.NotBefore)
	}
	// A block on any key of the limits holds the next call too.
	call.BlockFor(bot.Key, time.Minute)
	call.Finish(&res, chat, bot)
	if want := c.Now().Add(time.Minute); !res.NotBefore.Equal(want) {
		t.Fatalf("bot blocked: NotBefore %v, want %v", res.NotBefore, want)
	}
	// Keys not given do not count.
	call.Finish(&res, chat)
	if !res.NotBefore.IsZero() {
		t.Fatalf("the chat alone: NotBefore %v, want zero", res.NotBefore)
	}
}

// TestTwoSetsAsTwoReplicas is the handover the database makes between
// two processes: the second gets the first's Blocks and is claimed no
// earlier than its NotBefore, and then keeps both the pace and the block.
func TestTwoSetsAsTwoReplicas(t *testing.T) {
	c := newClock()
	a, b := New(c.Now), New(c.Now)
	channel := Limit{Key: "mastodon:1", Every: 36 * time.Second, Burst: 300}
	app := Limit{Key: "mastodon:app:1"}

	callA := a.Begin(nil)
	if d := callA.DelayAll(channel, app); d != 0 {
		t.Fatalf("A: wait %s", d)
	}
	var resA herald.Result
	callA.BlockFor(app.Key, 5*time.Minute) // the platform said: the app waits 5 minutes
	callA.Finish(&resA, channel, app)
	if want := c.Now().Add(5 * time.Minute); !resA.NotBefore.Equal(want) {
		t.Fatalf("A's NotBefore %v, want %v (the app's block)", resA.NotBefore, want)
	}

	// B, on another channel of the app, within the block: held without a call.
	other := Limit{Key: "mastodon:2", Every: 36 * time.Second, Burst: 300}
	c.Add(time.Minute)
	callB := b.Begin(resA.Blocks)
	if d := callB.DelayAll(other, app); d != 4*time.Minute {
		t.Fatalf("B within A's block: wait %s, want 4m", d)
	}
	// At A's NotBefore, B goes on A's channel, and paces it from there.
	c.Add(4 * time.Minute)
	callB = b.Begin(resA.Blocks)
	if d := callB.DelayAll(channel, app); d != 0 {
		t.Fatalf("B at A's NotBefore: wait %s", d)
	}
	var resB herald.Result
	callB.Finish(&resB, channel, app)
	if want := c.Now().Add(36 * time.Second); !resB.NotBefore.Equal(want) || resB.Blocks != nil {
		t.Fatalf("B's NotBefore %v blocks %v, want %v and none", resB.NotBefore, resB.Blocks, want)
	}
}
