package scheduler

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/storage"
	"github.com/rs/zerolog"
)

// testStore is the real store, a migrated SQLite file in a temp directory
// holding one workspace "ws", with the helpers the tests use to put
// deliveries in the states they start from. Every state is reached through
// the store's public API: plans are applied, earlier or dead processes claim
// with ClaimDue and complete (or never do), nothing writes SQL.
type testStore struct {
	*storage.DB
	t     testing.TB
	wsID  int64
	plans int // each add is a plan of its own: applying one never touches another's rows
}

// newStore opens the store with now as its clock (herald.Now when nil);
// pin it wherever dates matter (the reconcile window, the lateness window).
func newStore(t testing.TB, now func() time.Time) *testStore {
	t.Helper()
	db, err := storage.Open(filepath.Join(t.TempDir(), "herald.db"),
		storage.Options{SecretKey: make([]byte, 32), Now: now, Logger: zerolog.Nop(), Node: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	ctx := context.Background()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	ws := &herald.Workspace{Slug: "ws", Name: "Test", Timezone: "UTC"}
	if err := db.CreateWorkspace(ctx, ws); err != nil {
		t.Fatal(err)
	}
	return &testStore{DB: db, t: t, wsID: ws.ID}
}

// channel creates the channel (of platform, with the credentials
// token=SECRET-TOKEN) unless it exists.
func (st *testStore) channel(name, platform string) {
	st.t.Helper()
	ctx := context.Background()
	if ch, err := st.Channel(ctx, st.wsID, name); err == nil {
		if ch.Platform != platform {
			st.t.Fatalf("channel %s is %s, not %s", name, ch.Platform, platform)
		}
		return
	} else if herald.ErrorCode(err) != herald.ENOTFOUND {
		st.t.Fatal(err)
	}
	if err := st.CreateChannel(ctx, &herald.Channel{WorkspaceID: st.wsID, Name: name, Platform: platform, Timezone: "UTC",
		Credentials: map[string]string{"token": "SECRET-TOKEN"}}); err != nil {
		st.t.Fatal(err)
	}
}

// apply applies posts (on channels that exist) as one new plan and returns
// the ids of its deliveries in creation order: post by post, each post's
// channels in name order.
func (st *testStore) apply(posts ...herald.Post) []int64 {
	st.t.Helper()
	ctx := context.Background()
	st.plans++
	key := fmt.Sprintf("p%d", st.plans)
	for i := range posts {
		p := &posts[i]
		p.Row = i + 2
		if p.Key == "" {
			p.Key = fmt.Sprintf("r%d", i+1)
		}
		if p.At == "" {
			p.At = p.DueAt.Format(time.RFC3339Nano)
		}
	}
	if _, err := st.ApplyPlan(ctx, st.wsID, herald.Plan{Key: key}, posts, false); err != nil {
		st.t.Fatalf("apply plan: %v", err)
	}
	rows, err := st.PlanReport(ctx, st.wsID, key)
	if err != nil {
		st.t.Fatal(err)
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.DeliveryID
	}
	slices.Sort(ids)
	return ids
}

// add schedules a delivery of text on channel (of platform, created when
// missing) due at due, and returns its id. The store keeps times to the
// millisecond: pass a due time truncated to it where the exact instant matters.
func (st *testStore) add(channel, platform string, due time.Time, text string) int64 {
	st.t.Helper()
	st.channel(channel, platform)
	ids := st.apply(herald.Post{DueAt: due, Channels: []string{channel}, Text: text})
	if len(ids) != 1 {
		st.t.Fatalf("applied one post on %s: deliveries %v", channel, ids)
	}
	return ids[0]
}

func (st *testStore) get(id int64) herald.Delivery {
	st.t.Helper()
	d, err := st.Delivery(context.Background(), st.wsID, id)
	if err != nil {
		st.t.Fatalf("delivery %d: %v", id, err)
	}
	return *d
}

func (st *testStore) status(id int64) herald.DeliveryStatus {
	st.t.Helper()
	return st.get(id).Status
}

func (st *testStore) attemptsOf(id int64) []herald.Attempt {
	st.t.Helper()
	a, err := st.Attempts(context.Background(), st.wsID, id)
	if err != nil {
		st.t.Fatalf("attempts of %d: %v", id, err)
	}
	return a
}

// count returns how many deliveries of the workspace are in status.
func (st *testStore) count(status herald.DeliveryStatus) int {
	st.t.Helper()
	d, err := st.Calendar(context.Background(), st.wsID, herald.CalendarFilter{Status: status, Limit: 1 << 20})
	if err != nil {
		st.t.Fatal(err)
	}
	return len(d)
}

// claimAs claims, as the process owner at now with lease, exactly the
// delivery id (the only one claimable then) and returns its job: how another
// process, alive or about to die, comes to hold a delivery.
func (st *testStore) claimAs(owner string, now time.Time, lease time.Duration, id int64) herald.Job {
	st.t.Helper()
	jobs, err := st.ClaimDue(context.Background(), owner, now, lease, 100)
	if err != nil {
		st.t.Fatalf("claim as %s: %v", owner, err)
	}
	if len(jobs) != 1 || jobs[0].Delivery.ID != id {
		got := make([]int64, len(jobs))
		for i, j := range jobs {
			got[i] = j.Delivery.ID
		}
		st.t.Fatalf("%s claimed %v at %s, want only delivery %d", owner, got, now, id)
	}
	return jobs[0]
}

// complete records res for a job owner claimed.
func (st *testStore) complete(owner string, job herald.Job, res herald.Result, finished, retryAt time.Time) {
	st.t.Helper()
	if err := st.Complete(context.Background(), owner, job, res, finished, retryAt); err != nil {
		st.t.Fatalf("complete %d as %s: %v", job.Delivery.ID, owner, err)
	}
}

// retried gives the waiting delivery id n earlier attempts, claimed by an
// earlier process at now and each ended in a (not throttled) retry: at once
// for all but the last, which asked to retry at retryAt. It is then retrying
// with n attempts, claimable from retryAt.
func (st *testStore) retried(id int64, n int, now, retryAt time.Time) {
	st.t.Helper()
	for i := range n {
		at := now
		if i == n-1 {
			at = retryAt
		}
		job := st.claimAs("earlier-process", now, time.Minute, id)
		st.complete("earlier-process", job, herald.Result{Outcome: herald.OutcomeRetry, Reason: "HTTP 503"}, now, at)
	}
	if d := st.get(id); d.Status != herald.StatusRetrying || d.Attempts != n {
		st.t.Fatalf("seeded delivery %d: %s with %d attempts, want retrying with %d", id, d.Status, d.Attempts, n)
	}
}

// unknownAfter has an earlier process claim the waiting delivery id at now
// and record an unknown outcome with reason: the post may or may not be on
// the platform.
func (st *testStore) unknownAfter(id int64, now time.Time, reason string) {
	st.t.Helper()
	job := st.claimAs("earlier-process", now, time.Minute, id)
	st.complete("earlier-process", job, herald.Result{Outcome: herald.OutcomeUnknown, Reason: reason}, now, time.Time{})
}

// unknowns adds, for each text, a delivery of it on channel "ch-<text>" of
// platform "rec" due at due, and makes it unknown after one attempt whose
// answer was lost ("timeout after sending").
func (st *testStore) unknowns(due time.Time, texts ...string) []int64 {
	st.t.Helper()
	ids := make([]int64, 0, len(texts))
	for _, text := range texts {
		id := st.add("ch-"+text, "rec", due, text)
		st.unknownAfter(id, due, "timeout after sending")
		ids = append(ids, id)
	}
	return ids
}

// busyComplete is the real store whose Complete fails, the next fail times,
// as a database busy past its timeout does, and counts its calls.
type busyComplete struct {
	*storage.DB

	mu    sync.Mutex
	fail  int
	calls int
}

func (b *busyComplete) Complete(ctx context.Context, owner string, job herald.Job, res herald.Result, finished, retryAt time.Time) error {
	if err := b.busy(); err != nil {
		return err
	}
	return b.DB.Complete(ctx, owner, job, res, finished, retryAt)
}

func (b *busyComplete) CompleteAndClaimNext(ctx context.Context, owner string, job herald.Job, res herald.Result,
	finished, retryAt time.Time, lease time.Duration) (*herald.Job, error) {
	if err := b.busy(); err != nil {
		return nil, err
	}
	return b.DB.CompleteAndClaimNext(ctx, owner, job, res, finished, retryAt, lease)
}

// busy counts a call and fails it while fail lasts.
func (b *busyComplete) busy() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls++
	if b.fail > 0 {
		b.fail--
		return herald.Errorf(herald.EUNAVAILABLE, "the database is busy; try again in a moment")
	}
	return nil
}

func (b *busyComplete) completeCalls() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.calls
}
