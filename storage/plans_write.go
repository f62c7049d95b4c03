package storage

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/heraldhq/herald"
	"github.com/jmoiron/sqlx"
)

// The write phase of ApplyPlan: it makes, in the write transaction, the
// writes the plan phase decided (planWrites), in batches: multi-row INSERTs
// of writeBatch rows with ids reserved up front (nextIDs), INSERT … SELECT
// for the deliveries of runs of created rows (insertRun), UPDATEs of many
// ids at once where every row gets the same values, and prepared statements
// reused for the rest.
//
// Every delivery status change an apply makes goes through the four
// functions at the end of this file — insertDeliveries (new, scheduled),
// cancelDeliveries, rescheduleDeliveries and reviveDeliveries — each given
// the deliveries with the status the plan phase read them in, which their
// UPDATE requires (WHERE … AND status = ?): a delivery that moved since (a
// worker claimed it: publishing) is left alone and the apply fails with
// ECONFLICT (errChanged), so nothing of it is applied. When storage gains
// its one guarded status transition (with a delivery_events row per change),
// these four are where the applier calls it.

// planWrites is every write of one apply, as its plan phase decided them.
type planWrites struct {
	db        *DB
	planKey   string
	wsID, now int64
	plan      herald.Plan
	planID    int64 // 0: the plan is new
	// firstStatus is a new version's deliveries' status (pending_approval
	// when the workspace has approval steps), newState its approval state;
	// uploader who applies (actorJSON), the uploader of the versions made.
	firstStatus herald.DeliveryStatus
	newState    string
	uploader    string

	revive      reviveWrites
	posts       []newPost     // rows created, in row order
	deliveries  []newDelivery // new deliveries, in row order
	updates     []postUpdate  // rows changed
	moves       []rowMove     // unchanged rows with a new row number or key_derived
	reschedules []reschedule  // deliveries of changed rows
	cancels     []deliveryAt  // deliveries of removed rows and dropped channels
	removed     []int64       // posts of rows no longer in the plan
}

// reviveWrites brings a deleted plan's rows back (see revive).
type reviveWrites struct {
	posts      []int64 // every row the plan had when deleted
	replace    []int64 // rows to be placed again: their hash is emptied
	deliveries []int64 // cancelled by the deletion: scheduled again
	slotLost   []int64 // the same, whose slot another delivery holds now: without it
	// held and heldSlotLost are those of posts waiting for approval or
	// rejected: pending_approval again.
	held, heldSlotLost []int64
}

// newPost is a row to create; its id is reserved by the write phase.
type newPost struct {
	post        *herald.Post
	hash        string
	contentHash string
	content     string // posts.content, made by encode
}

// newDelivery is a delivery to create on channelID, in status (scheduled
// or pending_approval), of the existing post postID or, when newPost >= 0,
// of planWrites.posts[newPost].
type newDelivery struct {
	postID    int64
	newPost   int
	channelID int64
	due       int64
	slot      sql.NullInt64
	hash      string // the post's, for the idempotency key
	row       int
	status    herald.DeliveryStatus
}

// postUpdate is a changed row: its post gets the row's content, if its hash
// is still oldHash; with newVersion, as a new version (its content
// changed), uploaded by planWrites.uploader, its approval started again.
type postUpdate struct {
	id          int64
	oldHash     string
	post        *herald.Post
	hash        string
	contentHash string
	newVersion  bool
	content     string // posts.content, made by encode
}

// rowMove is an unchanged row whose row number or derived key changed.
type rowMove struct {
	id         int64
	row        int
	keyDerived bool
}

// deliveryAt is a delivery and the status the plan phase read it in.
type deliveryAt struct {
	id     int64
	status herald.DeliveryStatus
}

// reschedule moves a delivery of a changed row to its new due time and slot,
// to status to (scheduled, or pending_approval where it was), with a new
// idempotency key.
type reschedule struct {
	deliveryAt
	to   herald.DeliveryStatus
	due  int64
	slot sql.NullInt64
	key  string
	row  int
}

