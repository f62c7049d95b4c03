package storage

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/heraldhq/herald"
	"github.com/jmoiron/sqlx"
)

// Decisions: approving or rejecting posts of a plan at a step (see
// approval.go of the root package for the rules, plans_approval.go for what
// an apply does to approval).

// effectiveSteps are the steps decisions are made at: the workspace's, or
// the default step when approval is off (posts it left waiting can still be
// decided).
func effectiveSteps(ws *herald.Workspace) []herald.ApprovalStep {
	if steps := ws.Steps(); len(steps) > 0 {
		return steps
	}
	return []herald.ApprovalStep{herald.DefaultApprovalStep}
}

// stepAt is the step a post at index i waits at: the last one when the
// workspace's steps got fewer since.
func stepAt(steps []herald.ApprovalStep, i int) (herald.ApprovalStep, int) {
	if i >= len(steps) {
		i = len(steps) - 1
	}
	return steps[max(i, 0)], max(i, 0)
}

// decidedPostRow is a post a decision reads.
type decidedPostRow struct {
	ID         int64  `db:"id"`
	Key        string `db:"key"`
	Row        int    `db:"row_num"`
	Version    int    `db:"version"`
	UploadedBy string `db:"uploaded_by"`
	State      string `db:"approval_state"`
	Step       int    `db:"approval_step"`
}

// DecidePosts approves or rejects posts of the workspace's plan planKey at
// a step, as herald.ActorOf(ctx), in one transaction. A member (req.Role)
// decides the posts named (each at its own step) or, when none are named,
// every post waiting at the earliest step their role may decide (the
// instance admin, req.Admin, any step); a review
// link (req.LinkID: ENOTFOUND unless it is active and this plan's) decides
// only its step. An approval moves the post to
// the next step; past the last, the post is approved and its
// pending_approval deliveries scheduled. A rejection holds the post until a
// re-upload changes it. Each decision is recorded with the post's version,
// and in the audit log (auditDecision).
//
// It gives EVALIDATION for an invalid request, ENOTFOUND for an unknown or
// deleted plan or a post key not in it, ECONFLICT when a named post does not
// wait for approval or none waits at the step, EFORBIDDEN when the role may
// not decide a post's step, a link's step is not the one a post waits at, or
// the approver uploaded the version (unless the workspace allows self
// approval); nothing is decided then.
func (db *DB) DecidePosts(ctx context.Context, wsID int64, planKey string, req herald.DecisionRequest) (*herald.DecisionResult, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	var res *herald.DecisionResult
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		res, err = db.decide(ctx, tx, wsID, planKey, req)
		return err
	})
	return res, err
}

