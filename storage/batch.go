package storage

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/heraldhq/herald"

	"github.com/jmoiron/sqlx"
)

// completer batches concurrent Complete calls into shared transactions
// (group commit): with many workers finishing together, one commit serves
// many instead of each paying its own. No goroutine of its own: a caller
// that finds fewer than limit batches running runs one (its own completion
// and the oldest others waiting), then hands its turn to the oldest caller
// still waiting, so nobody runs more than one batch. SQLite runs one batch
// at a time (one writer); PostgreSQL several side by side (its rows are
// locked one by one).
type completer struct {
	mu      sync.Mutex
	pending []*completion
	running int // batches being run
	limit   int // at most this many at once (0: 1)
}

// batchTimeout bounds the writing of one batch.
const batchTimeout = 30 * time.Second

// maxBatch bounds one transaction.
const maxBatch = 128

// submit returns once c.err is final.
func (q *completer) submit(db *DB, c *completion) {
	q.mu.Lock()
	q.pending = append(q.pending, c)
	if q.running >= max(q.limit, 1) {
		q.mu.Unlock()
		select {
		case <-c.done:
			return
		case <-c.lead: // handed a turn: run the next batch
		}
		q.mu.Lock()
	} else {
		q.running++
	}
	batch := q.take(c)
	q.mu.Unlock()

	db.runBatch(batch)

	q.mu.Lock()
	if next := q.oldestWaiting(); next != nil {
		next.leading = true
		close(next.lead)
	} else {
		q.running--
	}
	q.mu.Unlock()
}

// take removes from pending, for the caller of c to run, c and the oldest
// others waiting (not those handed a turn of their own), up to maxBatch.
func (q *completer) take(c *completion) []*completion {
	batch := []*completion{c}
	rest := q.pending[:0]
	for _, p := range q.pending {
		switch {
		case p == c:
		case len(batch) < maxBatch && !p.leading:
			batch = append(batch, p)
		default:
			rest = append(rest, p)
		}
	}
	clear(q.pending[len(rest):])
	q.pending = rest
	return batch
}

// oldestWaiting is the oldest pending completion not handed a turn yet.
func (q *completer) oldestWaiting() *completion {
	for _, p := range q.pending {
		if !p.leading {
			return p
		}
	}
	return nil
}

// runBatch applies a batch in one transaction. If the database fails
// mid-batch, it rolls back and applies each completion in its own
// transaction, so one failure fails only its own call.
func (db *DB) runBatch(batch []*completion) {
	defer func() {
		for _, c := range batch {
			close(c.done)
		}
	}()
	// The batch is not any one caller's; a database that stops answering
	// fails it after a while rather than hanging every worker.
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		// One result alone takes apply's path: its guarded UPDATE … RETURNING
		// and the attempt, two statements where a batch's takes three.
		if len(batch) == 1 {
			conflict, err := batch[0].apply(ctx, db, tx)
			if err != nil {
				return err
			}
			batch[0].err = conflict
		} else if err := db.applyBatch(ctx, tx, batch); err != nil {
			return err
		}
		return db.claimNexts(ctx, tx, batch)
	})
	if err == nil {
		return
	}
	for _, c := range batch {
		c.next = nil
	}
	if len(batch) == 1 {
		batch[0].err = err
		return
	}
	// Said, not only handled: a batch statement that always fails would
	// otherwise pass unseen, every result written one by one.
	db.log.Warn().Err(err).Int("results", len(batch)).Msg("a batch of publish results failed; writing each on its own")
	for _, c := range batch {
		c.err = nil
		if err := db.inTx(ctx, func(tx *sqlx.Tx) error {
			conflict, err := c.apply(ctx, db, tx)
			c.err = conflict
			if err != nil {
				return err
			}
			return db.claimNexts(ctx, tx, []*completion{c})
		}); err != nil {
			c.err, c.next = err, nil
		}
	}
}

// claimNexts claims, for the written completions that asked for it, as many
// due deliveries as their workers are freed, in due order over every
// channel (ClaimDue's claim, in the same transaction): the channel just
// freed gets its next post when that is the earliest due, and a channel
// still waiting for its first does not wait behind another's chain. Each
// completion whose channel's next post was claimed gets that one.
func (db *DB) claimNexts(ctx context.Context, tx *sqlx.Tx, batch []*completion) error {
	// One claim per (owner, lease), at the latest of its completions' times:
	// what is due by then is due now.
	type claimer struct {
		owner string
		lease time.Duration
	}
	var order []claimer
	asking, now := map[claimer][]*completion{}, map[claimer]int64{}
	for _, c := range batch {
		if c.lease <= 0 || c.err != nil {
			continue
		}
		k := claimer{c.owner, c.lease}
		if asking[k] == nil {
			order = append(order, k)
		}
		asking[k] = append(asking[k], c)
		now[k] = max(now[k], c.fin)
	}
	for _, k := range order {
		cs := asking[k]
		jobs, err := db.claimDue(herald.WithActor(ctx, herald.Actor{Kind: "scheduler", ID: k.owner}), tx, k.owner, fromMs(now[k]), k.lease, len(cs))
		if err != nil {
			return fmt.Errorf("claim next: %w", err)
		}
		byChannel := make(map[int64]int, len(jobs))
		for i, j := range jobs {
			byChannel[j.Delivery.ChannelID] = i
		}
		taken := make([]bool, len(jobs))
		for _, c := range cs {
			if i, ok := byChannel[c.job.Delivery.ChannelID]; ok {
				c.next, taken[i] = &jobs[i], true
			}
		}
		i := 0
		for _, c := range cs {
			for c.next == nil && i < len(jobs) {
				if !taken[i] {
					c.next, taken[i] = &jobs[i], true
				}
				i++
			}
		}
	}
	return nil
}
