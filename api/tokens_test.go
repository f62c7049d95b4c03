package api_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// A token narrowed to one workspace and role cannot exceed it: another
// workspace is 404 exactly as one that does not exist, a higher action
// 403, a wider token refused.
func TestNarrowedTokenCannotExceedIt(t *testing.T) {
	e := newEnv(t)
	e.setup("acme")
	e.setup("other")
	owner := e.person("own@example.com", "acme", "owner")
	e.member("other", "own@example.com", "owner")
	ci, _ := e.tokenAs(owner, map[string]any{"name": "ci", "workspace": "acme", "role": "editor"})
	as := func(method, path string, body any) resp { return e.doAs("Bearer "+ci, method, path, body) }

	must(t, as("PUT", "/api/v1/workspaces/acme/plans/dec", jsonPlan("hello")), 200)
	hidden := mustT(t, as("PUT", "/api/v1/workspaces/other/plans/dec", jsonPlan("hello")), 404, "not_found")
	missing := mustT(t, as("PUT", "/api/v1/workspaces/nope/plans/dec", jsonPlan("hello")), 404, "not_found")
	if strings.Replace(hidden.String(), "other", "nope", 1) != missing.String() {
		t.Errorf("another workspace answers %s; one that does not exist %s", hidden.body, missing.body)
	}
	mustT(t, as("GET", "/api/v1/workspaces/other", nil), 404, "not_found")
	r := mustT(t, as("PATCH", "/api/v1/workspaces/acme", map[string]any{"name": "Mine"}), 403, "forbidden")
	if !strings.Contains(r.String(), "editor") {
		t.Errorf("403 does not name the role: %s", r.body)
	}
	mustT(t, as("POST", "/api/v1/workspaces/acme/channels", map[string]any{"name": "x", "platform": "outbox"}), 403, "forbidden")
	mustT(t, as("PUT", "/api/v1/workspaces/acme/members/own@example.com", map[string]string{"role": "viewer"}), 403, "forbidden")
	// It lists acme alone.
	r = must(t, as("GET", "/api/v1/workspaces", nil), 200)
	if !strings.Contains(r.String(), `"slug":"acme"`) || strings.Contains(r.String(), `"slug":"other"`) {
		t.Errorf("narrowed token lists %s", r.body)
	}
	// No wider token from it.
	mustT(t, as("POST", "/api/v1/tokens", map[string]any{"name": "x", "workspace": "other"}), 404, "not_found")
	mustT(t, as("POST", "/api/v1/tokens", map[string]any{"name": "x", "role": "manager"}), 403, "forbidden")
	mustT(t, as("POST", "/api/v1/tokens", map[string]any{"name": "x", "role": "approver"}), 403, "forbidden")
	var sub struct {
		Token     string `json:"token"`
		Workspace string `json:"workspace"`
		Role      string `json:"role"`
	}
	must(t, as("POST", "/api/v1/tokens", map[string]any{"name": "sub"}), 201).decode(t, &sub)
	if sub.Workspace != "acme" || sub.Role != "editor" {
		t.Errorf("a token's token %+v", sub)
	}
	// Nor is it the instance admin, whoever made it.
	admins, _ := e.tokenAs(e.token, map[string]any{"name": "admin ci", "workspace": "acme", "role": "editor"})
	mustT(t, e.doAs("Bearer "+admins, "POST", "/api/v1/workspaces", map[string]any{"slug": "new", "name": "New"}), 403, "forbidden")
	mustT(t, e.doAs("Bearer "+admins, "GET", "/api/v1/workspaces/other", nil), 404, "not_found")
}

func TestTokensListedAndRevoked(t *testing.T) {
	clk := &clock{t: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	e := newEnvAt(t, clk)
	e.setup("acme")
	ana := e.person("ana@example.com", "acme", "editor")
	bo := e.person("bo@example.com", "acme", "viewer")

	inAnHour := clk.Now().Add(time.Hour).Format(time.RFC3339)
	short, shortID := e.tokenAs(ana, map[string]any{"name": "short", "expires_at": inAnHour})
	ci, ciID := e.tokenAs(ana, map[string]any{"name": "ci", "workspace": "acme"})
	e.tokenAs(bo, map[string]any{"name": "bo's"})

	// Ana lists hers, never a secret; Bo his; the admin all.
	r := must(t, e.doAs("Bearer "+ana, "GET", "/api/v1/tokens?limit=1", nil), 200)
	var list struct {
		Items []struct {
			ID        int64  `json:"id"`
			Name      string `json:"name"`
			Workspace string `json:"workspace"`
			User      string `json:"user"`
			ExpiresAt string `json:"expires_at"`
			RevokedAt string `json:"revoked_at"`
		} `json:"items"`
		NextCursor string `json:"next_cursor"`
	}
	r.decode(t, &list)
	if len(list.Items) != 1 || list.Items[0].ID != shortID || list.Items[0].ExpiresAt == "" || list.NextCursor == "" || strings.Contains(r.String(), "hrld_") {
		t.Fatalf("page 1 %s", r.body)
	}
	list.Items = nil
	must(t, e.doAs("Bearer "+ana, "GET", "/api/v1/tokens?limit=5&cursor="+list.NextCursor, nil), 200).decode(t, &list)
	if len(list.Items) != 1 || list.Items[0].ID != ciID || list.Items[0].Workspace != "acme" || list.Items[0].User != "ana@example.com" || list.NextCursor != "" {
		t.Fatalf("page 2 %+v", list)
	}
	mustT(t, e.doAs("Bearer "+ana, "GET", "/api/v1/tokens?cursor=zz", nil), 400, "invalid")
	list.Items = nil
	must(t, e.do("GET", "/api/v1/tokens", nil), 200).decode(t, &list)
	if len(list.Items) != 4 { // the bootstrap token and three
		t.Fatalf("admin lists %+v", list)
	}

	// Bo cannot revoke Ana's (404, as for none); Ana can; then it is 401.
	mustT(t, e.doAs("Bearer "+bo, "DELETE", fmt.Sprintf("/api/v1/tokens/%d", ciID), nil), 404, "not_found")
	must(t, e.doAs("Bearer "+ci, "GET", "/api/v1/workspaces/acme", nil), 200)
	must(t, e.doAs("Bearer "+ana, "DELETE", fmt.Sprintf("/api/v1/tokens/%d", ciID), nil), 204)
	r = mustT(t, e.doAs("Bearer "+ci, "GET", "/api/v1/workspaces/acme", nil), 401, "unauthorized")
	if !strings.Contains(r.String(), "revoked") {
		t.Errorf("revoked: %s", r.body)
	}
	mustT(t, e.doAs("Bearer "+ana, "DELETE", "/api/v1/tokens/abc", nil), 404, "not_found")

	// An expired token is 401 saying so.
	must(t, e.doAs("Bearer "+short, "GET", "/api/v1/workspaces", nil), 200)
	clk.Add(time.Hour)
	r = mustT(t, e.doAs("Bearer "+short, "GET", "/api/v1/workspaces", nil), 401, "unauthorized")
	if !strings.Contains(r.String(), "expired") {
		t.Errorf("expired: %s", r.body)
	}
	// Asking for one already expired is refused.
	mustT(t, e.doAs("Bearer "+ana, "POST", "/api/v1/tokens", map[string]any{"name": "old", "expires_at": "2020-01-01T00:00:00Z"}), 422, "validation")
	// The admin revokes anyone's.
	_, boID := e.tokenAs(bo, map[string]any{"name": "bo 2"})
	must(t, e.do("DELETE", fmt.Sprintf("/api/v1/tokens/%d", boID), nil), 204)
}
