package storage

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/heraldhq/herald"
	"github.com/jmoiron/sqlx"
)

// savePlan creates the plan of an apply, or updates the existing one
// (undeleting it when it was deleted), and returns its id.
func (w *planWrites) savePlan(ctx context.Context, tx *sqlx.Tx) (int64, error) {
	plan := w.plan
	var start sql.NullInt64
	if plan.Start != nil {
		start = sql.NullInt64{Int64: ms(*plan.Start), Valid: true}
	}
	id, err := w.planID, error(nil)
	if id == 0 {
		id, err = insertID(ctx, tx, `INSERT INTO plans (workspace_id, key, title, timezone, start_at, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, w.wsID, plan.Key, plan.Title, plan.Timezone, start, w.now, w.now)
	} else {
		_, err = exec(ctx, tx, `UPDATE plans SET title = ?, timezone = ?, start_at = ?, deleted_at = NULL, updated_at = ? WHERE id = ?`,
			plan.Title, plan.Timezone, start, w.now, id)
	}
	if err != nil {
		return 0, fmt.Errorf("apply plan: save plan: %w", err)
	}
	return id, nil
}

// planDeletedReason is the error of a delivery that deleting its plan
// cancelled while it was still to go out: only those are revived.
const planDeletedReason = "cancelled: the plan was deleted"

// revive brings back, for an upload under a deleted plan's key, the rows the
// plan had when it was deleted (old, as loadPosts read them), as the state
// the upload is diffed against: the deliveries the deletion cancelled
// (planDeletedReason) on live channels are scheduled again at their due time
// (the lateness window decides whether a past one still goes out), keeping
// their slot unless another delivery holds it now; a row with a cancelled
// delivery whose slot another delivery holds now is to be placed again: its
// hash is emptied, so the diff updates it. Published deliveries stay as they
// are and are never published again; a row the upload edits or drops is then
// updated, a conflict, or cancelled as usual.
//
// It changes old in memory only, as the writes would, and plans those
// writes (reviveWrites) for the write phase.
func (p *planner) revive(old map[string]*oldPost) {
	rw := &p.writes.revive
	for _, o := range old {
		rw.posts = append(rw.posts, o.ID)
		replace := false
		for i := range o.deliveries {
			d := &o.deliveries[i]
			if d.Status != string(herald.StatusCancelled) {
				continue
			}
			replace = replace || d.slotTaken
			if !d.deletedWithPlan || !d.channelLive {
				continue
			}
			d.Status = string(herald.StatusScheduled)
			revived, slotLost := &rw.deliveries, &rw.slotLost
			if holds(o.approval.state) { // still waiting for approval, or rejected
				d.Status = string(herald.StatusPendingApproval)
				revived, slotLost = &rw.held, &rw.heldSlotLost
			}
			if d.slotTaken {
				d.SlotAt = sql.NullInt64{}
				*slotLost = append(*slotLost, d.ID)
			} else {
				*revived = append(*revived, d.ID)
				if d.SlotAt.Valid {
					p.keptSlots = append(p.keptSlots, heldSlot{ChannelID: d.ChannelID, SlotAt: d.SlotAt.Int64})
				}
			}
		}
		if replace {
			o.Hash = ""
			rw.replace = append(rw.replace, o.ID)
		}
	}
}
