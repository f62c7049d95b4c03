package storage

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

func claimKeys(jobs []herald.Job) string {
	var ks []string
	for _, j := range jobs {
		ks = append(ks, j.Delivery.PostKey+"@"+j.Channel.Name)
	}
	return strings.Join(ks, " ")
}

func TestClaimDueOnePerChannelInDueOrder(t *testing.T) {
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "acme")
	mustChannel(t, db, ws.ID, "tg", "telegram")
	mustChannel(t, db, ws.ID, "masto", "mastodon")
	mustApply(t, db, ws.ID, "p", []herald.Post{
		mkPost("tg-late", 2, t0.Add(-1*time.Minute), "x", "tg"),
		mkPost("tg-early", 3, t0.Add(-2*time.Minute), "x", "tg"),
		mkPost("m1", 4, t0.Add(-3*time.Minute), "x", "masto"),
		mkPost("m2", 5, t0.Add(-3*time.Minute), "x", "masto"), // same due time: lower id first
		mkPost("future", 6, t0.Add(time.Hour), "x", "tg"),
		{Key: "v", Row: 7, DueAt: t0.Add(-1 * time.Minute), Channels: []string{"masto"}, Text: "plain",
			Variants: map[string]herald.Variant{"mastodon": {Text: "for mastodon"}}},
	})
	if _, ok, _ := db.NextDue(ctx); !ok {
		t.Fatal("NextDue: none")
	}
	if next, _, _ := db.NextDue(ctx); !next.Equal(t0.Add(-3 * time.Minute)) {
		t.Fatalf("NextDue = %v", next)
	}

	jobs, err := db.ClaimDue(ctx, "w1", t0, time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	if got := claimKeys(jobs); got != "m1@masto tg-early@tg" {
		t.Fatalf("claimed %s", got)
	}
	j := jobs[1]
	if j.Attempt != 1 || j.Delivery.Attempts != 1 || j.Delivery.Status != herald.StatusPublishing || j.Delivery.LeaseOwner != "w1" ||
		!j.Delivery.LeaseUntil.Equal(t0.Add(time.Minute)) || j.Delivery.Workspace != "acme" || j.Delivery.PlanKey != "p" ||
		j.Channel.Credentials["bot_token"] != "123:SECRET-tg" || j.Message.Text != "x" || j.Delivery.IdempotencyKey == "" {
		t.Fatalf("job %+v", j)
	}
	atts, _ := db.Attempts(ctx, ws.ID, j.Delivery.ID)
	if len(atts) != 1 || atts[0].Number != 1 || !atts[0].StartedAt.Equal(t0) || atts[0].Outcome != "" {
		t.Fatalf("attempts %+v", atts)
	}

	// Both channels are publishing: nothing more until they finish.
	if jobs2, err := db.ClaimDue(ctx, "w2", t0, time.Minute, 10); err != nil || len(jobs2) != 0 {
		t.Fatalf("claimed while the channel publishes: %s %v", claimKeys(jobs2), err)
	}
	for _, j := range jobs {
		if err := db.Complete(ctx, "w1", j, herald.Result{Outcome: herald.OutcomePublished, RemoteID: "1"}, t0, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	var order []string
	for range 4 {
		got := publish(t, db, t0)
		order = append(order, claimKeys(got))
	}
	if got := strings.Join(order, " | "); got != "m2@masto tg-late@tg | v@masto |  | " {
		t.Fatalf("then %s", got)
	}
	d := deliveryIDs(t, db, ws.ID)
	if statusOf(t, db, d[[2]string{"future", "tg"}]) != herald.StatusScheduled {
		t.Fatal("a future delivery was claimed")
	}
	if jobs := publish(t, db, t0.Add(time.Hour)); len(jobs) != 1 || jobs[0].Delivery.PostKey != "future" {
		t.Fatalf("at its time: %s", claimKeys(jobs))
	}
	if _, ok, _ := db.NextDue(ctx); ok {
		t.Fatal("NextDue with nothing waiting")
	}
}

func TestClaimDueMessageVariantAndLimit(t *testing.T) {
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "acme")
	var posts []herald.Post
	for i := range 5 {
		name := fmt.Sprintf("ch%d", i)
		mustChannel(t, db, ws.ID, name, "mastodon")
		p := mkPost("k"+name, i+2, t0.Add(-time.Duration(i)*time.Second), "plain", name)
		p.Variants = map[string]herald.Variant{"mastodon": {Text: "for mastodon"}, "telegram": {Text: "for telegram"}}
		posts = append(posts, p)
	}
	mustApply(t, db, ws.ID, "p", posts)
	jobs, err := db.ClaimDue(ctx, "w1", t0, time.Minute, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got := claimKeys(jobs); got != "kch4@ch4 kch3@ch3" {
		t.Fatalf("limit 2 claimed %s", got)
	}
	if jobs[0].Message.Text != "for mastodon" {
		t.Fatalf("message %+v", jobs[0].Message)
	}
}

func TestClaimDueMarksMissed(t *testing.T) {
	db := MustOpenDB(t)
	strict := mustWorkspace(t, db, "strict")
	strict.MaxLateness = herald.Duration(10 * time.Minute)
	if err := db.UpdateWorkspace(ctx, strict); err != nil {
		t.Fatal(err)
	}
	lax := mustWorkspace(t, db, "lax") // default window, 2h
	mustChannel(t, db, strict.ID, "a", "outbox")
	mustChannel(t, db, strict.ID, "b", "outbox")
	mustChannel(t, db, lax.ID, "a", "outbox")
	mustApply(t, db, strict.ID, "p", []herald.Post{
		mkPost("old", 2, t0.Add(-11*time.Minute), "x", "a"),
		mkPost("recent", 3, t0.Add(-9*time.Minute), "x", "b"),
	})
	mustApply(t, db, lax.ID, "p", []herald.Post{
		mkPost("hour", 2, t0.Add(-time.Hour), "x", "a"),
		mkPost("day", 3, t0.Add(-3*time.Hour), "x", "a"),
	})
	jobs, err := db.ClaimDue(ctx, "w1", t0, time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	if got := claimKeys(jobs); got != "hour@a recent@b" {
		t.Fatalf("claimed %s", got)
	}
	ids := deliveryIDs(t, db, strict.ID)
	old, _ := db.Delivery(ctx, strict.ID, ids[[2]string{"old", "a"}])
	if old.Status != herald.StatusMissed || !strings.HasPrefix(old.Error, "missed: due at 2026-12-01T09:49:00Z and not published within the lateness window") {
		t.Fatalf("old: %s %q", old.Status, old.Error)
	}
	lids := deliveryIDs(t, db, lax.ID)
	if s := statusOf(t, db, lids[[2]string{"day", "a"}]); s != herald.StatusMissed {
		t.Fatalf("3h late in a 2h window: %s", s)
	}
}

// TestClaimConcurrent runs many claimers and completers at once: every
// delivery is claimed exactly once, a channel never has two publishing, and
// each channel's deliveries go out in due order.
func TestClaimConcurrent(t *testing.T) {
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "acme")
	const channels, perChannel, workers = 20, 10, 16
	var posts []herald.Post
	for c := range channels {
		mustChannel(t, db, ws.ID, fmt.Sprintf("ch%02d", c), "outbox")
		for i := range perChannel {
			due := t0.Add(-time.Duration(perChannel-i) * time.Second)
			posts = append(posts, mkPost(fmt.Sprintf("c%02d-%02d", c, i), len(posts)+2, due, "x", fmt.Sprintf("ch%02d", c)))
		}
	}
	mustApply(t, db, ws.ID, "p", posts)

	var mu sync.Mutex
	claimed := map[int64]int{}
	// busy: claimed, Complete not yet called, so still publishing in the
	// database — no claim may take the channel. Once Complete is called it
	// may commit at any moment, so the channel is no longer watched.
	busy := map[string]bool{}
	lastKey := map[string]string{}
	var errs []string
	var wg sync.WaitGroup
	deadline := time.Now().Add(30 * time.Second)
	for w := range workers {
		wg.Go(func() {
			owner := fmt.Sprintf("worker-%d", w)
			for time.Now().Before(deadline) {
				jobs, err := db.ClaimDue(ctx, owner, t0, time.Minute, 3)
				if err != nil {
					mu.Lock()
					errs = append(errs, err.Error())
					mu.Unlock()
					return
				}
				mu.Lock()
				done := len(claimed) == channels*perChannel
				for _, j := range jobs {
					claimed[j.Delivery.ID]++
					if busy[j.Channel.Name] {
						errs = append(errs, "two publishing on "+j.Channel.Name)
					}
					busy[j.Channel.Name] = true
					if k := j.Delivery.PostKey; k < lastKey[j.Channel.Name] {
						errs = append(errs, "out of order on "+j.Channel.Name)
					} else {
						lastKey[j.Channel.Name] = k
					}
				}
				mu.Unlock()
				if done && len(jobs) == 0 {
					return
				}
				for _, j := range jobs {
					mu.Lock()
					busy[j.Channel.Name] = false
					mu.Unlock()
					res := herald.Result{Outcome: herald.OutcomePublished, RemoteID: "r"}
					if err := db.Complete(ctx, owner, j, res, t0, time.Time{}); err != nil {
						mu.Lock()
						errs = append(errs, err.Error())
						mu.Unlock()
					}
				}
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d errors, first: %s", len(errs), errs[0])
	}
	if len(claimed) != channels*perChannel {
		t.Fatalf("claimed %d distinct deliveries, want %d", len(claimed), channels*perChannel)
	}
	for id, n := range claimed {
		if n != 1 {
			t.Fatalf("delivery %d claimed %d times", id, n)
		}
	}
	var published int
	get(ctx, db.w, &published, `SELECT COUNT(*) FROM deliveries WHERE status = 'published' AND attempts = 1`)
	if published != channels*perChannel {
		t.Fatalf("published %d", published)
	}
}

// TestClaimHeadWaits: a channel's earliest delivery waiting for its retry
// time holds back the later ones, even when those are due.
func TestClaimHeadWaits(t *testing.T) {
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "acme")
	mustChannel(t, db, ws.ID, "tg", "telegram")
	mustApply(t, db, ws.ID, "p", []herald.Post{
		mkPost("first", 2, t0.Add(-10*time.Minute), "x", "tg"),
		mkPost("second", 3, t0.Add(-5*time.Minute), "x", "tg"),
	})
	jobs, _ := db.ClaimDue(ctx, "w1", t0.Add(-10*time.Minute), time.Minute, 10)
	if len(jobs) != 1 || jobs[0].Delivery.PostKey != "first" {
		t.Fatalf("claimed %s", claimKeys(jobs))
	}
	if err := db.Complete(ctx, "w1", jobs[0], herald.Result{Outcome: herald.OutcomeRetry, Reason: "429"}, t0, t0.Add(5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if jobs, _ := db.ClaimDue(ctx, "w1", t0, time.Minute, 10); len(jobs) != 0 {
		t.Fatalf("overtook the waiting head: %s", claimKeys(jobs))
	}
	// The head's retry time is what comes next, not the due delivery behind it.
	if next, ok, _ := db.NextDue(ctx); !ok || !next.Equal(t0.Add(5*time.Minute)) {
		t.Fatalf("NextDue = %v %v, want the head's retry time", next, ok)
	}
	jobs, _ = db.ClaimDue(ctx, "w1", t0.Add(5*time.Minute), time.Minute, 10)
	if len(jobs) != 1 || jobs[0].Delivery.PostKey != "first" || jobs[0].Attempt != 2 {
		t.Fatalf("at the retry time: %s", claimKeys(jobs))
	}
}

// TestNextDueIgnoresBlockedDeliveries: deliveries queued behind a channel
// that is publishing do not hide another channel's later delivery.
func TestNextDueIgnoresBlockedDeliveries(t *testing.T) {
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "acme")
	mustChannel(t, db, ws.ID, "busy", "telegram")
	mustChannel(t, db, ws.ID, "idle", "telegram")
	mustApply(t, db, ws.ID, "p", []herald.Post{
		mkPost("b1", 2, t0.Add(-2*time.Minute), "x", "busy"),
		mkPost("b2", 3, t0.Add(-1*time.Minute), "x", "busy"),
		mkPost("i1", 4, t0.Add(10*time.Minute), "x", "idle"),
	})
	if jobs, _ := db.ClaimDue(ctx, "w1", t0, time.Minute, 10); len(jobs) != 1 || jobs[0].Delivery.PostKey != "b1" {
		t.Fatalf("claimed %s", claimKeys(jobs))
	}
	if next, ok, _ := db.NextDue(ctx); !ok || !next.Equal(t0.Add(10*time.Minute)) {
		t.Fatalf("NextDue = %v %v, want the idle channel's delivery at %v", next, ok, t0.Add(10*time.Minute))
	}
}

// TestClaimSeesChannelChanges: jobs carry the channel as it is now, not as
// an earlier claim saw it.
func TestClaimSeesChannelChanges(t *testing.T) {
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "acme")
	ch := mustChannel(t, db, ws.ID, "tg", "telegram")
	mustApply(t, db, ws.ID, "p", []herald.Post{mkPost("a", 2, t0, "x", "tg"), mkPost("b", 3, t0, "x", "tg"), mkPost("c", 4, t0, "x", "tg"), mkPost("d", 5, t0, "x", "tg"), mkPost("e", 6, t0, "x", "tg")})
	jobs, _ := db.ClaimDue(ctx, "w1", t0, time.Minute, 10)
	res := herald.Result{Outcome: herald.OutcomePublished, ConfigUpdate: map[string]any{"chat_id": "-100999"}}
	if err := db.Complete(ctx, "w1", jobs[0], res, t0, time.Time{}); err != nil {
		t.Fatal(err)
	}
	jobs, _ = db.ClaimDue(ctx, "w1", t0, time.Minute, 10)
	if len(jobs) != 1 || jobs[0].Channel.ConfigString("chat_id") != "-100999" {
		t.Fatalf("config after migrate: %+v", jobs)
	}
	upd, _ := db.Channel(ctx, ws.ID, "tg")
	upd.Credentials = map[string]string{"bot_token": "rotated"}
	if err := db.UpdateChannel(ctx, upd); err != nil {
		t.Fatal(err)
	}
	if err := db.Complete(ctx, "w1", jobs[0], herald.Result{Outcome: herald.OutcomePublished}, t0, time.Time{}); err != nil {
		t.Fatal(err)
	}
	jobs, _ = db.ClaimDue(ctx, "w1", t0, time.Minute, 10)
	if len(jobs) != 1 || jobs[0].Channel.Credentials["bot_token"] != "rotated" || jobs[0].Channel.ConfigString("chat_id") != "-100999" || jobs[0].Channel.ID != ch.ID {
		t.Fatalf("channel after update: %+v", jobs[0].Channel)
	}
	// A caller changing its copy changes nothing for the next jobs.
	for range 2 {
		jobs[0].Channel.Config["chat_id"] = "mutated"
		jobs[0].Channel.Credentials["bot_token"] = "mutated"
		if err := db.Complete(ctx, "w1", jobs[0], herald.Result{Outcome: herald.OutcomePublished}, t0, time.Time{}); err != nil {
			t.Fatal(err)
		}
		jobs, _ = db.ClaimDue(ctx, "w1", t0, time.Minute, 10)
		if len(jobs) != 1 || jobs[0].Channel.Credentials["bot_token"] != "rotated" || jobs[0].Channel.ConfigString("chat_id") != "-100999" {
			t.Fatalf("channel after a caller changed its copy: %+v", jobs[0].Channel)
		}
	}
}