// errChanged is the ECONFLICT of a row or delivery that changed between the
// plan phase and the write phase.
func errChanged(what string) error {
	return herald.Errorf(herald.ECONFLICT, "%s changed while the plan was applied; apply the plan again", what)
}

// run makes the writes in tx.
func (w *planWrites) run(ctx context.Context, tx *sqlx.Tx) error {
	planID, err := w.savePlan(ctx, tx)
	if err != nil {
		return err
	}
	if err := w.reviveRows(ctx, tx); err != nil {
		return err
	}
	if err := w.encode(); err != nil {
		return err
	}
	postIDs, err := w.insertPosts(ctx, tx, planID)
	if err != nil {
		return err
	}
	if err := w.updatePosts(ctx, tx); err != nil {
		return err
	}
	if err := w.cancelDeliveries(ctx, tx, w.cancels); err != nil {
		return err
	}
	if err := w.rescheduleDeliveries(ctx, tx, w.reschedules); err != nil {
		return err
	}
	if err := w.insertDeliveries(ctx, tx, w.deliveries, w.posts, postIDs); err != nil {
		return err
	}
	if _, err := updateIDs(ctx, tx, `UPDATE posts SET removed = 1, updated_at = ? WHERE removed = 0 AND id IN (?)`,
		[]any{w.now}, w.removed, "a removed row"); err != nil {
		return err
	}
	return nil
}

// encode makes the content of the created and changed rows' posts, on
// every CPU for a large plan.
func (w *planWrites) encode() error {
	err := parallel(len(w.posts), func(i int) error {
		p := &w.posts[i]
		c, err := encodeContent(p.post)
		if err != nil {
			return fmt.Errorf("apply plan: row %d: %w", p.post.Row, err)
		}
		p.content = c
		return nil
	})
	if err != nil {
		return err
	}
	return parallel(len(w.updates), func(i int) error {
		u := &w.updates[i]
		c, err := encodeContent(u.post)
		if err != nil {
			return fmt.Errorf("apply plan: row %d: %w", u.post.Row, err)
		}
		u.content = c
		return nil
	})
}

// reviveRows brings back a deleted plan's rows and the deliveries its
// deletion cancelled.
func (w *planWrites) reviveRows(ctx context.Context, tx *sqlx.Tx) error {
	rw := w.revive
	if len(rw.posts) == 0 {
		return nil
	}
	if _, err := updateIDs(ctx, tx, `UPDATE posts SET hash = '' WHERE id IN (?)`, nil, rw.replace, ""); err != nil {
		return err
	}
	for _, r := range []struct {
		ids      []int64
		keepSlot bool
		to       herald.DeliveryStatus
	}{{rw.deliveries, true, herald.StatusScheduled}, {rw.slotLost, false, herald.StatusScheduled},
		{rw.held, true, herald.StatusPendingApproval}, {rw.heldSlotLost, false, herald.StatusPendingApproval}} {
		if err := w.reviveDeliveries(ctx, tx, r.ids, r.keepSlot, r.to); err != nil {
			return err
		}
	}
	_, err := updateIDs(ctx, tx, `UPDATE posts SET removed = 0, plan_deleted = 0, updated_at = ? WHERE plan_deleted = 1 AND id IN (?)`,
		[]any{w.now}, rw.posts, "a row of the deleted plan")
	return err
}

