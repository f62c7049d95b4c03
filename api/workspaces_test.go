package api_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
)

type workspaceJSON struct {
	Slug             string `json:"slug"`
	Name             string `json:"name"`
	Timezone         string `json:"timezone"`
	ApprovalRequired bool   `json:"approval_required"`
	MaxLateness      string `json:"max_lateness"`
}

func TestWorkspaceCRUD(t *testing.T) {
	e := newEnv(t)
	var ws workspaceJSON
	must(t, e.do("POST", "/api/v1/workspaces", map[string]any{"slug": "acme", "name": "Acme"}), 201).decode(t, &ws)
	if ws.Slug != "acme" || ws.Timezone != "UTC" || ws.MaxLateness != "2h0m0s" {
		t.Errorf("defaults not applied: %+v", ws)
	}
	r := must(t, e.do("POST", "/api/v1/workspaces", map[string]any{"slug": "acme", "name": "Again"}), 409)
	if r.errorCode(t) != "conflict" {
		t.Errorf("%s", r.body)
	}

	// PATCH changes only the fields present.
	must(t, e.do("PATCH", "/api/v1/workspaces/acme", map[string]any{"timezone": "Europe/Berlin"}), 200).decode(t, &ws)
	if ws.Name != "Acme" || ws.Timezone != "Europe/Berlin" || ws.MaxLateness != "2h0m0s" {
		t.Errorf("patch: %+v", ws)
	}
	must(t, e.do("PATCH", "/api/v1/workspaces/acme", map[string]any{"max_lateness": "30m"}), 200)
	must(t, e.do("GET", "/api/v1/workspaces/acme", nil), 200).decode(t, &ws)
	if ws.Timezone != "Europe/Berlin" || ws.MaxLateness != "30m0s" || ws.Name != "Acme" {
		t.Errorf("get after patch: %+v", ws)
	}
	r = must(t, e.do("PATCH", "/api/v1/workspaces/acme", map[string]any{"slug": "other"}), 422)
	if r.errorCode(t) != "validation" {
		t.Errorf("%s", r.body)
	}

	must(t, e.do("DELETE", "/api/v1/workspaces/acme", nil), 204)
	for _, m := range []string{"GET", "PATCH", "DELETE"} {
		r := must(t, e.do(m, "/api/v1/workspaces/acme", map[string]any{"name": "x"}), 404)
		if r.errorCode(t) != "not_found" {
			t.Errorf("%s: %s", m, r.body)
		}
	}
}

func TestWorkspaceValidation(t *testing.T) {
	e := newEnv(t)
	r := must(t, e.do("POST", "/api/v1/workspaces", map[string]any{"slug": "Bad Slug", "timezone": "Mars/Base"}), 422)
	var env struct {
		Error struct {
			Details []herald.Problem `json:"details"`
		} `json:"error"`
	}
	r.decode(t, &env)
	cols := map[string]bool{}
	for _, p := range env.Error.Details {
		cols[p.Column] = true
	}
	if !cols["slug"] || !cols["name"] || !cols["timezone"] {
		t.Errorf("want problems on slug, name and timezone: %s", r.body)
	}
}

func TestMalformedBodies(t *testing.T) {
	e := newEnv(t)
	cases := []struct{ name, body, want string }{
		{"syntax", `{"slug": "acme", "name": }`, "offset"},
		{"unknown field", `{"slug": "acme", "name": "Acme", "nmae": "typo"}`, "nmae"},
		{"wrong type", `{"slug": 42, "name": "Acme"}`, "slug"},
		{"empty", ``, "empty"},
		{"truncated", `{"slug": "acme"`, "end"},
		{"trailing", `{"slug": "acme", "name": "Acme"} {}`, "after"},
		{"bad duration", `{"slug": "acme", "name": "Acme", "max_lateness": "soon"}`, "duration"},
	}
	for _, c := range cases {
		r := e.do("POST", "/api/v1/workspaces", c.body, "Content-Type: application/json")
		if r.status != 400 || r.errorCode(t) != "invalid" || !strings.Contains(r.String(), c.want) {
			t.Errorf("%s: %d %s, want 400 mentioning %q", c.name, r.status, r.body, c.want)
		}
	}
	must(t, e.do("GET", "/api/v1/workspaces/acme", nil), 404)
}

func TestWorkspacePagination(t *testing.T) {
	e := newEnv(t)
	for i := range 5 {
		must(t, e.do("POST", "/api/v1/workspaces", map[string]any{"slug": fmt.Sprintf("ws-%d", i), "name": "W"}), 201)
	}
	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
		var p struct {
			Items      []workspaceJSON `json:"items"`
			NextCursor string          `json:"next_cursor"`
		}
		must(t, e.do("GET", "/api/v1/workspaces?limit=2&cursor="+cursor, nil), 200).decode(t, &p)
		if len(p.Items) > 2 {
			t.Fatalf("page of %d", len(p.Items))
		}
		for _, w := range p.Items {
			got = append(got, w.Slug)
		}
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
	}
	if strings.Join(got, ",") != "ws-0,ws-1,ws-2,ws-3,ws-4" {
		t.Errorf("pages gave %v", got)
	}
	must(t, e.do("GET", "/api/v1/workspaces?limit=0", nil), 400)
	must(t, e.do("GET", "/api/v1/workspaces?limit=x", nil), 400)
}
