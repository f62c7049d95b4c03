package scheduler

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/storage"
	"github.com/rs/zerolog"
)

// gatePublisher holds every publish until open is closed or its context ends.
type gatePublisher struct {
	open      chan struct{}
	started   atomic.Int32
	cancelled atomic.Int32
}

func (p *gatePublisher) Idempotent() bool { return false }

func (p *gatePublisher) Publish(ctx context.Context, req herald.PublishRequest) herald.Result {
	p.started.Add(1)
	select {
	case <-p.open:
		return herald.Result{Outcome: herald.OutcomePublished, RemoteID: "r1"}
	case <-ctx.Done():
		p.cancelled.Add(1)
		return herald.Result{Outcome: herald.OutcomeUnknown, Reason: ctx.Err().Error()}
	}
}

// A publish that takes longer than the lease keeps its claim: the lease is
// renewed while it runs, so no other process may take it over.
func TestLeaseRenewedWhilePublishing(t *testing.T) {
	st := newStore(t, nil)
	id := st.add("c", "slow", herald.Now(), "hello")
	pub := &gatePublisher{open: make(chan struct{})}
	start(t, st.DB, map[string]Publisher{"slow": pub}, Config{Tick: never, Lease: time.Second, PublishTimeout: time.Minute})
	var first time.Time
	eventually(t, func() bool {
		d, err := st.Delivery(context.Background(), st.wsID, id)
		if err != nil || d.LeaseUntil == nil {
			return false
		}
		if first.IsZero() {
			first = *d.LeaseUntil
		}
		return d.LeaseUntil.After(first)
	}, 10*time.Second, "the lease renewed")
	if n, err := st.RecoverExpired(context.Background(), first.Add(time.Millisecond), nil); err != nil || n != 0 {
		t.Fatalf("recover at the first lease's end: %d %v, want nothing: the lease was renewed", n, err)
	}
	close(pub.open)
	eventually(t, func() bool {
		d, _ := st.Delivery(context.Background(), st.wsID, id)
		return d != nil && d.Status == herald.StatusPublished
	}, 10*time.Second, "published")
}

// When another process takes a stalled publish over (its lease ran out),
// the renewal finds the lease lost and cancels the publish; the late result
// is refused, so what the other process decided stands.
func TestLostLeaseCancelsThePublish(t *testing.T) {
	st := newStore(t, nil)
	id := st.add("c", "slow", herald.Now(), "hello")
	pub := &gatePublisher{open: make(chan struct{})}
	start(t, st.DB, map[string]Publisher{"slow": pub}, Config{Tick: never, Lease: time.Second, PublishTimeout: time.Minute})
	eventually(t, func() bool { return pub.started.Load() == 1 }, 10*time.Second, "the publish started")
	// Another process's recovery, as if this one had stalled past its lease.
	if n, err := st.RecoverExpired(context.Background(), herald.Now().Add(time.Hour), nil); err != nil || n != 1 {
		t.Fatalf("takeover: %d %v", n, err)
	}
	eventually(t, func() bool { return pub.cancelled.Load() == 1 }, 10*time.Second, "the publish cancelled")
	d, err := st.Delivery(context.Background(), st.wsID, id)
	if err != nil || d.Status != herald.StatusUnknown || d.Attempts != 1 {
		t.Fatalf("after the takeover: %+v %v, want unknown as the recovery left it", d, err)
	}
}

// Of two processes on one database, one runs maintenance; when it shuts
// down (resigning), the other takes it over within a beat.
func TestMaintenanceHasOneLeader(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	open := func(node string) *storage.DB {
		db, err := storage.Open(path, storage.Options{SecretKey: make([]byte, 32), Logger: zerolog.Nop(), Node: node})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if err := db.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		return db
	}
	a, b := open("a"), open("b")
	cfg := Config{Tick: never, Lease: time.Second}
	sa := start(t, a, nil, Config{Tick: cfg.Tick, Lease: cfg.Lease, Owner: "a"})
	sb := start(t, b, nil, Config{Tick: cfg.Tick, Lease: cfg.Lease, Owner: "b"})
	eventually(t, func() bool { return sa.leader.Load() != sb.leader.Load() }, 5*time.Second, "exactly one leader")
	leader, follower, other := sa, sb, "b"
	if sb.leader.Load() {
		leader, follower, other = sb, sa, "a"
	}
	if err := leader.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() bool { return follower.leader.Load() }, 5*time.Second, "the other process leading")
	who, err := a.Leader(context.Background(), "maintenance", herald.Now())
	if err != nil || who != other {
		t.Fatalf("leader %q %v, want %s", who, err, other)
	}
}