// insertPosts creates the new rows' posts and returns their ids, in order.
func (w *planWrites) insertPosts(ctx context.Context, tx *sqlx.Tx, planID int64) ([]int64, error) {
	if len(w.posts) == 0 {
		return nil, nil
	}
	ids, err := w.db.d.nextIDs(ctx, tx, "posts", len(w.posts))
	if err != nil {
		return nil, fmt.Errorf("apply plan: post ids: %w", busy(err))
	}
	// What is the same for every row is written in the statement, not bound.
	// w.newState is one of herald's approval states: safe to write as a literal.
	row := fmt.Sprintf("(?, %d, %d, ?, ?, ?, ?, ?, ?, ?, ?, ?, %d, %d, ?, 1, ?, '%s', 0)", w.wsID, planID, w.now, w.now, w.newState)
	var enc channelsJSON
	err = inBatches(ctx, tx, `INSERT INTO posts (id, workspace_id, plan_id, key, key_derived, row_num, at, due_at, channels, rubric,
		content, hash, created_at, updated_at, content_hash, version, uploaded_by, approval_state, approval_step) VALUES `, row, len(w.posts), func(args []any, i int) ([]any, error) {
		p := w.posts[i].post
		channels, err := enc.encode(p.Channels)
		if err != nil {
			return nil, fmt.Errorf("apply plan: row %d: %w", p.Row, err)
		}
		return append(args, ids[i], p.Key, int64(boolInt(p.KeyDerived)), int64(p.Row), p.At, ms(p.DueAt), channels, p.Rubric,
			w.posts[i].content, w.posts[i].hash, w.posts[i].contentHash, w.uploader), nil
	})
	if err != nil {
		return nil, fmt.Errorf("apply plan: posts: %w", busy(err))
	}
	return ids, nil
}

// updatePosts writes the changed rows' content and the moved rows' numbers.
func (w *planWrites) updatePosts(ctx context.Context, tx *sqlx.Tx) error {
	if len(w.updates) > 0 {
		const set = `UPDATE posts SET key_derived = ?, row_num = ?, at = ?, due_at = ?, channels = ?,
			rubric = ?, content = ?, hash = ?, updated_at = ?, content_hash = ?`
		// A new version: its approval starts again (w.newState is one of
		// herald's approval states: safe as a literal).
		versioned := set + `, version = version + 1, uploaded_by = ?, approval_state = '` + w.newState + `', approval_step = 0`
		var stmts [2]*sqlx.Stmt
		for i, q := range []string{set, versioned} {
			stmt, err := tx.PreparexContext(ctx, tx.Rebind(q+` WHERE id = ? AND hash = ?`))
			if err != nil {
				return fmt.Errorf("apply plan: update posts: %w", busy(err))
			}
			defer stmt.Close()
			stmts[i] = stmt
		}
		var enc channelsJSON
		for _, u := range w.updates {
			p := u.post
			channels, err := enc.encode(p.Channels)
			if err != nil {
				return fmt.Errorf("apply plan: row %d: %w", p.Row, err)
			}
			args := []any{int64(boolInt(p.KeyDerived)), int64(p.Row), p.At, ms(p.DueAt), channels, p.Rubric, u.content, u.hash, w.now, u.contentHash}
			stmt := stmts[0]
			if u.newVersion {
				stmt, args = stmts[1], append(args, w.uploader)
			}
			if err := execOne(ctx, stmt, fmt.Sprintf("row %d", p.Row), append(args, u.id, u.oldHash)...); err != nil {
				return err
			}
		}
	}
	if len(w.moves) > 0 {
		stmt, err := tx.PreparexContext(ctx, tx.Rebind(`UPDATE posts SET row_num = ?, key_derived = ? WHERE id = ? AND removed = 0`))
		if err != nil {
			return fmt.Errorf("apply plan: move rows: %w", busy(err))
		}
		defer stmt.Close()
		for _, m := range w.moves {
			if err := execOne(ctx, stmt, fmt.Sprintf("row %d", m.row), int64(m.row), int64(boolInt(m.keyDerived)), m.id); err != nil {
				return err
			}
		}
	}
	return nil
}

// statusGroup is deliveries read in one status.
type statusGroup struct {
	status herald.DeliveryStatus
	ids    []int64
}

// byStatus groups deliveries by the status they were read in, in the order
// of herald.Statuses.
func byStatus(ds []deliveryAt) []statusGroup {
	group := map[herald.DeliveryStatus][]int64{}
	for _, d := range ds {
		group[d.status] = append(group[d.status], d.id)
	}
	var out []statusGroup
	for _, s := range herald.Statuses {
		if ids := group[s]; len(ids) > 0 {
			out = append(out, statusGroup{s, ids})
		}
	}
	return out
}

// Delivery status changes: every one an apply makes is below.

