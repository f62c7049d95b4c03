package scheduler

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/storage"
)

// claimTakesUntil is the real store whose first ClaimDue takes until at: the
// clock is at at when it returns.
type claimTakesUntil struct {
	*storage.DB
	clk  *clock
	at   time.Time
	once sync.Once
}

func (c *claimTakesUntil) ClaimDue(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]herald.Job, error) {
	jobs, err := c.DB.ClaimDue(ctx, owner, now, lease, limit)
	c.once.Do(func() { c.clk.Set(c.at) })
	return jobs, err
}

// A delivery that comes due while a claim runs (after the claim's now,
// before the loop looks at the next due time) is claimed at once, not at
// the next tick.
func TestClaimsWhatComesDueDuringTheClaim(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	clk := newClock(t0)
	st := newStore(t, clk.Now)
	id := st.add("a", "fake", t0.Add(time.Second), "post")
	pub := newFakePublisher(0)
	start(t, &claimTakesUntil{DB: st.DB, clk: clk, at: t0.Add(time.Second)}, map[string]Publisher{"fake": pub},
		Config{Now: clk.Now, Tick: never})
	eventually(t, func() bool { return st.status(id) == herald.StatusPublished }, 2*time.Second, "published without a tick")
}
