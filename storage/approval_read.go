package storage

import (
	"context"
	"fmt"

	"github.com/heraldhq/herald"
	"github.com/jmoiron/sqlx"
)

// Reading approval: where each post stands (the report, the plan, the
// calendar and review links show it), from its approval columns and its
// decisions.

// approvalRow is a post's approval columns, as reads scan them (the
// columns p.version, p.approval_state, p.approval_step).
type approvalRow struct {
	PostID  int64  `db:"post_id"`
	Version int    `db:"version"`
	State   string `db:"approval_state"`
	Step    int    `db:"approval_step"`
}

// approvalReadCols selects approvalRow of posts p.
const approvalReadCols = `p.id AS post_id, p.version, p.approval_state, p.approval_step`

// approvals turns posts' approval columns and decisions into what the API
// shows, with the workspace's steps naming theirs.
type approvals struct {
	steps     []herald.ApprovalStep
	decisions map[int64][]herald.Decision
}

func (a *approvals) of(r approvalRow) herald.Approval {
	out := herald.Approval{State: r.State, Version: r.Version, Decisions: a.decisions[r.PostID]}
	if out.State == "" {
		out.State = herald.ApprovalNone
	}
	if holds(out.State) {
		step, _ := stepAt(a.steps, r.Step)
		out.Step = step.Name
	}
	if out.Decisions == nil {
		out.Decisions = []herald.Decision{}
	}
	return out
}

// loadApprovals reads the workspace's steps and the decisions of the posts
// matching postWhere (a condition on posts p, with args): the latest
// herald.MaxDecisionsShown of each, oldest first.
func loadApprovals(ctx context.Context, q sqlx.ExtContext, wsID int64, postWhere string, args ...any) (*approvals, error) {
	var wr workspaceRow
	if err := get(ctx, q, &wr, `SELECT `+workspaceCols+` FROM workspaces WHERE id = ?`, wsID); err != nil {
		return nil, fmt.Errorf("approvals: %w", err)
	}
	a := &approvals{steps: effectiveSteps(wr.workspace()), decisions: map[int64][]herald.Decision{}}
	var rows []struct {
		PostID  int64  `db:"post_id"`
		Version int    `db:"post_version"`
		Step    string `db:"step"`
		Verdict string `db:"decision"`
		Note    string `db:"note"`
		Kind    string `db:"actor_kind"`
		ID      string `db:"actor_id"`
		Name    string `db:"actor_name"`
		At      int64  `db:"at"`
	}
	query, qargs, err := in(q, `SELECT a.post_id, a.post_version, a.step, a.decision, a.note, a.actor_kind, a.actor_id, a.actor_name, a.at
		FROM approval_decisions a WHERE a.workspace_id = ? AND a.post_id IN (SELECT p.id FROM posts p WHERE `+postWhere+`)
		ORDER BY a.post_id, a.id`, append([]any{wsID}, args...)...)
	if err == nil {
		err = sqlx.SelectContext(ctx, q, &rows, query, qargs...)
	}
	if err != nil {
		return nil, fmt.Errorf("approvals: %w", busy(err))
	}
	for _, r := range rows {
		ds := append(a.decisions[r.PostID], herald.Decision{Step: r.Step, Decision: r.Verdict, Note: r.Note,
			By: herald.Decider{Kind: r.Kind, ID: r.ID, Name: r.Name}, At: fromMs(r.At), Version: r.Version})
		if len(ds) > herald.MaxDecisionsShown {
			ds = ds[1:]
		}
		a.decisions[r.PostID] = ds
	}
	return a, nil
}
