package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

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

type oldPost struct {
	ID         int64  `db:"id"`
	Key        string `db:"key"`
	Row        int    `db:"row_num"`
	KeyDerived bool   `db:"key_derived"`
	Hash       string `db:"hash"`
	deliveries []oldDelivery
}

type oldDelivery struct {
	ID        int64         `db:"id"`
	PostID    int64         `db:"post_id"`
	ChannelID int64         `db:"channel_id"`
	Channel   string        `db:"channel_name"`
	Status    string        `db:"status"`
	SlotAt    sql.NullInt64 `db:"slot_at"`
}

// applier is one ApplyPlan transaction.
type applier struct {
	db       *DB
	ctx      context.Context
	tx       *sqlx.Tx
	wsID     int64
	planID   int64
	planKey  string
	now      int64
	channels map[string]int64 // live channels by name
	// platforms and names of the live channels by id, for the warnings
	// against other plans (plan_warnings.go)
	platforms map[int64]string
	names     map[int64]string
	touched   []touchedDelivery // deliveries of created and updated rows

	revived   bool             // the plan was deleted; its last rows were brought back (revive)
	slots     *slotPlacer      // nil when the plan has no "next free slot" row
	problems  []herald.Problem // found while applying rows (no free slot)
	slotNotes []string         // the current row's slots, for its result message
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
// revive), so a row already published is never published again. With dryRun the same
// transaction is rolled back, so the answer is exactly what a real apply
// would do. Result.Warnings holds the close_posts and duplicate_text
// warnings of created and updated rows against the live deliveries of the
// workspace's other plans (see plan_warnings.go); the caller adds its own.
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
// and ECONFLICT when a concurrent writer took a slot first.
func (db *DB) ApplyPlan(ctx context.Context, wsID int64, plan herald.Plan, posts []herald.Post, dryRun bool) (*herald.PlanResult, error) {
	if plan.Key == "" {
		return nil, herald.Errorf(herald.EINVALID, "plan key is required")
	}
	seen := make(map[string]bool, len(posts))
	for _, p := range posts {
		if seen[p.Key] || p.Key == "" {
			return nil, herald.Errorf(herald.EINVALID, "row %d: post key %q is empty or used twice", p.Row, p.Key)
		}
		seen[p.Key] = true
	}
	tx, err := db.w.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("apply plan: begin: %w", err)
	}
	defer tx.Rollback()
	a := &applier{db: db, ctx: ctx, tx: tx, wsID: wsID, now: db.nowMs()}
	res, err := a.apply(plan, posts)
	if err != nil {
		return nil, err
	}
	res.DryRun = dryRun
	if dryRun {
		return res, nil // rolled back by the deferred Rollback
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("apply plan: commit: %w", err)
	}
	return res, nil
}