// insertDeliveries creates the new deliveries, each in its status, with ids reserved
// up front (in row order) so that each row carries its idempotency key;
// posts and postIDs are the created posts and their ids. Runs of created
// fixed-time rows that share their channels — most of a large plan — are
// made from their posts, one INSERT … SELECT a channel (insertRun); the
// rest with multi-row INSERTs.
func (w *planWrites) insertDeliveries(ctx context.Context, tx *sqlx.Tx, ds []newDelivery, posts []newPost, postIDs []int64) error {
	if len(ds) == 0 {
		return nil
	}
	wsID, now := w.wsID, w.now
	ids, err := w.db.d.nextIDs(ctx, tx, "deliveries", len(ds))
	if err != nil {
		return fmt.Errorf("apply plan: delivery ids: %w", busy(err))
	}
	var rest []int // indexes in ds of the deliveries outside runs
	for i := 0; i < len(ds); {
		rows, chs := deliveryRun(ds, i, posts, postIDs, ids)
		if rows >= minRun {
			for k := range chs {
				if err := insertRun(ctx, tx, wsID, now, ds[i+k].channelID, ids[i]+int64(k), int64(chs), postIDs[ds[i].newPost], rows, ds[i].status); err != nil {
					return deliveryError(0, err)
				}
			}
			i += rows * chs
			continue
		}
		for range max(chs, 1) {
			rest = append(rest, i)
			i++
		}
	}
	row := fmt.Sprintf("(?, %d, ?, ?, ?, ?, ?, ?, ?, %d, %d)", wsID, now, now)
	err = inBatches(ctx, tx, `INSERT INTO deliveries (id, workspace_id, post_id, channel_id, status, due_at, next_attempt_at,
		slot_at, idempotency_key, created_at, updated_at) VALUES `, row, len(rest), func(args []any, j int) ([]any, error) {
		i := rest[j]
		d := &ds[i]
		postID := d.postID
		if d.newPost >= 0 {
			postID = postIDs[d.newPost]
		}
		var slot any // binds as NULL
		if d.slot.Valid {
			slot = d.slot.Int64
		}
		return append(args, ids[i], postID, d.channelID, string(d.status), d.due, d.due, slot, idempotencyKey(ids[i], d.hash)), nil
	})
	if err != nil {
		return deliveryError(0, err)
	}
	return w.db.recordCreated(ctx, tx, ids, "plan "+w.planKey+" applied")
}

// minRun is the fewest rows insertRun is worth a statement for (a
// variable for tests).
var minRun = 64

// deliveryRun measures the run of deliveries starting at ds[i]: rows
// consecutive created posts, each due at its post's time (no slot) on the
// same chs channels in the same order, with consecutive post ids and
// consecutive delivery ids (row r's delivery on its k-th channel is
// ids[i] + r*chs + k), all in one status. chs is the first row's channel count, 0 when ds[i]
// starts no run.
func deliveryRun(ds []newDelivery, i int, posts []newPost, postIDs, ids []int64) (rows, chs int) {
	first := &ds[i]
	if first.newPost < 0 || (i > 0 && ds[i-1].newPost == first.newPost) {
		return 0, 0
	}
	fixed := func(d *newDelivery, np int) bool {
		return d.newPost == np && !d.slot.Valid && d.due == ms(posts[np].post.DueAt) && d.status == first.status
	}
	for i+chs < len(ds) && ds[i+chs].newPost == first.newPost {
		if !fixed(&ds[i+chs], first.newPost) {
			return 0, chs + 1
		}
		chs++
	}
	for rows = 1; ; rows++ {
		at, np := i+rows*chs, first.newPost+rows
		if at+chs > len(ds) || np >= len(posts) || postIDs[np] != postIDs[first.newPost]+int64(rows) {
			return rows, chs
		}
		if at+chs < len(ds) && ds[at+chs].newPost == np { // more channels than the first row
			return rows, chs
		}
		for k := range chs {
			d := &ds[at+k]
			if !fixed(d, np) || d.channelID != ds[i+k].channelID || ids[at+k] != ids[i]+int64(rows*chs+k) {
				return rows, chs
			}
		}
	}
}

