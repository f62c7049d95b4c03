package storage

import (
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

func TestRetryCancelRules(t *testing.T) {
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "acme")
	mustChannel(t, db, ws.ID, "tg", "telegram")
	mustApply(t, db, ws.ID, "p", []herald.Post{mkPost("a", 2, t0.Add(-time.Minute), "A", "tg")})
	id := deliveryIDs(t, db, ws.ID)[[2]string{"a", "tg"}]
	now := t0.Add(time.Minute)
	clockOf(db).Set(now)

	cases := []struct {
		status        herald.DeliveryStatus
		retry, cancel bool
	}{
		{herald.StatusScheduled, false, true},
		{herald.StatusRetrying, false, true},
		{herald.StatusPendingApproval, false, true},
		{herald.StatusPublishing, false, false},
		{herald.StatusPublished, false, false},
		{herald.StatusFailed, true, true},
		{herald.StatusUnknown, true, true},
		{herald.StatusMissed, true, true},
		{herald.StatusCancelled, true, false},
	}
	set := func(s herald.DeliveryStatus) {
		if _, err := exec(ctx, db.w, `UPDATE deliveries SET status = ?, error = 'boom', next_attempt_at = 0 WHERE id = ?`, string(s), id); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range cases {
		set(c.status)
		d, err := db.RetryDelivery(ctx, ws.ID, id)
		if c.retry {
			if err != nil || d.Status != herald.StatusScheduled || !d.NextAttemptAt.Equal(now) || d.Error != "" ||
				!d.DueAt.Equal(t0.Add(-time.Minute)) {
				t.Errorf("retry from %s: %+v %v", c.status, d, err)
			}
		} else {
			wantCode(t, err, herald.ECONFLICT)
			if statusOf(t, db, id) != c.status {
				t.Errorf("refused retry from %s changed the status", c.status)
			}
		}
		set(c.status)
		d, err = db.CancelDelivery(ctx, ws.ID, id)
		if c.cancel {
			if err != nil || d.Status != herald.StatusCancelled {
				t.Errorf("cancel from %s: %+v %v", c.status, d, err)
			}
		} else {
			wantCode(t, err, herald.ECONFLICT)
			if statusOf(t, db, id) != c.status {
				t.Errorf("refused cancel from %s changed the status", c.status)
			}
		}
	}

	// Retried long after its lateness window: it keeps its planned due_at,
	// the retry time is recorded, and the window counts from it, so it is
	// not missed again at once (nor an hour later).
	set(herald.StatusMissed)
	planned := t0.Add(-time.Minute)
	late := t0.Add(5 * time.Hour)
	clockOf(db).Set(late)
	d, err := db.RetryDelivery(ctx, ws.ID, id)
	if err != nil || !d.DueAt.Equal(planned) || d.RetriedAt == nil || !d.RetriedAt.Equal(late) || !d.NextAttemptAt.Equal(late) {
		t.Fatalf("late retry %+v %v", d, err)
	}
	if jobs, _ := db.ClaimDue(ctx, "w1", late.Add(time.Hour), time.Minute, 10); len(jobs) != 1 || !jobs[0].Delivery.DueAt.Equal(planned) {
		t.Fatalf("a retried missed delivery was not claimed within the window of its retry: %+v", jobs)
	}
	if rep, _ := db.PlanReport(ctx, ws.ID, "p"); len(rep) != 1 || !rep[0].DueAt.Equal(planned) {
		t.Errorf("the report does not show the planned due_at: %+v", rep)
	}

	// A cancelled delivery due in the future is not published early on retry.
	mustApply(t, db, ws.ID, "q", []herald.Post{mkPost("f", 2, late.Add(time.Hour), "F", "tg")})
	fid := deliveryIDs(t, db, ws.ID)[[2]string{"f", "tg"}]
	if _, err := db.CancelDelivery(ctx, ws.ID, fid); err != nil {
		t.Fatal(err)
	}
	if d, err := db.RetryDelivery(ctx, ws.ID, fid); err != nil || !d.NextAttemptAt.Equal(late.Add(time.Hour)) {
		t.Fatalf("future retry %+v %v", d, err)
	}
}

func TestRetryRefusedForDeletedChannelOrRemovedRow(t *testing.T) {
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "acme")
	mustChannel(t, db, ws.ID, "tg", "telegram")
	mustChannel(t, db, ws.ID, "m", "mastodon")
	mustApply(t, db, ws.ID, "p", []herald.Post{mkPost("a", 2, t0, "A", "tg"), mkPost("b", 3, t0, "B", "m")})
	ids := deliveryIDs(t, db, ws.ID)
	if err := db.DeleteChannel(ctx, ws.ID, "tg"); err != nil {
		t.Fatal(err)
	}
	_, err := db.RetryDelivery(ctx, ws.ID, ids[[2]string{"a", "tg"}])
	wantCode(t, err, herald.ECONFLICT)
	mustApply(t, db, ws.ID, "p", nil) // every row removed
	_, err = db.RetryDelivery(ctx, ws.ID, ids[[2]string{"b", "m"}])
	wantCode(t, err, herald.ECONFLICT)
}

