package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"

	"github.com/heraldhq/herald"
	"github.com/jmoiron/sqlx"
)

// postContent is what posts.content holds.
type postContent struct {
	Text     string                    `json:"text"`
	Media    []string                  `json:"media,omitempty"`
	Link     string                    `json:"link,omitempty"`
	Tags     []string                  `json:"tags,omitempty"`
	Variants map[string]herald.Variant `json:"variants,omitempty"`
}

func (c postContent) post() herald.Post {
	return herald.Post{Text: c.Text, Media: c.Media, Link: c.Link, Tags: c.Tags, Variants: c.Variants}
}

// ApplyPlan applies a whole plan as a diff in one transaction, row by row
// keyed by Post.Key: a new key is created with one scheduled delivery per
// channel; the same Post.Hash is unchanged (its row number refreshed); a
// changed row is updated (deliveries rescheduled, added or cancelled) unless
// one of its deliveries is published, publishing or unknown, which makes it a
// conflict that changes nothing; a key no longer in the plan is cancelled
// (unpublished deliveries cancelled, post marked removed). Rows come in file
// order, then the cancelled ones by their old row. An upload under a deleted
// plan's key revives it: the rows it had when deleted are diffed against (see
// revive), so a row already published is never published again.
// A real apply is recorded in the audit log (plan.applied, with the diff
// counts), a dry run is not. Result.Warnings holds the close_posts and duplicate_text warnings of
// created and updated rows against the live deliveries of the workspace's
// other plans (see plan_warnings.go); the caller adds its own.
//
// It runs in two phases. The plan phase (plans_plan.go) reads the workspace's
// channels, the plan and its rows and decides every row's action and every
// write, writing nothing; the write phase (plans_write.go) makes those writes
// in batches. With dryRun only the plan phase runs, in a read transaction on
// the read pool: a dry run takes no write lock, waits on no writer, never
// writes, and answers exactly what a real apply from the same state would. A
// real apply runs both phases in one write transaction, so on SQLite nothing
// changes between them.
//
// A "next free slot" post (Post.NextSlot) gets on each channel that channel's
// first free weekly slot (see slots.go), in row order; its deliveries are due
// at their slots and the row's result message lists them. A row that stays
// unchanged keeps its slots. A changed row keeps, on each channel it still
// targets, the slot its live delivery holds unless that is before
// max(plan.Start, now), so editing a row's content does not move it. Slots
// freed by this apply (rows cancelled, channels dropped) are taken again by
// later applies only.
//
// It gives ENOTFOUND for an unknown workspace, EINVALID for an empty plan key
// or a post key empty or used twice, EVALIDATION when a post names a channel
// the workspace does not have, or takes the next free slot of a channel
// without slots (no_slots) or with none free within two years (no_free_slot),
// ECONFLICT when a concurrent writer took a slot first or a row or delivery
// the apply changes is no longer as the plan phase read it (nothing is
// applied then), and EUNAVAILABLE when another process holds the write lock
// past the busy timeout.
func (db *DB) ApplyPlan(ctx context.Context, wsID int64, plan herald.Plan, posts []herald.Post, dryRun bool) (*herald.PlanResult, error) {
	if plan.Key == "" {
		return nil, herald.Errorf(herald.EINVALID, "plan key is required")
	}
	seen := make(map[string]struct{}, len(posts))
	for _, p := range posts {
		if _, dup := seen[p.Key]; dup || p.Key == "" {
			return nil, herald.Errorf(herald.EINVALID, "row %d: post key %q is empty or used twice", p.Row, p.Key)
		}
		seen[p.Key] = struct{}{}
	}
	hashes := hashPosts(posts) // before the transaction: the write lock is held for less
	if dryRun {
		return db.dryRunPlan(ctx, wsID, plan, posts, hashes)
	}
	tx, err := db.w.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("apply plan: begin: %w", busy(err))
	}
	defer tx.Rollback()
	// Applies to one workspace take turns (on PostgreSQL; SQLite's write
	// transaction already does): each places its rows in the slots the one
	// before it left free.
	if _, err := db.lockWorkspace(ctx, tx, wsID); err != nil {
		return nil, fmt.Errorf("apply plan: %w", busy(err))
	}
	p, err := planApply(ctx, tx, wsID, db.nowMs(), plan, posts, hashes)
	if err != nil {
		return nil, err
	}
	if testHookPlanned != nil {
		testHookPlanned(tx)
	}
	p.writes.db = db
	if err := p.writes.run(ctx, tx); err != nil {
		return nil, err
	}
	r := p.res
	if err := db.audit(ctx, tx, wsID, herald.AuditPlanApplied, "plan "+plan.Key, map[string]any{"created": r.Created,
		"updated": r.Updated, "unchanged": r.Unchanged, "cancelled": r.Cancelled, "conflicts": r.Conflicts}); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("apply plan: commit: %w", busy(err))
	}
	return p.res, nil
}

