package herald

import "testing"

func TestRolesGrantTheIssueTable(t *testing.T) {
	// role: read, plans, channels, approve, pause, resume, members
	want := map[Role][7]bool{
		RoleOwner:    {true, true, true, true, true, true, true},
		RoleManager:  {true, true, true, true, true, true, true},
		RoleEditor:   {true, true, false, true, true, false, false},
		RoleApprover: {true, false, false, true, false, false, false},
		RoleViewer:   {true, false, false, false, false, false, false},
	}
	perms := [7]Permission{PermRead, PermPlans, PermChannels, PermApprove, PermPause, PermResume, PermMembers}
	for r, row := range want {
		for i, p := range perms {
			if got := r.Can(p); got != row[i] {
				t.Errorf("%s.Can(%s) = %v, want %v", r, p, got, row[i])
			}
		}
		if r.Can(PermAdmin) {
			t.Errorf("%s holds the instance admin's permission", r)
		}
		if !r.Can(PermNone) {
			t.Errorf("%s lacks PermNone", r)
		}
	}
	if RoleManager.Can(PermOwn) || !RoleOwner.Can(PermOwn) {
		t.Error("only owners may delete a workspace")
	}
}

func TestRoleCoversAndNarrow(t *testing.T) {
	cases := []struct {
		holder, given Role
		covers        bool
	}{
		{RoleOwner, RoleOwner, true},
		{RoleManager, RoleOwner, false},
		{RoleManager, RoleApprover, true},
		{RoleEditor, RoleApprover, false}, // would pass a client's step
		{RoleEditor, RoleViewer, true},
		{RoleApprover, RoleEditor, false},
		{RoleViewer, RoleViewer, true},
		{RoleViewer, "", false},
	}
	for _, c := range cases {
		if got := c.holder.Covers(c.given); got != c.covers {
			t.Errorf("%s.Covers(%s) = %v, want %v", c.holder, c.given, got, c.covers)
		}
	}
	if got := RoleEditor.Narrow(RoleApprover); got != RoleViewer {
		t.Errorf("an editor's approver token acts as %s, want viewer", got)
	}
	if got := RoleViewer.Narrow(RoleManager); got != RoleViewer {
		t.Errorf("a demoted member's manager token acts as %s, want viewer", got)
	}
	if got := RoleManager.Narrow(""); got != RoleManager {
		t.Errorf("an unnarrowed token acts as %s, want manager", got)
	}
}

func TestCallerIn(t *testing.T) {
	narrowed := Caller{UserID: 1, WorkspaceID: 7, Role: RoleEditor}
	if _, ok := narrowed.In(8, RoleOwner); ok {
		t.Error("a token narrowed to workspace 7 sees workspace 8")
	}
	if r, ok := narrowed.In(7, RoleOwner); !ok || r != RoleEditor {
		t.Errorf("narrowed token in its workspace = %s, %v; want editor, true", r, ok)
	}
	if _, ok := (Caller{UserID: 1}).In(7, ""); ok {
		t.Error("a non-member sees the workspace")
	}
	if r, ok := (Caller{Admin: true}).In(7, ""); !ok || r != RoleOwner {
		t.Errorf("admin = %s, %v; want owner, true", r, ok)
	}
	if _, err := ParseRole("Approver"); err != nil {
		t.Error(err)
	}
	if _, err := ParseRole("admin"); ErrorCode(err) != EINVALID {
		t.Errorf("ParseRole(admin) = %v, want EINVALID", err)
	}
}