// insertRun creates, for the posts firstPost … firstPost+rows-1, their
// deliveries on channel chID, due at their posts' times, with ids first,
// first+stride, …, in status; the idempotency key is idempotencyKey's, in SQL.
func insertRun(ctx context.Context, tx *sqlx.Tx, wsID, now, chID, first, stride, firstPost int64, rows int, status herald.DeliveryStatus) error {
	_, err := exec(ctx, tx, `INSERT INTO deliveries (id, workspace_id, post_id, channel_id, status, due_at, next_attempt_at,
		slot_at, idempotency_key, created_at, updated_at)
		SELECT d.id, ?, d.post_id, ?, CAST(? AS TEXT), d.due_at, d.due_at, NULL, `+idempotencyKeySQL+`, ?, ?
		FROM (SELECT ? + (id - ?) * ? AS id, id AS post_id, due_at, hash FROM posts WHERE id BETWEEN ? AND ?) d`,
		wsID, chID, string(status), now, now, first, firstPost, stride, firstPost, firstPost+int64(rows)-1)
	return err
}

// idempotencyKeySQL is idempotencyKey in SQL, of the columns id and hash.
const idempotencyKeySQL = `'herald-' || d.id || '-' || substr(d.hash, 1, 12)`

// cancelDeliveries cancels deliveries of removed rows and of channels a row
// dropped, each only from the status it was read in.
func (w *planWrites) cancelDeliveries(ctx context.Context, tx *sqlx.Tx, ds []deliveryAt) error {
	for _, g := range byStatus(ds) {
		if _, err := w.db.moveDeliveries(ctx, tx, g.ids, move{from: herald.StatusSet{g.status}, to: to(herald.StatusCancelled),
			strict: true, reason: "plan " + w.planKey + " applied: row removed or channel dropped"}); err != nil {
			return changed(err, "a delivery of the plan")
		}
	}
	return nil
}

// changed is errChanged for a strict move's conflict; other errors stay.
func changed(err error, what string) error {
	if herald.ErrorCode(err) == herald.ECONFLICT {
		return errChanged(what)
	}
	return err
}

// rescheduleDeliveries moves the deliveries of changed rows to their new
// due times and slots, to r.to (scheduled, or pending_approval: see
// plans_approval.go), with new
// idempotency keys and no error, retry time or platform state left; each
// only from the status it was read in.
func (w *planWrites) rescheduleDeliveries(ctx context.Context, tx *sqlx.Tx, rs []reschedule) error {
	for _, r := range rs {
		if _, err := w.db.moveDeliveries(ctx, tx, []int64{r.id}, move{from: herald.StatusSet{r.status}, to: to(r.to),
			set:  `due_at = ?, next_attempt_at = ?, retried_at = NULL, slot_at = ?, idempotency_key = ?, error = '', platform_state = '{}'`,
			args: []any{r.due, r.due, r.slot, r.key}, strict: true,
			reason: fmt.Sprintf("plan %s applied: row %d changed", w.planKey, r.row)}); err != nil {
			if herald.ErrorCode(err) == herald.ECONFLICT {
				return errChanged(fmt.Sprintf("row %d: a delivery", r.row))
			}
			return deliveryError(r.row, err)
		}
	}
	return nil
}

// reviveDeliveries moves back to status to (scheduled, or pending_approval
// for a post held by approval), at their due times, deliveries a plan's
// deletion cancelled, from cancelled only; without their slot unless
// keepSlot.
func (w *planWrites) reviveDeliveries(ctx context.Context, tx *sqlx.Tx, ids []int64, keepSlot bool, status herald.DeliveryStatus) error {
	set := `next_attempt_at = due_at, retried_at = NULL, error = ''`
	if !keepSlot {
		set += `, slot_at = NULL`
	}
	_, err := w.db.moveDeliveries(ctx, tx, ids, move{from: herald.StatusSet{herald.StatusCancelled}, to: to(status),
		set: set, strict: true, reason: "plan " + w.planKey + " uploaded again: revived"})
	return changed(err, "a delivery of the deleted plan")
}
