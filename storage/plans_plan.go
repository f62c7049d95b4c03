package storage

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"

	"github.com/heraldhq/herald"
	"github.com/jmoiron/sqlx"
)

// The plan phase of ApplyPlan: it reads, through one transaction, the
// workspace's channels, the plan and its rows with their deliveries (one
// query), the slots taken on the channels "next free slot" rows use and the
// other plans' deliveries near the touched ones (for the warnings), and
// decides every row's action and every write (planWrites) in memory. It never
// writes, so a dry run can run it in a read transaction.

// oldPost is a row of the plan as the apply found it (after revive, for a
// deleted plan).
type oldPost struct {
	ID         int64
	Key        string
	Row        int
	KeyDerived bool
	Hash       string
	approval   postApproval
	deliveries []oldDelivery // by channel name, then id
}

// oldDelivery is a delivery of an oldPost.
type oldDelivery struct {
	ID        int64
	ChannelID int64
	Channel   string
	Status    string
	SlotAt    sql.NullInt64
	DueAt     int64
	// What revive needs of a deleted plan's delivery: whether the deletion
	// cancelled it, whether its channel is live, and whether another
	// delivery holds its slot now.
	deletedWithPlan bool
	channelLive     bool
	slotTaken       bool
}

// planChannel is a channel of the workspace.
type planChannel struct {
	ID       int64         `db:"id"`
	Name     string        `db:"name"`
	Platform string        `db:"platform"`
	Config   string        `db:"config"`
	Timezone string        `db:"timezone"`
	Slots    string        `db:"slots"`
	Deleted  sql.NullInt64 `db:"deleted_at"`
}

// planner is the plan phase of one ApplyPlan.
type planner struct {
	ctx    context.Context
	q      sqlx.ExtContext // the apply's transaction: read-only for a dry run
	wsID   int64
	now    int64
	wsZone string
	// steps are the workspace's approval steps (none: approval is off);
	// uploader is who applies, the uploader of each version it makes.
	steps    []herald.ApprovalStep
	uploader string
	// waiting are the rows that wait for approval after the apply, for the
	// approval_due_soon warnings (approval.go).
	waiting    []waitingRow
	curWaiting int                   // the index in waiting of the row being planned, -1 for none
	rowStatus  herald.DeliveryStatus // the status of the new deliveries of the row being planned

	chans    []planChannel    // live channels
	channels map[string]int64 // live channels by name
	chanName map[int64]string // every channel's name (deliveries on deleted ones too)
	// platforms and names of the live channels by id, for the warnings
	// against other plans (plan_warnings.go)
	platforms map[int64]string
	names     map[int64]string

	planID    int64              // 0 for a new plan
	revived   bool               // the plan was deleted; its last rows are brought back (revive)
	slots     *slotPlacer        // nil when the plan has no "next free slot" row
	keptSlots []heldSlot         // the slots revived deliveries keep
	problems  []herald.Problem   // found while planning rows (no free slot)
	slotNotes []string           // the current row's slots, for its result message
	touched   []touchedDelivery  // deliveries of created and updated rows
	res       *herald.PlanResult // the answer
	writes    *planWrites        // what the write phase does
}