// decide is DecidePosts in tx.
func (db *DB) decide(ctx context.Context, tx *sqlx.Tx, wsID int64, planKey string, req herald.DecisionRequest) (*herald.DecisionResult, error) {
	if _, err := db.lockWorkspace(ctx, tx, wsID); err != nil {
		return nil, err
	}
	if req.LinkID != 0 { // still active, and for this plan: its step is the one decided
		l, err := activeLink(ctx, tx, `l.id = ?`, db.nowMs(), req.LinkID)
		if err != nil {
			return nil, err
		}
		if l.WorkspaceID != wsID || l.Plan != planKey {
			return nil, herald.Errorf(herald.ENOTFOUND, "this review link is not for plan %q", planKey)
		}
		req.LinkStep = l.Step
	}
	var wr workspaceRow
	if err := get(ctx, tx, &wr, `SELECT `+workspaceCols+` FROM workspaces WHERE id = ?`, wsID); err != nil {
		return nil, fmt.Errorf("decide: %w", err)
	}
	ws := wr.workspace()
	steps := effectiveSteps(ws)
	plan, err := getPlan(ctx, tx, wsID, planKey, "")
	if err != nil {
		return nil, err
	}
	if plan.DeletedAt.Valid {
		return nil, herald.Errorf(herald.ENOTFOUND, "plan %q was deleted", planKey)
	}
	posts, err := decidablePosts(ctx, tx, plan.ID, planKey, req.Posts)
	if err != nil {
		return nil, err
	}
	targets, err := chooseTargets(posts, steps, req, planKey)
	if err != nil {
		return nil, err
	}
	actor := herald.ActorOf(ctx)
	if req.Decision == herald.DecisionApproved {
		for _, p := range targets {
			if err := herald.SelfApproval(parseActor(p.UploadedBy), actor, p.Key, p.Version, ws.AllowSelfApproval); err != nil {
				return nil, err
			}
		}
	}
	if err := db.recordDecisions(ctx, tx, wsID, targets, steps, req, actor); err != nil {
		return nil, err
	}
	if err := db.auditDecision(ctx, tx, wsID, planKey, req, targets, steps); err != nil {
		return nil, err
	}
	res := &herald.DecisionResult{Plan: planKey, Decision: req.Decision, Note: req.Note, Posts: make([]herald.DecidedPost, 0, len(targets))}
	var approved []int64
	byStep := map[int][]int64{}
	for _, p := range targets {
		byStep[p.Step] = append(byStep[p.Step], p.ID)
		step, i := stepAt(steps, p.Step)
		dp := herald.DecidedPost{Key: p.Key, Row: p.Row, Version: p.Version, Decided: step.Name, State: p.State, Step: step.Name}
		switch {
		case req.Decision == herald.DecisionRejected:
			dp.State = herald.ApprovalRejected
		case i+1 >= len(steps):
			dp.State, dp.Step = herald.ApprovalApproved, ""
			approved = append(approved, p.ID)
		default:
			dp.Step = steps[i+1].Name
		}
		res.Posts = append(res.Posts, dp)
	}
	for _, step := range sortedKeys(byStep) {
		ids := byStep[step]
		var q string
		switch {
		case req.Decision == herald.DecisionRejected:
			q = `UPDATE posts SET approval_state = 'rejected', updated_at = ? WHERE approval_state = 'pending' AND approval_step = ? AND id IN (?)`
		default:
			_, i := stepAt(steps, step)
			if i+1 >= len(steps) {
				q = `UPDATE posts SET approval_state = 'approved', approval_step = ` + strconv.Itoa(len(steps)) + `, updated_at = ?
					WHERE approval_state = 'pending' AND approval_step = ? AND id IN (?)`
			} else {
				q = `UPDATE posts SET approval_step = ` + strconv.Itoa(i+1) + `, updated_at = ?
					WHERE approval_state = 'pending' AND approval_step = ? AND id IN (?)`
			}
		}
		if _, err := updateIDs(ctx, tx, q, []any{db.nowMs(), step}, ids, "a post waiting for approval"); err != nil {
			return nil, err
		}
	}
	if len(approved) > 0 {
		n, err := db.releaseApproved(ctx, tx, approved, planKey)
		if err != nil {
			return nil, err
		}
		res.Scheduled = n
	}
	return res, nil
}

// auditDecision records a decision in the audit log: post.approved or
// post.rejected for the plan, with the step, the posts decided (keys and
// versions) and the note; and review_link.used when a review link made it.
// The actor is the caller's: a decision by a review link is the link's,
// named by the reviewer as given.
func (db *DB) auditDecision(ctx context.Context, tx *sqlx.Tx, wsID int64, planKey string, req herald.DecisionRequest,
	targets []decidedPostRow, steps []herald.ApprovalStep) error {
	keys, versions, stepNames := make([]string, len(targets)), make([]int, len(targets)), map[string]bool{}
	for i, p := range targets {
		step, _ := stepAt(steps, p.Step)
		keys[i], versions[i], stepNames[step.Name] = p.Key, p.Version, true
	}
	names := make([]string, 0, len(stepNames))
	for _, s := range steps {
		if stepNames[s.Name] {
			names = append(names, s.Name)
		}
	}
	action := herald.AuditPostApproved
	if req.Decision == herald.DecisionRejected {
		action = herald.AuditPostRejected
	}
	details := map[string]any{"plan": planKey, "steps": names, "posts": keys, "versions": versions, "count": len(keys)}
	if req.Note != "" {
		details["note"] = req.Note
	}
	if err := db.audit(ctx, tx, wsID, action, "plan "+planKey, details); err != nil {
		return err
	}
	if req.LinkID == 0 {
		return nil
	}
	return db.audit(ctx, tx, wsID, herald.AuditReviewLinkUsed, fmt.Sprintf("review link %d", req.LinkID),
		map[string]any{"plan": planKey, "step": req.LinkStep, "decision": req.Decision, "count": len(keys)})
}

