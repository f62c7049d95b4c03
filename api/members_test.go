package api_test

import (
	"strings"
	"testing"
)

func TestMembersAPI(t *testing.T) {
	e := newEnv(t)
	e.setup("acme")
	owner := e.person("own@example.com", "acme", "owner")
	mgr := e.person("mgr@example.com", "acme", "manager")
	e.createUser("ed@example.com", "Ed", "ed password", false)
	e.createUser("new@example.com", "New", "new password", false)
	put := func(auth, email, role string) resp {
		return e.doAs("Bearer "+auth, "PUT", "/api/v1/workspaces/acme/members/"+email, map[string]string{"role": role})
	}

	// A manager adds and changes anyone but owners, and makes no owner.
	var m struct {
		Email string `json:"email"`
		Name  string `json:"name"`
		Role  string `json:"role"`
	}
	must(t, put(mgr, "ed@example.com", "viewer"), 201).decode(t, &m)
	if m.Email != "ed@example.com" || m.Name != "Ed" || m.Role != "viewer" {
		t.Fatalf("member %+v", m)
	}
	must(t, put(mgr, "ED@example.com", "editor"), 200)
	mustT(t, put(mgr, "new@example.com", "owner"), 403, "forbidden")
	mustT(t, put(mgr, "own@example.com", "viewer"), 403, "forbidden")
	mustT(t, e.doAs("Bearer "+mgr, "DELETE", "/api/v1/workspaces/acme/members/own@example.com", nil), 403, "forbidden")
	mustT(t, put(mgr, "new@example.com", "admin"), 400, "invalid")

	// A user who does not exist: 404 saying how to create one.
	r := mustT(t, put(owner, "ghost@example.com", "viewer"), 404, "not_found")
	if !strings.Contains(r.String(), "POST /api/v1/users") {
		t.Errorf("does not say how: %s", r.body)
	}

	// The last owner stays.
	r = mustT(t, put(owner, "own@example.com", "manager"), 409, "conflict")
	if !strings.Contains(r.String(), "last owner") {
		t.Errorf("409 does not say why: %s", r.body)
	}
	mustT(t, e.doAs("Bearer "+owner, "DELETE", "/api/v1/workspaces/acme/members/own@example.com", nil), 409, "conflict")

	// Listed by email, a page at a time, by any member.
	ed := e.signIn("ed@example.com", "ed password")
	var page struct {
		Items []struct {
			Email string `json:"email"`
			Role  string `json:"role"`
		} `json:"items"`
		NextCursor string `json:"next_cursor"`
	}
	must(t, e.doAs("Bearer "+ed, "GET", "/api/v1/workspaces/acme/members?limit=2", nil), 200).decode(t, &page)
	if len(page.Items) != 2 || page.Items[0].Email != "ed@example.com" || page.Items[1].Email != "mgr@example.com" || page.NextCursor == "" {
		t.Fatalf("page 1 %+v", page)
	}
	page.Items = nil
	must(t, e.doAs("Bearer "+ed, "GET", "/api/v1/workspaces/acme/members?limit=2&cursor="+page.NextCursor, nil), 200).decode(t, &page)
	if len(page.Items) != 1 || page.Items[0].Email != "own@example.com" || page.Items[0].Role != "owner" || page.NextCursor != "" {
		t.Fatalf("page 2 %+v", page)
	}

	// A removed member no longer sees the workspace.
	must(t, e.doAs("Bearer "+mgr, "DELETE", "/api/v1/workspaces/acme/members/ed@example.com", nil), 204)
	mustT(t, e.doAs("Bearer "+ed, "GET", "/api/v1/workspaces/acme", nil), 404, "not_found")
	mustT(t, e.doAs("Bearer "+mgr, "DELETE", "/api/v1/workspaces/acme/members/ed@example.com", nil), 404, "not_found")
}

// An admin user who creates a workspace owns it; every user lists only the
// workspaces they are members of, the admin all.
func TestWorkspacesOfPeopleAPI(t *testing.T) {
	e := newEnv(t)
	e.setup("legacy") // by the bootstrap token: nobody owns it
	pw := e.createUser("boss@example.com", "Boss", "boss password", true)
	boss := e.signIn("boss@example.com", pw)
	must(t, e.doAs("Bearer "+boss, "POST", "/api/v1/workspaces", map[string]any{"slug": "acme", "name": "Acme"}), 201)
	r := must(t, e.doAs("Bearer "+boss, "GET", "/api/v1/workspaces/acme/members", nil), 200)
	if !strings.Contains(r.String(), `"email":"boss@example.com"`) || !strings.Contains(r.String(), `"role":"owner"`) {
		t.Fatalf("creator is not the owner: %s", r.body)
	}
	r = must(t, e.do("GET", "/api/v1/workspaces/legacy/members", nil), 200)
	if strings.TrimSpace(r.String()) != `{"items":[],"next_cursor":""}` {
		t.Fatalf("legacy members %s", r.body)
	}
	ed := e.person("ed@example.com", "acme", "editor")
	r = must(t, e.doAs("Bearer "+ed, "GET", "/api/v1/workspaces", nil), 200)
	if !strings.Contains(r.String(), `"slug":"acme"`) || strings.Contains(r.String(), "legacy") {
		t.Fatalf("editor lists %s", r.body)
	}
	for _, auth := range []string{e.token, boss} {
		r = must(t, e.doAs("Bearer "+auth, "GET", "/api/v1/workspaces", nil), 200)
		if !strings.Contains(r.String(), `"slug":"acme"`) || !strings.Contains(r.String(), `"slug":"legacy"`) {
			t.Fatalf("admin lists %s", r.body)
		}
	}
	// Only the instance admin creates workspaces.
	mustT(t, e.doAs("Bearer "+ed, "POST", "/api/v1/workspaces", map[string]any{"slug": "mine", "name": "Mine"}), 403, "forbidden")
}