// planApply runs the plan phase in q for workspace wsID at now (Unix ms);
// hashes[i] are posts[i]'s hashes. Its errors are ApplyPlan's but for those of
// concurrent changes, which the write phase finds.
func planApply(ctx context.Context, q sqlx.ExtContext, wsID, now int64, plan herald.Plan, posts []herald.Post, hashes []postHashes) (*planner, error) {
	p := &planner{ctx: ctx, q: q, wsID: wsID, now: now, curWaiting: -1,
		writes: &planWrites{wsID: wsID, now: now, plan: plan, planKey: plan.Key}}
	if err := p.plan(plan, posts, hashes); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *planner) plan(plan herald.Plan, posts []herald.Post, hashes []postHashes) error {
	var ws workspaceRow
	if err := get(p.ctx, p.q, &ws, `SELECT `+workspaceCols+` FROM workspaces WHERE id = ?`, p.wsID); notFound(err) {
		return herald.Errorf(herald.ENOTFOUND, "workspace not found")
	} else if err != nil {
		return fmt.Errorf("apply plan: %w", err)
	}
	p.wsZone, p.steps = ws.Timezone, ws.workspace().Steps()
	p.uploader = actorJSON(herald.ActorOf(p.ctx))
	p.writes.firstStatus, p.writes.newState = herald.StatusScheduled, herald.ApprovalNone
	if len(p.steps) > 0 {
		p.writes.firstStatus, p.writes.newState = herald.StatusPendingApproval, herald.ApprovalPending
	}
	p.writes.uploader = p.uploader
	var chans []planChannel
	if err := sel(p.ctx, p.q, &chans, `SELECT id, name, platform, config, timezone, slots, deleted_at FROM channels
		WHERE workspace_id = ?`, p.wsID); err != nil {
		return fmt.Errorf("apply plan: %w", err)
	}
	p.channels, p.chanName = make(map[string]int64, len(chans)), make(map[int64]string, len(chans))
	p.platforms, p.names = make(map[int64]string, len(chans)), make(map[int64]string, len(chans))
	for _, c := range chans {
		p.chanName[c.ID] = c.Name
		if c.Deleted.Valid {
			continue
		}
		p.chans = append(p.chans, c)
		p.channels[c.Name] = c.ID
		p.platforms[c.ID], p.names[c.ID] = textPlatform(c.Platform, c.Config), c.Name
	}
	var problems []herald.Problem
	for _, post := range posts {
		for _, name := range post.Channels {
			if _, ok := p.channels[name]; !ok {
				problems = append(problems, herald.Problem{Row: post.Row, Column: "channels", Code: "unknown_channel",
					Message: fmt.Sprintf("channel %q does not exist in this workspace", name)})
			}
		}
	}
	if len(problems) > 0 {
		return &herald.Error{Code: herald.EVALIDATION, Message: "invalid plan", Details: problems}
	}
	// The plan first: reviving a deleted one takes back its rows' slots
	// before new rows look for free ones.
	var row struct {
		ID      int64         `db:"id"`
		Deleted sql.NullInt64 `db:"deleted_at"`
	}
	err := get(p.ctx, p.q, &row, `SELECT id, deleted_at FROM plans WHERE workspace_id = ? AND key = ?`, p.wsID, plan.Key)
	if err != nil && !notFound(err) {
		return fmt.Errorf("apply plan: plan: %w", err)
	}
	p.planID, p.revived = row.ID, row.Deleted.Valid
	p.writes.planID = row.ID
	var old map[string]*oldPost
	if p.planID != 0 {
		if old, err = p.loadPosts(); err != nil {
			return err
		}
	}
	if p.revived {
		p.revive(old)
	}
	if p.slots, problems, err = p.loadSlots(plan, posts); err != nil {
		return err
	} else if len(problems) > 0 {
		return &herald.Error{Code: herald.EVALIDATION, Message: "invalid plan", Details: problems}
	}
	p.res = &herald.PlanResult{Plan: plan.Key, Rows: make([]herald.RowResult, 0, len(posts)+len(old))}
	for i := range posts {
		post := &posts[i]
		if o, ok := old[post.Key]; ok {
			p.res.Add(p.change(o, post, hashes[i]))
			delete(old, post.Key)
		} else {
			p.res.Add(p.create(post, hashes[i]))
		}
	}
	if len(p.problems) > 0 {
		return &herald.Error{Code: herald.EVALIDATION, Message: "invalid plan", Details: p.problems}
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
		p.res.Add(p.remove(o))
	}
	if p.res.Warnings, err = p.otherPlanWarnings(); err != nil {
		return err
	}
	p.res.Warnings = append(p.res.Warnings, p.approvalWarnings(plan)...)
	return nil
}