// decidablePosts reads the plan's live posts, or those named by keys
// (ENOTFOUND for a key not in the plan), in row order.
func decidablePosts(ctx context.Context, tx *sqlx.Tx, planID int64, planKey string, keys []string) ([]decidedPostRow, error) {
	const cols = `SELECT id, key, row_num, version, uploaded_by, approval_state, approval_step FROM posts WHERE plan_id = ? AND removed = 0`
	var posts []decidedPostRow
	if len(keys) == 0 {
		if err := sel(ctx, tx, &posts, cols+` ORDER BY row_num, id`, planID); err != nil {
			return nil, fmt.Errorf("decide: %w", err)
		}
		return posts, nil
	}
	q, args, err := in(tx, cols+` AND key IN (?) ORDER BY row_num, id`, planID, keys)
	if err == nil {
		err = sqlx.SelectContext(ctx, tx, &posts, q, args...)
	}
	if err != nil {
		return nil, fmt.Errorf("decide: %w", busy(err))
	}
	found := make(map[string]bool, len(posts))
	for _, p := range posts {
		found[p.Key] = true
	}
	for _, k := range keys {
		if !found[k] {
			return nil, herald.Errorf(herald.ENOTFOUND, "post %q is not in plan %q", k, planKey)
		}
	}
	return posts, nil
}

// chooseTargets picks the posts a decision decides (see DecidePosts).
func chooseTargets(posts []decidedPostRow, steps []herald.ApprovalStep, req herald.DecisionRequest, planKey string) ([]decidedPostRow, error) {
	linkStep := -1
	if req.LinkStep != "" {
		for i, s := range steps {
			if s.Name == req.LinkStep {
				linkStep = i
			}
		}
		if linkStep < 0 {
			return nil, herald.Errorf(herald.ECONFLICT, "this review link decides step %q, which the workspace no longer has; ask for a new link", req.LinkStep)
		}
	}
	var pending []decidedPostRow
	for _, p := range posts {
		if p.State == herald.ApprovalPending {
			pending = append(pending, p)
		} else if len(req.Posts) > 0 {
			return nil, notWaiting(p, steps)
		}
	}
	if len(req.Posts) > 0 {
		for _, p := range pending {
			step, i := stepAt(steps, p.Step)
			switch {
			case linkStep >= 0 && i != linkStep:
				return nil, herald.Errorf(herald.EFORBIDDEN, "this review link decides step %q, but post %q waits at step %q", req.LinkStep, p.Key, step.Name)
			case linkStep < 0 && !req.Admin:
				if err := herald.MayDecide(req.Role, step, p.Key); err != nil {
					return nil, err
				}
			}
		}
		return pending, nil
	}
	if len(pending) == 0 {
		return nil, herald.Errorf(herald.ECONFLICT, "no post of plan %q waits for approval", planKey)
	}
	waitingAt := map[int]bool{}
	for _, p := range pending {
		_, i := stepAt(steps, p.Step)
		waitingAt[i] = true
	}
	chosen := linkStep
	if linkStep >= 0 && !waitingAt[linkStep] {
		return nil, herald.Errorf(herald.ECONFLICT, "no post of plan %q waits at step %q now (posts wait at: %s)", planKey, req.LinkStep, stepList(steps, waitingAt))
	}
	if linkStep < 0 {
		for i := range steps {
			if waitingAt[i] && (req.Admin || steps[i].Allows(req.Role)) {
				chosen = i
				break
			}
		}
		if chosen < 0 {
			return nil, herald.Errorf(herald.EFORBIDDEN, "your role %s may not decide the steps posts of plan %q wait at: %s",
				req.Role, planKey, stepList(steps, waitingAt))
		}
	}
	var out []decidedPostRow
	for _, p := range pending {
		if _, i := stepAt(steps, p.Step); i == chosen {
			out = append(out, p)
		}
	}
	return out, nil
}

