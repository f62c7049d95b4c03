package storage

import (
	"maps"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

func rawState(t *testing.T, db *DB, id int64) string {
	t.Helper()
	var s string
	if err := get(ctx, db.r, &s, `SELECT platform_state FROM deliveries WHERE id = ?`, id); err != nil {
		t.Fatal(err)
	}
	return s
}

// State saved while publishing merges, comes back with the next claim,
// cannot be written once the delivery left publishing, and is cleared when
// the content changes.
func TestDeliveryStateRoundTrip(t *testing.T) {
	db, ws, jobs := oneClaimed(t)
	tg := jobs["tg"]
	if tg.Delivery.PlatformState != nil {
		t.Fatalf("fresh delivery has state %v", tg.Delivery.PlatformState)
	}
	if err := db.SaveDeliveryState(ctx, tg.Delivery.ID, map[string]string{"container_id": "c1", "step": "1"}); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveDeliveryState(ctx, tg.Delivery.ID, map[string]string{"step": "2"}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"container_id": "c1", "step": "2"}
	retry := herald.Result{Outcome: herald.OutcomeRetry, Reason: "503"}
	if err := db.Complete(ctx, "w1", tg, retry, t0, t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	wantCode(t, db.SaveDeliveryState(ctx, tg.Delivery.ID, map[string]string{"step": "3"}), herald.ECONFLICT)
	wantCode(t, db.SaveDeliveryState(ctx, 999, map[string]string{"step": "3"}), herald.ENOTFOUND)

	got, err := db.ClaimDue(ctx, "w1", t0.Add(time.Minute), time.Minute, 10)
	if err != nil || len(got) != 1 || got[0].Delivery.ID != tg.Delivery.ID {
		t.Fatalf("claim: %+v %v", got, err)
	}
	if !maps.Equal(got[0].Delivery.PlatformState, want) {
		t.Fatalf("claimed state %v, want %v", got[0].Delivery.PlatformState, want)
	}
	if err := db.Complete(ctx, "w1", got[0], retry, t0.Add(time.Minute), t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}

	// A content change clears it.
	mustApply(t, db, ws.ID, "p", []herald.Post{mkPost("a", 2, t0, "A changed", "tg"), mkPost("b", 3, t0, "B", "masto")})
	if s := rawState(t, db, tg.Delivery.ID); s != "{}" {
		t.Fatalf("state after a content change %s", s)
	}
	got, err = db.ClaimDue(ctx, "w1", t0.Add(time.Minute), time.Minute, 10)
	if err != nil || len(got) != 1 || got[0].Delivery.ID != tg.Delivery.ID || got[0].Delivery.PlatformState != nil {
		t.Fatalf("claim after a change: %+v %v", got, err)
	}
}

// Publishing clears the state; unknown deliveries carry theirs to the reconciler.
func TestDeliveryStatePublishedAndUnknown(t *testing.T) {
	db, _, jobs := oneClaimed(t)
	tg, masto := jobs["tg"], jobs["masto"]
	for _, j := range []herald.Job{tg, masto} {
		if err := db.SaveDeliveryState(ctx, j.Delivery.ID, map[string]string{"container_id": "c"}); err != nil {
			t.Fatal(err)
		}
	}
	pub := herald.Result{Outcome: herald.OutcomePublished, RemoteID: "1", URL: "https://example.com/1"}
	if err := db.Complete(ctx, "w1", tg, pub, t0, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if s := rawState(t, db, tg.Delivery.ID); s != "{}" {
		t.Fatalf("state after publishing %s", s)
	}
	if err := db.Complete(ctx, "w1", masto, herald.Result{Outcome: herald.OutcomeUnknown, Reason: "timeout"}, t0, time.Time{}); err != nil {
		t.Fatal(err)
	}
	unk, err := db.UnknownDeliveries(ctx, 10)
	if err != nil || len(unk) != 1 || unk[0].Delivery.PlatformState["container_id"] != "c" {
		t.Fatalf("unknown deliveries %+v %v", unk, err)
	}
}