// loadPosts returns the plan's rows by key, with their deliveries, in one
// query: its live rows, or for a deleted plan the rows it had when deleted
// (with what revive needs to know of their deliveries).
func (p *planner) loadPosts() (map[string]*oldPost, error) {
	query := `SELECT p.id, p.key, p.row_num, p.key_derived, p.hash, ` + approvalCols + `, d.id, d.channel_id, d.status, d.slot_at, d.due_at
		FROM posts p LEFT JOIN deliveries d ON d.post_id = p.id WHERE p.workspace_id = ? AND p.plan_id = ? AND p.removed = 0`
	if p.revived {
		query = `SELECT p.id, p.key, p.row_num, p.key_derived, p.hash, ` + approvalCols + `, d.id, d.channel_id, d.status, d.slot_at, d.due_at, d.error,
			CASE WHEN d.status = 'cancelled' AND d.slot_at IS NOT NULL AND EXISTS (SELECT 1 FROM deliveries o
				WHERE o.channel_id = d.channel_id AND o.slot_at = d.slot_at AND o.id <> d.id AND o.status NOT IN ` + slotFreeingIn + `)
			THEN 1 ELSE 0 END
			FROM posts p LEFT JOIN deliveries d ON d.post_id = p.id WHERE p.workspace_id = ? AND p.plan_id = ? AND p.plan_deleted = 1`
	}
	rows, err := p.q.QueryContext(p.ctx, p.q.Rebind(query), p.wsID, p.planID)
	if err != nil {
		return nil, fmt.Errorf("apply plan: load posts: %w", busy(err))
	}
	defer rows.Close()
	byKey := map[string]*oldPost{}
	var (
		last      *oldPost
		o         oldPost
		id, chID  sql.NullInt64
		st        sql.NullString
		slot, due sql.NullInt64
		errText   sql.NullString
		slotTaken int
	)
	a := &o.approval
	dest := []any{&o.ID, &o.Key, &o.Row, &o.KeyDerived, &o.Hash, &a.contentHash, &a.version, &a.uploadedBy, &a.state, &a.step,
		&id, &chID, &st, &slot, &due}
	if p.revived {
		dest = append(dest, &errText, &slotTaken)
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("apply plan: load posts: %w", err)
		}
		post := last
		if post == nil || post.ID != o.ID {
			if post = byKey[o.Key]; post == nil {
				post = &oldPost{ID: o.ID, Key: o.Key, Row: o.Row, KeyDerived: o.KeyDerived, Hash: o.Hash, approval: o.approval}
				byKey[o.Key] = post
			}
			last = post
		}
		if id.Valid {
			d := oldDelivery{ID: id.Int64, ChannelID: chID.Int64, Channel: p.chanName[chID.Int64], Status: st.String, SlotAt: slot, DueAt: due.Int64}
			if p.revived {
				_, live := p.names[d.ChannelID]
				d.deletedWithPlan, d.channelLive, d.slotTaken = errText.String == planDeletedReason, live, slotTaken != 0
			}
			post.deliveries = append(post.deliveries, d)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("apply plan: load posts: %w", busy(err))
	}
	for _, o := range byKey {
		if len(o.deliveries) > 1 {
			ds := o.deliveries
			sort.Slice(ds, func(i, j int) bool {
				if ds[i].Channel != ds[j].Channel {
					return ds[i].Channel < ds[j].Channel
				}
				return ds[i].ID < ds[j].ID
			})
		}
	}
	return byKey, nil
}

func (p *planner) create(post *herald.Post, hashes postHashes) herald.RowResult {
	hash := hashes.all
	p.writes.posts = append(p.writes.posts, newPost{post: post, hash: hash, contentHash: hashes.content})
	p.startWaiting(post.Key, post.Row, p.writes.newState, 0)
	p.rowStatus = p.writes.firstStatus
	for _, name := range uniq(post.Channels) {
		p.addDelivery(-1, len(p.writes.posts)-1, p.channels[name], post, hash)
	}
	row := herald.RowResult{Key: post.Key, Row: post.Row, Action: herald.ActionCreated, KeyDerived: post.KeyDerived,
		Message: p.slotMessage()}
	if len(p.steps) > 0 {
		row.Approval = herald.ApprovalRequired
	}
	return row
}