// notWaiting is the ECONFLICT of a named post that waits for no approval.
func notWaiting(p decidedPostRow, steps []herald.ApprovalStep) error {
	switch p.State {
	case herald.ApprovalApproved:
		return herald.Errorf(herald.ECONFLICT, "post %q (version %d) is already approved", p.Key, p.Version)
	case herald.ApprovalRejected:
		step, _ := stepAt(steps, p.Step)
		return herald.Errorf(herald.ECONFLICT, "post %q (version %d) was rejected at step %q; change the row and upload the plan again to start its approval", p.Key, p.Version, step.Name)
	}
	return herald.Errorf(herald.ECONFLICT, "post %q does not wait for approval (it was uploaded while approval was off)", p.Key)
}

// stepList names the steps in at with the roles that decide them:
// `"internal" (manager), "client" (approver)`.
func stepList(steps []herald.ApprovalStep, at map[int]bool) string {
	var parts []string
	for i, s := range steps {
		if at[i] {
			roles := make([]string, len(s.Roles))
			for j, r := range s.Roles {
				roles[j] = string(r)
			}
			parts = append(parts, fmt.Sprintf("%q (%s)", s.Name, strings.Join(roles, ", ")))
		}
	}
	return strings.Join(parts, ", ")
}

// recordDecisions writes one approval_decisions row per target.
func (db *DB) recordDecisions(ctx context.Context, tx *sqlx.Tx, wsID int64, targets []decidedPostRow, steps []herald.ApprovalStep,
	req herald.DecisionRequest, actor herald.Actor) error {
	var link any // NULL for a member's decision
	if req.LinkID != 0 {
		link = req.LinkID
	}
	now := db.nowMs()
	err := inBatches(ctx, tx, `INSERT INTO approval_decisions (workspace_id, post_id, post_version, step_index, step, decision, note,
		actor_kind, actor_id, actor_name, actor_user_id, link_id, at) VALUES `, "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", len(targets),
		func(args []any, i int) ([]any, error) {
			p := targets[i]
			step, idx := stepAt(steps, p.Step)
			return append(args, wsID, p.ID, int64(p.Version), int64(idx), step.Name, req.Decision, req.Note,
				actor.Kind, actor.ID, actor.Name, actor.UserID, link, now), nil
		})
	if err != nil {
		return fmt.Errorf("record decisions: %w", busy(err))
	}
	return nil
}

// releaseApproved schedules the pending_approval deliveries of the approved
// posts and returns how many it moved.
func (db *DB) releaseApproved(ctx context.Context, tx *sqlx.Tx, postIDs []int64, planKey string) (int, error) {
	var ids []int64
	for from := 0; from < len(postIDs); from += moveChunk {
		q, args, err := in(tx, `SELECT id FROM deliveries WHERE status = 'pending_approval' AND post_id IN (?) ORDER BY id`,
			postIDs[from:min(from+moveChunk, len(postIDs))])
		var got []int64
		if err == nil {
			err = sqlx.SelectContext(ctx, tx, &got, q, args...)
		}
		if err != nil {
			return 0, fmt.Errorf("approve: %w", busy(err))
		}
		ids = append(ids, got...)
	}
	moved, err := db.moveDeliveries(ctx, tx, ids, move{from: herald.StatusSet{herald.StatusPendingApproval},
		to: to(herald.StatusScheduled), reason: "approved: plan " + planKey})
	return len(moved), err
}

func sortedKeys(m map[int][]int64) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	return keys
}