func (a *applier) apply(plan herald.Plan, posts []herald.Post) (*herald.PlanResult, error) {
	ctx, tx := a.ctx, a.tx
	var n int
	if err := get(ctx, tx, &n, `SELECT COUNT(*) FROM workspaces WHERE id = ?`, a.wsID); err != nil {
		return nil, fmt.Errorf("apply plan: %w", err)
	} else if n == 0 {
		return nil, herald.Errorf(herald.ENOTFOUND, "workspace not found")
	}
	var chs []struct {
		ID       int64  `db:"id"`
		Name     string `db:"name"`
		Platform string `db:"platform"`
		Config   string `db:"config"`
	}
	if err := sel(ctx, tx, &chs, `SELECT id, name, platform, config FROM channels WHERE workspace_id = ? AND deleted_at IS NULL`, a.wsID); err != nil {
		return nil, fmt.Errorf("apply plan: %w", err)
	}
	a.channels = make(map[string]int64, len(chs))
	a.platforms, a.names = make(map[int64]string, len(chs)), make(map[int64]string, len(chs))
	for _, c := range chs {
		a.channels[c.Name] = c.ID
		a.platforms[c.ID], a.names[c.ID] = textPlatform(c.Platform, c.Config), c.Name
	}
	var problems []herald.Problem
	for _, p := range posts {
		for _, name := range p.Channels {
			if _, ok := a.channels[name]; !ok {
				problems = append(problems, herald.Problem{Row: p.Row, Column: "channels", Code: "unknown_channel",
					Message: fmt.Sprintf("channel %q does not exist in this workspace", name)})
			}
		}
	}
	if len(problems) > 0 {
		return nil, &herald.Error{Code: herald.EVALIDATION, Message: "invalid plan", Details: problems}
	}
	// The plan first: reviving a deleted one takes back its rows' slots
	// before new rows look for free ones (an error rolls everything back).
	a.planKey = plan.Key
	if err := a.upsertPlan(plan); err != nil {
		return nil, err
	}
	var err error
	if a.slots, problems, err = a.loadSlots(plan, posts); err != nil {
		return nil, err
	} else if len(problems) > 0 {
		return nil, &herald.Error{Code: herald.EVALIDATION, Message: "invalid plan", Details: problems}
	}
	old, err := a.loadPosts()
	if err != nil {
		return nil, err
	}
	res := &herald.PlanResult{Plan: plan.Key}
	for i := range posts {
		p := &posts[i]
		var row herald.RowResult
		if o, ok := old[p.Key]; ok {
			row, err = a.change(o, p)
			delete(old, p.Key)
		} else {
			row, err = a.create(p)
		}
		if err != nil {
			return nil, err
		}
		res.Add(row)
	}
	if len(a.problems) > 0 {
		return nil, &herald.Error{Code: herald.EVALIDATION, Message: "invalid plan", Details: a.problems}
	}
	gone := make([]*oldPost, 0, len(old))
	for _, o := range old {
		gone = append(gone, o)
	}
	sort.Slice(gone, func(i, j int) bool {
		if gone[i].Row != gone[j].Row {
			return gone[i].Row < gone[j].Row
		}
		return gone[i].Key < gone[j].Key
	})
	for _, o := range gone {
		row, err := a.remove(o)
		if err != nil {
			return nil, err
		}
		res.Add(row)
	}
	if res.Warnings, err = a.otherPlanWarnings(); err != nil {
		return nil, err
	}
	return res, nil
}

// loadPosts returns the plan's live posts by key, with their deliveries.
func (a *applier) loadPosts() (map[string]*oldPost, error) {
	var posts []*oldPost
	if err := sel(a.ctx, a.tx, &posts, `SELECT id, key, row_num, key_derived, hash FROM posts
		WHERE workspace_id = ? AND plan_id = ? AND removed = 0`, a.wsID, a.planID); err != nil {
		return nil, fmt.Errorf("apply plan: load posts: %w", err)
	}
	var ds []oldDelivery
	if err := sel(a.ctx, a.tx, &ds, `SELECT d.id, d.post_id, d.channel_id, c.name AS channel_name, d.status, d.slot_at
		FROM deliveries d JOIN posts p ON p.id = d.post_id JOIN channels c ON c.id = d.channel_id
		WHERE d.workspace_id = ? AND p.plan_id = ? AND p.removed = 0 ORDER BY c.name, d.id`, a.wsID, a.planID); err != nil {
		return nil, fmt.Errorf("apply plan: load deliveries: %w", err)
	}
	byID := make(map[int64]*oldPost, len(posts))
	byKey := make(map[string]*oldPost, len(posts))
	for _, p := range posts {
		byID[p.ID], byKey[p.Key] = p, p
	}
	for _, d := range ds {
		if p := byID[d.PostID]; p != nil {
			p.deliveries = append(p.deliveries, d)
		}
	}
	return byKey, nil
}