// addDelivery plans a new delivery of post on channel chID, in p.rowStatus
// (scheduled, or pending_approval): of the
// existing post postID, or else of the created post p.writes.posts[newIdx].
func (p *planner) addDelivery(postID int64, newIdx int, chID int64, post *herald.Post, hash string) {
	due, slot, ok := p.when(post, chID, nil)
	if !ok {
		return // no free slot: a problem is recorded and nothing is applied
	}
	p.writes.deliveries = append(p.writes.deliveries, newDelivery{postID: postID, newPost: newIdx, channelID: chID,
		due: due, slot: slot, hash: hash, row: post.Row, status: p.rowStatus})
	p.touch(post, chID, due)
	if p.rowStatus == herald.StatusPendingApproval {
		p.waitsUntil(due)
	}
}

func (p *planner) change(o *oldPost, post *herald.Post, hashes postHashes) herald.RowResult {
	row := p.diff(o, post, hashes)
	if p.revived {
		row.Message = strings.TrimSuffix("restored with the deleted plan; "+row.Message, "; ")
	}
	return row
}

func (p *planner) diff(o *oldPost, post *herald.Post, hashes postHashes) herald.RowResult {
	hash := hashes.all
	p.curWaiting = -1
	row := herald.RowResult{Key: post.Key, Row: post.Row, KeyDerived: post.KeyDerived}
	if hash == o.Hash {
		row.Action = herald.ActionUnchanged
		if o.Row != post.Row || o.KeyDerived != post.KeyDerived {
			p.writes.moves = append(p.writes.moves, rowMove{id: o.ID, row: post.Row, keyDerived: post.KeyDerived})
		}
		p.stillWaiting(o, post.Row)
		return row
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
		return row
	}
	u := postUpdate{id: o.ID, oldHash: o.Hash, post: post, hash: hash, contentHash: hashes.content}
	row.Approval, u.newVersion = p.approvalOf(o, post.Row, u.contentHash)
	p.writes.updates = append(p.writes.updates, u)
	want := make(map[int64]bool, len(post.Channels))
	for _, name := range post.Channels {
		want[p.channels[name]] = true
	}
	have := make(map[int64]bool, len(o.deliveries))
	for i := range o.deliveries {
		d := &o.deliveries[i]
		have[d.ChannelID] = true
		if !want[d.ChannelID] {
			if unpublished(d.Status) {
				p.writes.cancels = append(p.writes.cancels, deliveryAt{id: d.ID, status: herald.DeliveryStatus(d.Status)})
			}
			continue
		}
		due, slot, ok := p.when(post, d.ChannelID, d)
		if !ok {
			continue // no free slot: a problem is recorded and nothing is applied
		}
		to := p.rescheduledTo(o, u.newVersion, d)
		p.writes.reschedules = append(p.writes.reschedules, reschedule{deliveryAt: deliveryAt{id: d.ID, status: herald.DeliveryStatus(d.Status)},
			to: to, due: due, slot: slot, key: idempotencyKey(d.ID, hash), row: post.Row})
		p.touch(post, d.ChannelID, due)
		if to == herald.StatusPendingApproval {
			p.waitsUntil(due)
		}
	}
	for _, name := range uniq(post.Channels) {
		if id := p.channels[name]; !have[id] {
			p.addDelivery(o.ID, -1, id, post, hash)
		}
	}
	row.Action, row.Message = herald.ActionUpdated, p.slotMessage()
	return row
}

// remove cancels what is unpublished of a row no longer in the plan and marks
// its post removed; what is published (or may be) stays as it is.
func (p *planner) remove(o *oldPost) herald.RowResult {
	row := herald.RowResult{Key: o.Key, WasRow: o.Row, Action: herald.ActionCancelled, KeyDerived: o.KeyDerived}
	p.writes.removed = append(p.writes.removed, o.ID)
	var kept []string
	for _, d := range o.deliveries {
		if unpublished(d.Status) {
			p.writes.cancels = append(p.writes.cancels, deliveryAt{id: d.ID, status: herald.DeliveryStatus(d.Status)})
		}
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
	return row
}

// unpublished reports whether a delivery in status is one a cancel moves to
// cancelled: nothing of it is on the platform.
func unpublished(status string) bool { return herald.Unpublished.Has(herald.DeliveryStatus(status)) }