func TestWorkspaceIsolation(t *testing.T) {
	db := MustOpenDB(t)
	mine := mustWorkspace(t, db, "mine")
	theirs := mustWorkspace(t, db, "theirs")
	mustChannel(t, db, mine.ID, "tg", "telegram")
	mustChannel(t, db, theirs.ID, "tg", "telegram")
	mustApply(t, db, mine.ID, "p", []herald.Post{mkPost("a", 2, t0, "mine", "tg")})
	mustApply(t, db, theirs.ID, "p", []herald.Post{mkPost("a", 2, t0, "theirs", "tg")})
	theirID := deliveryIDs(t, db, theirs.ID)[[2]string{"a", "tg"}]

	_, err := db.Delivery(ctx, mine.ID, theirID)
	wantCode(t, err, herald.ENOTFOUND)
	_, err = db.Attempts(ctx, mine.ID, theirID)
	wantCode(t, err, herald.ENOTFOUND)
	_, err = db.CancelDelivery(ctx, mine.ID, theirID)
	wantCode(t, err, herald.ENOTFOUND)
	_, err = db.RetryDelivery(ctx, mine.ID, theirID)
	wantCode(t, err, herald.ENOTFOUND)
	if statusOf(t, db, theirID) != herald.StatusScheduled {
		t.Fatal("another workspace's delivery changed")
	}
	if d, err := db.Delivery(ctx, theirs.ID, theirID); err != nil || d.Workspace != "theirs" {
		t.Fatalf("own delivery: %+v %v", d, err)
	}

	cal, _ := db.Calendar(ctx, mine.ID, herald.CalendarFilter{})
	if len(cal) != 1 || cal[0].Text != "mine" {
		t.Fatalf("calendar shows %+v", cal)
	}
	rep, _ := db.PlanReport(ctx, mine.ID, "p")
	if len(rep) != 1 || rep[0].DeliveryID == theirID {
		t.Fatalf("report shows %+v", rep)
	}
	// Deleting my plan leaves theirs alone.
	if n, err := db.DeletePlan(ctx, mine.ID, "p"); err != nil || n != 1 {
		t.Fatalf("delete plan: %d %v", n, err)
	}
	if statusOf(t, db, theirID) != herald.StatusScheduled {
		t.Fatal("another workspace's plan was cancelled")
	}
}

// A delivery retried late is missed once the lateness window of its retry
// passes, saying so; an edit of its row reschedules it and forgets the retry.
func TestLateRetryWindowAndReschedule(t *testing.T) {
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "acme")
	mustChannel(t, db, ws.ID, "tg", "telegram")
	mustApply(t, db, ws.ID, "p", []herald.Post{mkPost("a", 2, t0, "A", "tg")})
	id := deliveryIDs(t, db, ws.ID)[[2]string{"a", "tg"}]
	if _, err := db.ClaimDue(ctx, "w1", t0.Add(3*time.Hour), time.Minute, 0); err != nil || statusOf(t, db, id) != herald.StatusMissed {
		t.Fatalf("not missed after its window: %v %s", err, statusOf(t, db, id))
	}
	retry := t0.Add(24 * time.Hour)
	clockOf(db).Set(retry)
	if _, err := db.RetryDelivery(ctx, ws.ID, id); err != nil {
		t.Fatal(err)
	}
	// Within the retry's window (2h): still scheduled, not claimed (limit 0).
	if _, err := db.ClaimDue(ctx, "w1", retry.Add(119*time.Minute), time.Minute, 0); err != nil || statusOf(t, db, id) != herald.StatusScheduled {
		t.Fatalf("missed within the window of its retry: %v %s", err, statusOf(t, db, id))
	}
	if _, err := db.ClaimDue(ctx, "w1", retry.Add(121*time.Minute), time.Minute, 0); err != nil || statusOf(t, db, id) != herald.StatusMissed {
		t.Fatalf("not missed after the window of its retry: %v %s", err, statusOf(t, db, id))
	}
	d, _ := db.Delivery(ctx, ws.ID, id)
	if !d.DueAt.Equal(t0) || !strings.Contains(d.Error, "retried at "+retry.Format(time.RFC3339)) {
		t.Errorf("missed after a retry: due %s, error %q", d.DueAt, d.Error)
	}

	// Retried again, then the row is edited to a new time: due at it, retry forgotten.
	clockOf(db).Set(retry.Add(3 * time.Hour))
	if _, err := db.RetryDelivery(ctx, ws.ID, id); err != nil {
		t.Fatal(err)
	}
	moved := retry.Add(48 * time.Hour)
	mustApply(t, db, ws.ID, "p", []herald.Post{mkPost("a", 2, moved, "A", "tg")})
	if d, _ := db.Delivery(ctx, ws.ID, id); !d.DueAt.Equal(moved) || d.RetriedAt != nil || !d.NextAttemptAt.Equal(moved) {
		t.Errorf("rescheduled by an edit: due %s, retried %v, next %s", d.DueAt, d.RetriedAt, d.NextAttemptAt)
	}
}