// dryRunPlan runs the plan phase of ApplyPlan alone, in a read-only
// transaction on the read pool: one consistent snapshot (a deferred
// transaction in WAL on SQLite, REPEATABLE READ elsewhere) that waits on no
// writer.
func (db *DB) dryRunPlan(ctx context.Context, wsID int64, plan herald.Plan, posts []herald.Post, hashes []postHashes) (*herald.PlanResult, error) {
	tx, err := db.r.BeginTxx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead})
	if err != nil {
		return nil, fmt.Errorf("apply plan: begin: %w", busy(err))
	}
	defer tx.Rollback()
	p, err := planApply(ctx, tx, wsID, db.nowMs(), plan, posts, hashes)
	if err != nil {
		return nil, err
	}
	p.res.DryRun = true
	return p.res, nil
}

// postHashes are a post's Hash and ContentHash.
type postHashes struct{ all, content string }

// hashPosts returns each post's hashes.
func hashPosts(posts []herald.Post) []postHashes {
	hashes := make([]postHashes, len(posts))
	parallel(len(posts), func(i int) error {
		hashes[i] = postHashes{posts[i].Hash(), posts[i].ContentHash()}
		return nil
	})
	return hashes
}

// parallel calls fn(i) for every i in [0, n), spread over GOMAXPROCS
// goroutines when n is large, and returns the first error once all calls
// have returned.
func parallel(n int, fn func(i int) error) error {
	workers := min(runtime.GOMAXPROCS(0), n/1024)
	if workers <= 1 {
		for i := range n {
			if err := fn(i); err != nil {
				return err
			}
		}
		return nil
	}
	errs := make([]error, workers)
	chunk := (n + workers - 1) / workers
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w * chunk; i < min((w+1)*chunk, n); i++ {
				if err := fn(i); err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// testHookPlanned, when set (by tests), runs in a real apply's transaction
// between the plan phase and the write phase.
var testHookPlanned func(tx *sqlx.Tx)

// deliveryError wraps a failed delivery write; a unique violation there is a
// slot taken by a concurrent writer (ECONFLICT: apply again). row is 0 when
// the write was of many rows.
func deliveryError(row int, err error) error {
	if isUnique(err) {
		if row == 0 {
			return herald.Errorf(herald.ECONFLICT, "a posting slot was taken by another apply at the same time; apply the plan again")
		}
		return herald.Errorf(herald.ECONFLICT, "row %d: a posting slot was taken by another apply at the same time; apply the plan again", row)
	}
	if row == 0 {
		return fmt.Errorf("apply plan: deliveries: %w", busy(err))
	}
	return fmt.Errorf("apply plan: row %d: delivery: %w", row, busy(err))
}

// idempotencyKey derives a delivery's key from its id and its post's content,
// so retries of the same content reuse it and changed content gets a new one.
func idempotencyKey(deliveryID int64, hash string) string {
	return fmt.Sprintf("herald-%d-%s", deliveryID, hash[:min(12, len(hash))])
}

// encodeContent returns what posts.content holds for p.
func encodeContent(p *herald.Post) (string, error) {
	c, err := json.Marshal(postContent{Text: p.Text, Media: p.Media, Link: p.Link, Tags: p.Tags, Variants: p.Variants})
	if err != nil {
		return "", fmt.Errorf("encode post: %w", err)
	}
	return string(c), nil
}

// channelsJSON encodes posts.channels, remembering the last list: the rows
// of a plan mostly share theirs.
type channelsJSON struct {
	last []string
	json string
}

func (e *channelsJSON) encode(names []string) (string, error) {
	if e.last != nil && slices.Equal(e.last, names) {
		return e.json, nil
	}
	b, err := json.Marshal(uniq(names))
	if err != nil {
		return "", fmt.Errorf("encode channels: %w", err)
	}
	e.last, e.json = names, string(b)
	return e.json, nil
}

// uniq returns names without repeats, in order (names itself when it has none).
func uniq(names []string) []string {
	if len(names) <= 16 {
		for i := 1; i < len(names); i++ {
			for j := range i {
				if names[i] == names[j] {
					return uniqMap(names)
				}
			}
		}
		return names
	}
	return uniqMap(names)
}

func uniqMap(names []string) []string {
	out := make([]string, 0, len(names))
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}
