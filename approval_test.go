package herald_test

import (
	"strings"
	"testing"

	"github.com/heraldhq/herald"
)

func TestApprovalStepsValidate(t *testing.T) {
	ws := func(steps ...herald.ApprovalStep) herald.Workspace {
		return herald.Workspace{Slug: "brand", Name: "Brand", Timezone: "UTC", ApprovalRequired: len(steps) > 0, ApprovalSteps: steps}
	}
	step := func(name string, roles ...herald.Role) herald.ApprovalStep {
		return herald.ApprovalStep{Name: name, Roles: roles}
	}
	good := ws(step("internal", herald.RoleManager), step("client", herald.RoleApprover, herald.RoleOwner))
	if err := good.Validate(); err != nil {
		t.Errorf("two steps: %v", err)
	}
	for _, c := range []struct {
		w    herald.Workspace
		col  string
		text string
	}{
		{ws(step("a", herald.RoleManager), step("A", herald.RoleApprover)), "approval_steps[1].name", "unique"},
		{ws(step("", herald.RoleManager)), "approval_steps[0].name", "needs a name"},
		{ws(step(" x", herald.RoleManager)), "approval_steps[0].name", "leading or trailing"},
		{ws(step(strings.Repeat("n", 65), herald.RoleManager)), "approval_steps[0].name", "1-64"},
		{ws(step("x")), "approval_steps[0].roles", "names no role"},
		{ws(step("x", "boss")), "approval_steps[0].roles[0]", "unknown role"},
		{ws(step("x", herald.RoleViewer)), "approval_steps[0].roles[0]", "may not approve"},
		{ws(step("x", herald.RoleManager, herald.RoleManager)), "approval_steps[0].roles[1]", "twice"},
		{ws(step("1", herald.RoleManager), step("2", herald.RoleManager), step("3", herald.RoleManager),
			step("4", herald.RoleManager), step("5", herald.RoleManager), step("6", herald.RoleManager)), "approval_steps", "at most 5"},
	} {
		ps := herald.ErrorDetails(c.w.Validate())
		if len(ps) != 1 || ps[0].Column != c.col || !strings.Contains(ps[0].Message, c.text) {
			t.Errorf("%+v: problems %+v, want one at %s saying %q", c.w.ApprovalSteps, ps, c.col, c.text)
		}
	}
	// approval_required alone is the default step.
	w := herald.Workspace{ApprovalRequired: true}
	if s := w.Steps(); len(s) != 1 || !s[0].Allows(herald.RoleApprover) || !s[0].Allows(herald.RoleManager) || s[0].Allows(herald.RoleEditor) {
		t.Errorf("default steps %+v", s)
	}
	if s := (&herald.Workspace{}).Steps(); s != nil {
		t.Errorf("no approval: %+v", s)
	}
}

func TestSelfApproval(t *testing.T) {
	tok := herald.Actor{Kind: "token", ID: "1"}
	other := herald.Actor{Kind: "token", ID: "2"}
	alice := herald.Actor{Kind: "user", ID: "5", UserID: 5}
	aliceToken := herald.Actor{Kind: "token", ID: "9", UserID: 5}
	if err := herald.SelfApproval(tok, tok, "p", 1, false); herald.ErrorCode(err) != herald.EFORBIDDEN || !strings.Contains(herald.ErrorMessage(err), "allow_self_approval") {
		t.Errorf("same token: %v", err)
	}
	if err := herald.SelfApproval(alice, aliceToken, "p", 1, false); herald.ErrorCode(err) != herald.EFORBIDDEN {
		t.Errorf("one person's session and token: %v", err)
	}
	for _, ok := range []error{herald.SelfApproval(tok, other, "p", 1, false), herald.SelfApproval(tok, tok, "p", 1, true),
		herald.SelfApproval(herald.Actor{}, tok, "p", 1, false)} {
		if ok != nil {
			t.Errorf("refused: %v", ok)
		}
	}
}

func TestDecisionRequestValidate(t *testing.T) {
	r := herald.DecisionRequest{Decision: herald.DecisionRejected, Note: "  "}
	if ps := herald.ErrorDetails(r.Validate()); len(ps) != 1 || ps[0].Column != "note" {
		t.Errorf("rejection without a note: %+v", ps)
	}
	r = herald.DecisionRequest{Decision: herald.DecisionApproved, Note: strings.Repeat("x", herald.MaxNote+1), Posts: []string{""}}
	if ps := herald.ErrorDetails(r.Validate()); len(ps) != 2 {
		t.Errorf("long note, empty key: %+v", ps)
	}
	r = herald.DecisionRequest{Decision: herald.DecisionApproved}
	if err := r.Validate(); err != nil {
		t.Errorf("approval without a note: %v", err)
	}
}
