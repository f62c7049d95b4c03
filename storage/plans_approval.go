package storage

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/heraldhq/herald"
)

// Approval in a plan apply. With approval steps in the workspace, a created
// row is a new post waiting at the first step, its deliveries created
// pending_approval; a changed row whose content (herald.Post.ContentHash)
// changed is a new version, waiting at the first step again, its deliveries
// moved to pending_approval; a changed row whose content is the same (its
// time, rubric or row moved) keeps its version and approval: an approved
// post's deliveries are rescheduled scheduled, a pending or rejected one's
// pending_approval. Without approval steps a new version is approval none
// and scheduled. The row result says which (herald.RowResult.Approval).

// approvalCols are a post's approval columns, as postApproval scans them.
const approvalCols = `p.content_hash, p.version, p.uploaded_by, p.approval_state, p.approval_step`

// postApproval is where a post stood in approval when the apply read it.
type postApproval struct {
	contentHash string
	version     int
	uploadedBy  string // the uploader of the version (actorJSON)
	state       string // herald.Approval…
	step        int
}

// holds reports whether a post in state is held from publishing: it waits
// for approval, or was rejected.
func holds(state string) bool {
	return state == herald.ApprovalPending || state == herald.ApprovalRejected
}

// approvalOf decides what the apply does to the approval of changed row o,
// whose new content hash is contentHash: a new version (its content changed,
// or o predates content hashes) or the same one kept; and what the row
// result says.
// It sets the status of the row's new deliveries (p.rowStatus).
func (p *planner) approvalOf(o *oldPost, row int, contentHash string) (result string, newVersion bool) {
	a := o.approval
	if a.contentHash == "" || a.contentHash != contentHash {
		if len(p.steps) > 0 {
			result = herald.ApprovalReset
		}
		p.startWaiting(o.Key, row, p.writes.newState, 0)
		p.rowStatus = p.writes.firstStatus
		return result, true
	}
	if len(p.steps) > 0 || a.state != herald.ApprovalNone {
		result = herald.ApprovalKept
	}
	p.startWaiting(o.Key, row, a.state, a.step)
	p.rowStatus = herald.StatusScheduled
	if holds(a.state) {
		p.rowStatus = herald.StatusPendingApproval
	}
	return result, false
}

// rescheduledTo is the status a delivery d of changed row o moves to.
func (p *planner) rescheduledTo(o *oldPost, newVersion bool, d *oldDelivery) herald.DeliveryStatus {
	switch {
	case newVersion:
		return p.writes.firstStatus
	case holds(o.approval.state), d.Status == string(herald.StatusPendingApproval):
		return herald.StatusPendingApproval
	}
	return herald.StatusScheduled
}

// waitingRow is a row that waits for approval (or was rejected) after the
// apply, with its earliest pending delivery's due instant.
type waitingRow struct {
	key   string
	row   int
	state string
	step  int
	due   int64
	has   bool // due is set
}

// startWaiting notes that the row being planned is held in state at step,
// when that holds it; waitsUntil then records its deliveries' due instants.
func (p *planner) startWaiting(key string, row int, state string, step int) {
	p.curWaiting = -1
	if !holds(state) {
		return
	}
	p.waiting = append(p.waiting, waitingRow{key: key, row: row, state: state, step: step})
	p.curWaiting = len(p.waiting) - 1
}

// waitsUntil records a pending delivery of the row being planned, due at due.
func (p *planner) waitsUntil(due int64) {
	if p.curWaiting < 0 {
		return
	}
	w := &p.waiting[p.curWaiting]
	if !w.has || due < w.due {
		w.due, w.has = due, true
	}
}

// stillWaiting notes an unchanged row o that waits for approval.
func (p *planner) stillWaiting(o *oldPost, row int) {
	p.startWaiting(o.Key, row, o.approval.state, o.approval.step)
	for _, d := range o.deliveries {
		if d.Status == string(herald.StatusPendingApproval) {
			p.waitsUntil(d.DueAt)
		}
	}
	p.curWaiting = -1
}

// approvalSoon is how far ahead an apply warns about posts that still need
// approval.
const approvalSoon = 24 * time.Hour

// approvalWarnings warns about each row still waiting for approval (or
// rejected) after the apply whose first pending delivery is due within
// approvalSoon: it is not published until approved.
func (p *planner) approvalWarnings(plan herald.Plan) []herald.Problem {
	loc, err := herald.LoadLocation(plan.Timezone)
	if err != nil {
		if loc, err = herald.LoadLocation(p.wsZone); err != nil {
			loc = time.UTC
		}
	}
	var ws []herald.Problem
	for _, w := range p.waiting {
		if !w.has || w.due > p.now+approvalSoon.Milliseconds() {
			continue
		}
		when := fromMs(w.due).In(loc).Format("2006-01-02 15:04 MST")
		step := herald.StepName(p.steps, w.step)
		if step == "" {
			step = herald.DefaultApprovalStep.Name
		}
		msg := fmt.Sprintf("post %s is due %s, within 24 hours, and still waits for approval at step %q: it is not published until every step approves it, and past its lateness window it is missed",
			w.key, when, step)
		if w.state == herald.ApprovalRejected {
			msg = fmt.Sprintf("post %s is due %s, within 24 hours, and was rejected at step %q: it is not published; change the row and upload it again to start its approval",
				w.key, when, step)
		}
		ws = append(ws, herald.Problem{Row: w.row, Column: "at", Code: "approval_due_soon", Message: msg})
	}
	return ws
}

// storedActor is an actor as posts.uploaded_by keeps it.
type storedActor struct {
	Kind   string `json:"kind"`
	ID     string `json:"id,omitempty"`
	Name   string `json:"name,omitempty"`
	UserID int64  `json:"user_id,omitempty"`
}

// actorJSON encodes a for posts.uploaded_by.
func actorJSON(a herald.Actor) string {
	b, _ := json.Marshal(storedActor{Kind: a.Kind, ID: a.ID, Name: a.Name, UserID: a.UserID})
	return string(b)
}

// parseActor decodes posts.uploaded_by (the zero Actor when empty).
func parseActor(s string) herald.Actor {
	var a storedActor
	if s == "" || json.Unmarshal([]byte(s), &a) != nil {
		return herald.Actor{}
	}
	return herald.Actor{Kind: a.Kind, ID: a.ID, Name: a.Name, UserID: a.UserID}
}