func (a *applier) create(p *herald.Post) (herald.RowResult, error) {
	hash := p.Hash()
	channels, content, err := encodePost(p)
	if err != nil {
		return herald.RowResult{}, err
	}
	id, err := insertID(a.ctx, a.tx, `INSERT INTO posts (workspace_id, plan_id, key, key_derived, row_num, at, due_at, channels,
		rubric, content, hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.wsID, a.planID, p.Key, boolInt(p.KeyDerived), p.Row, p.At, ms(p.DueAt), channels, p.Rubric, content, hash, a.now, a.now)
	if err != nil {
		return herald.RowResult{}, fmt.Errorf("apply plan: row %d: %w", p.Row, err)
	}
	for _, name := range uniq(p.Channels) {
		if err := a.addDelivery(id, a.channels[name], p, hash); err != nil {
			return herald.RowResult{}, err
		}
	}
	return herald.RowResult{Key: p.Key, Row: p.Row, Action: herald.ActionCreated, KeyDerived: p.KeyDerived,
		Message: a.slotMessage()}, nil
}

func (a *applier) addDelivery(postID, channelID int64, p *herald.Post, hash string) error {
	due, slot, ok := a.when(p, channelID, nil)
	if !ok {
		return nil // no free slot: a problem is recorded and nothing is applied
	}
	id, err := insertID(a.ctx, a.tx, `INSERT INTO deliveries (workspace_id, post_id, channel_id, status, due_at, next_attempt_at,
		slot_at, created_at, updated_at) VALUES (?, ?, ?, 'scheduled', ?, ?, ?, ?, ?)`, a.wsID, postID, channelID, due, due, slot, a.now, a.now)
	if err == nil {
		_, err = exec(a.ctx, a.tx, `UPDATE deliveries SET idempotency_key = ? WHERE id = ?`, idempotencyKey(id, hash), id)
	}
	if err == nil {
		err = a.db.recordCreated(a.ctx, a.tx, []int64{id}, "row "+strconv.Itoa(p.Row)+" of plan "+a.planKey)
	}
	if err != nil {
		return deliveryError(p.Row, err)
	}
	a.touch(p, channelID, due)
	return nil
}

// deliveryError wraps a failed delivery write; a unique violation there is a
// slot taken by a concurrent writer (ECONFLICT: apply again).
func deliveryError(row int, err error) error {
	if isUnique(err) {
		return herald.Errorf(herald.ECONFLICT, "row %d: a posting slot was taken by another apply at the same time; apply the plan again", row)
	}
	return fmt.Errorf("apply plan: row %d: delivery: %w", row, err)
}

// idempotencyKey derives a delivery's key from its id and its post's content,
// so retries of the same content reuse it and changed content gets a new one.
func idempotencyKey(deliveryID int64, hash string) string {
	return fmt.Sprintf("herald-%d-%s", deliveryID, hash[:min(12, len(hash))])
}

func (a *applier) change(o *oldPost, p *herald.Post) (herald.RowResult, error) {
	row, err := a.diff(o, p)
	if a.revived {
		row.Message = strings.TrimSuffix("restored with the deleted plan; "+row.Message, "; ")
	}
	return row, err
}

func (a *applier) diff(o *oldPost, p *herald.Post) (herald.RowResult, error) {
	row := herald.RowResult{Key: p.Key, Row: p.Row, KeyDerived: p.KeyDerived}
	hash := p.Hash()
	if hash == o.Hash {
		row.Action = herald.ActionUnchanged
		if o.Row != p.Row || o.KeyDerived != p.KeyDerived {
			if _, err := exec(a.ctx, a.tx, `UPDATE posts SET row_num = ?, key_derived = ? WHERE id = ?`,
				p.Row, boolInt(p.KeyDerived), o.ID); err != nil {
				return row, fmt.Errorf("apply plan: row %d: %w", p.Row, err)
			}
		}
		return row, nil
	}
	var done []string
	for _, d := range o.deliveries {
		switch herald.DeliveryStatus(d.Status) {
		case herald.StatusPublished:
			done = append(done, d.Channel)
		case herald.StatusPublishing, herald.StatusUnknown:
			done = append(done, fmt.Sprintf("%s (%s)", d.Channel, d.Status))
		}
	}
	if len(done) > 0 {
		row.Action = herald.ActionConflict
		row.Message = fmt.Sprintf("row changed, but it was already published on %s; the change was not applied and the post was not re-published",
			strings.Join(done, ", "))
		return row, nil
	}
	channels, content, err := encodePost(p)
	if err != nil {
		return row, err
	}
	if _, err := exec(a.ctx, a.tx, `UPDATE posts SET key_derived = ?, row_num = ?, at = ?, due_at = ?, channels = ?, rubric = ?,
		content = ?, hash = ?, updated_at = ? WHERE id = ?`, boolInt(p.KeyDerived), p.Row, p.At, ms(p.DueAt), channels,
		p.Rubric, content, hash, a.now, o.ID); err != nil {
		return row, fmt.Errorf("apply plan: row %d: %w", p.Row, err)
	}
	want := make(map[int64]bool, len(p.Channels))
	for _, name := range p.Channels {
		want[a.channels[name]] = true
	}
	have := make(map[int64]bool, len(o.deliveries))
	for _, d := range o.deliveries {
		have[d.ChannelID] = true
		if !want[d.ChannelID] {
			if _, err := a.db.moveDeliveries(a.ctx, a.tx, []int64{d.ID}, move{from: herald.Unpublished, to: to(herald.StatusCancelled),
				reason: "channel dropped from row " + strconv.Itoa(p.Row) + " of plan " + a.planKey}); err != nil {
				return row, fmt.Errorf("apply plan: row %d: %w", p.Row, err)
			}
			continue
		}
		due, slot, ok := a.when(p, d.ChannelID, &d)
		if !ok {
			continue // no free slot: a problem is recorded and nothing is applied
		}
		// The precondition is the status this apply read: a delivery a
		// scheduler claimed since is a conflict, never reset (a double post).
		if _, err := a.db.moveDeliveries(a.ctx, a.tx, []int64{d.ID}, move{from: herald.StatusSet{herald.DeliveryStatus(d.Status)},
			to: func(r moveRow) herald.DeliveryStatus {
				if r.Status == string(herald.StatusPendingApproval) {
					return herald.StatusPendingApproval
				}
				return herald.StatusScheduled
			},
			set:  `due_at = ?, next_attempt_at = ?, retried_at = NULL, slot_at = ?, idempotency_key = ?, error = '', platform_state = '{}'`,
			args: []any{due, due, slot, idempotencyKey(d.ID, hash)}, strict: true,
			reason: "row " + strconv.Itoa(p.Row) + " of plan " + a.planKey + " changed"}); err != nil {
			if herald.ErrorCode(err) == herald.ECONFLICT {
				return row, herald.Errorf(herald.ECONFLICT, "row %d: %s while the plan was applied; apply it again", p.Row, herald.ErrorMessage(err))
			}
			return row, deliveryError(p.Row, err)
		}
		a.touch(p, d.ChannelID, due)
	}
	for _, name := range uniq(p.Channels) {
		if id := a.channels[name]; !have[id] {
			if err := a.addDelivery(o.ID, id, p, hash); err != nil {
				return row, err
			}
		}
	}
	row.Action, row.Message = herald.ActionUpdated, a.slotMessage()
	return row, nil
}

// remove cancels what is unpublished of a row no longer in the plan and marks
// its post removed; what is published (or may be) stays as it is.
func (a *applier) remove(o *oldPost) (herald.RowResult, error) {
	row := herald.RowResult{Key: o.Key, WasRow: o.Row, Action: herald.ActionCancelled, KeyDerived: o.KeyDerived}
	ids := make([]int64, 0, len(o.deliveries))
	for _, d := range o.deliveries {
		ids = append(ids, d.ID)
	}
	if _, err := a.db.moveDeliveries(a.ctx, a.tx, ids, move{from: herald.Unpublished, to: to(herald.StatusCancelled),
		reason: "row removed from plan " + a.planKey}); err != nil {
		return row, fmt.Errorf("apply plan: cancel row %q: %w", o.Key, err)
	}
	if _, err := exec(a.ctx, a.tx, `UPDATE posts SET removed = 1, updated_at = ? WHERE id = ?`, a.now, o.ID); err != nil {
		return row, fmt.Errorf("apply plan: cancel row %q: %w", o.Key, err)
	}
	var kept []string
	for _, d := range o.deliveries {
		switch herald.DeliveryStatus(d.Status) {
		case herald.StatusPublished:
			kept = append(kept, "stays published on "+d.Channel)
		case herald.StatusPublishing:
			kept = append(kept, "is being published on "+d.Channel+" right now")
		case herald.StatusUnknown:
			kept = append(kept, "may be published on "+d.Channel+" (outcome unknown; check it)")
		}
	}
	row.Message = "row removed from the plan"
	if len(kept) > 0 {
		row.Message += "; the post " + strings.Join(kept, ", ")
	}
	return row, nil
}

func encodePost(p *herald.Post) (channels, content string, err error) {
	b, err := json.Marshal(uniq(p.Channels))
	if err != nil {
		return "", "", fmt.Errorf("encode channels: %w", err)
	}
	c, err := json.Marshal(postContent{Text: p.Text, Media: p.Media, Link: p.Link, Tags: p.Tags, Variants: p.Variants})
	if err != nil {
		return "", "", fmt.Errorf("encode post: %w", err)
	}
	return string(b), string(c), nil
}

func uniq(names []string) []string {
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
