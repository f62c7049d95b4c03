package storage

import (
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// A reauth outcome holds the delivery (scheduled, not failed) and marks the
// channel needs_reauth; the claim skips the channel until new credentials
// arrive, then the held delivery goes out with them.
func TestReauthHoldsUntilNewCredentials(t *testing.T) {
	db, ws, jobs := oneClaimed(t)
	tg := jobs["tg"]
	mustApply(t, db, ws.ID, "q", []herald.Post{mkPost("c", 2, t0.Add(time.Minute), "C", "tg")})
	fin := t0.Add(time.Second)
	res := herald.Result{Outcome: herald.OutcomeReauth, Reason: "Unauthorized (the bot token was refused)", Request: "sendMessage"}
	if err := db.Complete(ctx, "w1", tg, res, fin, time.Time{}); err != nil {
		t.Fatal(err)
	}
	d, _ := db.Delivery(ctx, ws.ID, tg.Delivery.ID)
	if d.Status != herald.StatusScheduled || d.Error != res.Reason || d.LeaseOwner != "" || d.Attempts != 1 {
		t.Fatalf("held delivery %+v", d)
	}
	atts, _ := db.Attempts(ctx, ws.ID, tg.Delivery.ID)
	if len(atts) != 1 || atts[0].Outcome != herald.OutcomeReauth || atts[0].Error != res.Reason || atts[0].FinishedAt.IsZero() {
		t.Fatalf("attempts %+v", atts)
	}
	ch, _ := db.Channel(ctx, ws.ID, "tg")
	if ch.Status != herald.ChannelNeedsReauth || ch.StatusReason != res.Reason {
		t.Fatalf("channel status %q %q", ch.Status, ch.StatusReason)
	}
	if other, _ := db.Channel(ctx, ws.ID, "masto"); other.Status != herald.ChannelActive {
		t.Fatalf("other channel status %q", other.Status)
	}

	// Held: nothing of tg is claimed, nor shown as next due, even when due.
	later := t0.Add(2 * time.Minute)
	if got, err := db.ClaimDue(ctx, "w1", later, time.Minute, 10); err != nil || len(got) != 0 {
		t.Fatalf("claimed from a needs_reauth channel: %v %v", got, err)
	}
	if _, ok, err := db.NextDue(ctx); err != nil || ok {
		t.Fatalf("NextDue shows a held delivery: ok=%v err=%v", ok, err)
	}

	// A PATCH without credentials keeps the channel held.
	ch.Credentials = nil
	ch.Config["chat_id"] = "@tg2"
	if err := db.UpdateChannel(ctx, ch); err != nil {
		t.Fatal(err)
	}
	if ch, _ = db.Channel(ctx, ws.ID, "tg"); ch.Status != herald.ChannelNeedsReauth {
		t.Fatalf("status after an update without credentials: %q", ch.Status)
	}
	if got, _ := db.ClaimDue(ctx, "w1", later, time.Minute, 10); len(got) != 0 {
		t.Fatalf("claimed after an update without credentials: %v", got)
	}

	// New credentials: active again, and the held delivery comes first.
	ch.Credentials = map[string]string{"bot_token": "456:NEW"}
	if err := db.UpdateChannel(ctx, ch); err != nil {
		t.Fatal(err)
	}
	if ch.Status != herald.ChannelActive || ch.StatusReason != "" {
		t.Fatalf("updated channel %q %q", ch.Status, ch.StatusReason)
	}
	got, err := db.ClaimDue(ctx, "w1", later, time.Minute, 10)
	if err != nil || len(got) != 1 || got[0].Delivery.ID != tg.Delivery.ID || got[0].Attempt != 2 ||
		got[0].Channel.Credentials["bot_token"] != "456:NEW" || got[0].Channel.Status != herald.ChannelActive {
		t.Fatalf("claim after new credentials: %+v %v", got, err)
	}
}

// Held deliveries still become missed past their lateness window.
func TestReauthHeldDeliveryMissed(t *testing.T) {
	db, ws, jobs := oneClaimed(t)
	tg := jobs["tg"]
	if err := db.Complete(ctx, "w1", tg, herald.Result{Outcome: herald.OutcomeReauth}, t0, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if d, _ := db.Delivery(ctx, ws.ID, tg.Delivery.ID); d.Error == "" {
		t.Fatalf("no reason recorded for a reauth without one: %+v", d)
	}
	if _, err := db.ClaimDue(ctx, "w1", t0.Add(herald.DefaultMaxLateness+time.Minute), time.Minute, 10); err != nil {
		t.Fatal(err)
	}
	if s := statusOf(t, db, tg.Delivery.ID); s != herald.StatusMissed {
		t.Fatalf("status %s, want missed", s)
	}
}

func TestUpdateChannelCredentialsMerges(t *testing.T) {
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "acme")
	ch := &herald.Channel{WorkspaceID: ws.ID, Name: "x", Platform: "x",
		Credentials: map[string]string{"access_token": "a1", "refresh_token": "r1", "client_id": "c"}}
	if err := db.CreateChannel(ctx, ch); err != nil {
		t.Fatal(err)
	}
	before, _ := db.Channel(ctx, ws.ID, "x")
	if before.Status != herald.ChannelActive {
		t.Fatalf("new channel status %q", before.Status)
	}
	// Warm the claim cache, which must see the change (version bump).
	if _, err := cachedChannels(db, ch.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.UpdateChannelCredentials(ctx, ch.ID, map[string]string{"access_token": "a2", "refresh_token": "r2"}); err != nil {
		t.Fatal(err)
	}
	after, _ := db.Channel(ctx, ws.ID, "x")
	want := map[string]string{"access_token": "a2", "refresh_token": "r2", "client_id": "c"}
	for k, v := range want {
		if after.Credentials[k] != v {
			t.Errorf("credential %s = %q, want %q", k, after.Credentials[k], v)
		}
	}
	cached, err := cachedChannels(db, ch.ID)
	if err != nil || cached[ch.ID].Credentials["access_token"] != "a2" {
		t.Fatalf("claim cache kept old credentials: %v", err)
	}
	wantCode(t, db.UpdateChannelCredentials(ctx, 999, map[string]string{"a": "b"}), herald.ENOTFOUND)
}

func TestUnknownDeliveriesAndResolve(t *testing.T) {
	db, ws, jobs := oneClaimed(t)
	tg, masto := jobs["tg"], jobs["masto"]
	for _, j := range []herald.Job{tg, masto} {
		if err := db.Complete(ctx, "w1", j, herald.Result{Outcome: herald.OutcomeUnknown, Reason: "timeout after sending"}, t0, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.UnknownDeliveries(ctx, 10)
	if err != nil || len(got) != 2 {
		t.Fatalf("unknown deliveries %+v %v", got, err)
	}
	j := got[0]
	if j.Delivery.ID != tg.Delivery.ID || j.Attempt != 1 || j.Message.Text != "A" || j.Channel.Credentials["bot_token"] != "123:SECRET-tg" ||
		j.Delivery.Workspace != "acme" || j.Delivery.DueAt != t0 {
		t.Fatalf("first unknown job %+v", j)
	}
	if got, _ := db.UnknownDeliveries(ctx, 1); len(got) != 1 || got[0].Delivery.ID != tg.Delivery.ID {
		t.Fatalf("limit 1: %+v", got)
	}

	at := t0.Add(10 * time.Minute)
	res := herald.Result{Outcome: herald.OutcomePublished, RemoteID: "109", URL: "https://masto.example/@acme/109", Response: `{"id":"109"}`}
	if err := db.ResolveUnknown(ctx, tg.Delivery.ID, res, at); err != nil {
		t.Fatal(err)
	}
	d, _ := db.Delivery(ctx, ws.ID, tg.Delivery.ID)
	if d.Status != herald.StatusPublished || d.RemoteID != "109" || d.URL != res.URL || d.PublishedAt == nil || !d.PublishedAt.Equal(at) ||
		d.Error != "" || d.Attempts != 2 {
		t.Fatalf("resolved delivery %+v", d)
	}
	atts, _ := db.Attempts(ctx, ws.ID, tg.Delivery.ID)
	if len(atts) != 2 || atts[1].Number != 2 || atts[1].Outcome != herald.OutcomePublished || atts[1].RemoteID != "109" ||
		!strings.Contains(atts[1].Request, "reconciled") || atts[1].Response != res.Response {
		t.Fatalf("attempts %+v", atts)
	}
	wantCode(t, db.ResolveUnknown(ctx, tg.Delivery.ID, res, at), herald.ECONFLICT)
	wantCode(t, db.ResolveUnknown(ctx, 999, res, at), herald.ENOTFOUND)
	wantCode(t, db.ResolveUnknown(ctx, masto.Delivery.ID, herald.Result{Outcome: herald.OutcomeFailed}, at), herald.EINVALID)

	// Deleted channels are not looked up.
	if err := db.DeleteChannel(ctx, ws.ID, "masto"); err != nil {
		t.Fatal(err)
	}
	if got, err := db.UnknownDeliveries(ctx, 10); err != nil || len(got) != 0 {
		t.Fatalf("after resolve and delete: %+v %v", got, err)
	}
}

// Newest unknowns come first and old ones are left out, so a pile of old
// unknowns that can never be found does not starve the new ones.
func TestUnknownDeliveriesNewestFirstWithinWindow(t *testing.T) {
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "acme")
	mustChannel(t, db, ws.ID, "tg", "telegram")
	mustApply(t, db, ws.ID, "p", []herald.Post{
		mkPost("old", 2, t0.Add(-ReconcileWindow-time.Hour), "x", "tg"),
		mkPost("mid", 3, t0.Add(-2*time.Hour), "y", "tg"),
		mkPost("new", 4, t0.Add(-time.Hour), "z", "tg"),
	})
	for _, at := range []time.Time{t0.Add(-ReconcileWindow - time.Hour), t0.Add(-2 * time.Hour), t0.Add(-time.Hour)} {
		jobs, err := db.ClaimDue(ctx, "w1", at, time.Minute, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range jobs {
			if err := db.Complete(ctx, "w1", j, herald.Result{Outcome: herald.OutcomeUnknown, Reason: "lost"}, t0, time.Time{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	got, err := db.UnknownDeliveries(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, j := range got {
		keys = append(keys, j.Delivery.PostKey)
	}
	if strings.Join(keys, ",") != "mid,new" {
		t.Fatalf("unknown deliveries %v, want mid,new (old is outside the window)", keys)
	}
	if got, _ := db.UnknownDeliveries(ctx, 1); len(got) != 1 || got[0].Delivery.PostKey != "new" {
		t.Fatalf("limit 1 takes %+v, want the newest", got)
	}
}

func TestUnknownDeliveriesSkipNeedsReauth(t *testing.T) {
	db, _, jobs := oneClaimed(t)
	if err := db.Complete(ctx, "w1", jobs["tg"], herald.Result{Outcome: herald.OutcomeUnknown}, t0, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := db.Complete(ctx, "w1", jobs["masto"], herald.Result{Outcome: herald.OutcomeReauth, Reason: "401"}, t0, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := exec(ctx, db.w, `UPDATE deliveries SET status = 'unknown' WHERE id = ?`, jobs["masto"].Delivery.ID); err != nil {
		t.Fatal(err)
	}
	got, err := db.UnknownDeliveries(ctx, 10)
	if err != nil || len(got) != 1 || got[0].Channel.Name != "tg" {
		t.Fatalf("unknown deliveries %+v %v", got, err)
	}
}

func TestThrottledAttempts(t *testing.T) {
	db, ws, jobs := oneClaimed(t)
	tg := jobs["tg"]
	retry := herald.Result{Outcome: herald.OutcomeRetry, Throttled: true, RetryAfter: time.Minute, Reason: "429"}
	if err := db.Complete(ctx, "w1", tg, retry, t0, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	again, err := db.ClaimDue(ctx, "w1", t0.Add(time.Minute), time.Minute, 10)
	if err != nil || len(again) != 1 {
		t.Fatalf("reclaim %v %v", again, err)
	}
	if err := db.Complete(ctx, "w1", again[0], herald.Result{Outcome: herald.OutcomeRetry, Reason: "503"}, t0, t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n, err := db.ThrottledAttempts(ctx, tg.Delivery.ID); err != nil || n != 1 {
		t.Fatalf("throttled attempts = %d %v, want 1", n, err)
	}
	if d, _ := db.Delivery(ctx, ws.ID, tg.Delivery.ID); d.Attempts != 2 {
		t.Fatalf("attempts %d", d.Attempts)
	}
}

// cachedChannels reads the channels through the claim cache, with their
// current versions as loadJobs reads them.
func cachedChannels(db *DB, ids ...int64) (map[int64]herald.Channel, error) {
	versions := map[int64]int64{}
	for _, id := range ids {
		var v int64
		if err := get(ctx, db.r, &v, `SELECT version FROM channels WHERE id = ?`, id); err != nil {
			return nil, err
		}
		versions[id] = v
	}
	return db.channelsByID(ctx, db.r, versions)
}
