package api_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/api"
)

// identity is the answer of GET /api/v1/users/me.
type identity struct {
	Kind  string `json:"kind"`
	Admin bool   `json:"admin"`
	User  *struct {
		ID        int64     `json:"id"`
		Email     string    `json:"email"`
		Name      string    `json:"name"`
		Admin     bool      `json:"admin"`
		CreatedAt time.Time `json:"created_at"`
	} `json:"user"`
	Session *struct {
		CreatedAt time.Time `json:"created_at"`
		ExpiresAt time.Time `json:"expires_at"`
	} `json:"session"`
	Token *struct {
		ID        int64      `json:"id"`
		Name      string     `json:"name"`
		Workspace string     `json:"workspace"`
		Role      string     `json:"role"`
		ExpiresAt *time.Time `json:"expires_at"`
	} `json:"token"`
	Memberships []struct {
		Workspace string `json:"workspace"`
		Role      string `json:"role"`
	} `json:"memberships"`
}

func (e *env) me(bearer string) identity {
	e.t.Helper()
	var id identity
	r := must(e.t, e.doAs("Bearer "+bearer, "GET", "/api/v1/users/me", nil), 200)
	if strings.Contains(r.String(), "password") || strings.Contains(r.String(), "argon2") || strings.Contains(r.String(), "hrld_") || strings.Contains(r.String(), "hrls_") {
		e.t.Fatalf("a secret in /users/me: %s", r.body)
	}
	r.decode(e.t, &id)
	return id
}

func (id identity) memberships() string {
	var s []string
	for _, m := range id.Memberships {
		s = append(s, m.Workspace+":"+m.Role)
	}
	return strings.Join(s, " ")
}

// GET /api/v1/users/me: who the caller is, how they came in, and where
// they are a member — for a session, a token (narrowed or not), the
// bootstrap admin token and an admin user.
func TestWhoAmI(t *testing.T) {
	clk := &clock{t: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	e := newEnvAt(t, clk, func(c *api.Config) { c.SessionTTL = 90 * time.Minute })
	e.setup("acme")
	e.setup("zeta")
	e.setup("beta")
	ana := e.person("ana@example.com", "zeta", "owner")
	e.member("acme", "ana@example.com", "editor")

	id := e.me(ana)
	if id.Kind != "session" || id.Admin || id.User == nil || id.User.Email != "ana@example.com" || id.User.Name != "Person ana@example.com" ||
		id.User.ID == 0 || id.User.Admin || !id.User.CreatedAt.Equal(clk.Now()) || id.Token != nil {
		t.Fatalf("a session's identity %+v", id)
	}
	if id.Session == nil || !id.Session.ExpiresAt.Equal(clk.Now().Add(90*time.Minute)) || !id.Session.CreatedAt.Equal(clk.Now()) {
		t.Fatalf("session %+v", id.Session)
	}
	if got := id.memberships(); got != "acme:editor zeta:owner" {
		t.Errorf("memberships %q, want by slug", got)
	}

	// A token of hers: its name, id and narrowing; narrowed to a workspace,
	// it sees that membership alone.
	all, allID := e.tokenAs(ana, map[string]any{"name": "laptop"})
	id = e.me(all)
	if id.Kind != "token" || id.Session != nil || id.Token == nil || id.Token.ID != allID || id.Token.Name != "laptop" ||
		id.Token.Workspace != "" || id.Token.Role != "" || id.User == nil || id.User.Email != "ana@example.com" {
		t.Fatalf("a token's identity %+v %+v", id, id.Token)
	}
	if got := id.memberships(); got != "acme:editor zeta:owner" {
		t.Errorf("memberships through a token %q", got)
	}
	until := clk.Now().Add(time.Hour)
	ci, ciID := e.tokenAs(ana, map[string]any{"name": "ci", "workspace": "acme", "role": "viewer", "expires_at": until.Format(time.RFC3339)})
	id = e.me(ci)
	if id.Token == nil || id.Token.ID != ciID || id.Token.Workspace != "acme" || id.Token.Role != "viewer" ||
		id.Token.ExpiresAt == nil || !id.Token.ExpiresAt.Equal(until) || id.Admin {
		t.Fatalf("a narrowed token's identity %+v", id.Token)
	}
	if got := id.memberships(); got != "acme:editor" {
		t.Errorf("a token narrowed to acme sees memberships %q, want acme's alone", got)
	}

	// The bootstrap admin token is nobody's.
	id = e.me(e.token)
	if id.Kind != "token" || !id.Admin || id.User != nil || id.Token == nil || id.Token.Name != "test" || id.Token.Role != "admin" || len(id.Memberships) != 0 {
		t.Fatalf("the admin token's identity %+v", id)
	}
	r := must(t, e.do("GET", "/api/v1/users/me", nil), 200)
	if !strings.Contains(r.String(), `"user":null`) || !strings.Contains(r.String(), `"memberships":[]`) {
		t.Errorf("the admin token's identity: %s", r.body)
	}

	// An admin user is the instance admin; narrowed, not.
	pw := e.createUser("boss@example.com", "Boss", "boss password", true)
	boss := e.signIn("boss@example.com", pw)
	if id = e.me(boss); !id.Admin || id.User == nil || !id.User.Admin || len(id.Memberships) != 0 {
		t.Fatalf("an admin user's identity %+v", id)
	}
	narrow, _ := e.tokenAs(boss, map[string]any{"name": "beta", "workspace": "beta", "role": "editor"})
	if id = e.me(narrow); id.Admin || id.User == nil || !id.User.Admin {
		t.Fatalf("an admin user's narrowed token %+v", id)
	}

	// Signed out, or past its expiry, it is nobody.
	must(t, e.doAs("Bearer "+ana, "DELETE", "/api/v1/sessions/current", nil), 204)
	mustT(t, e.doAs("Bearer "+ana, "GET", "/api/v1/users/me", nil), 401, "unauthorized")
	clk.Add(time.Hour)
	mustT(t, e.doAs("Bearer "+ci, "GET", "/api/v1/users/me", nil), 401, "unauthorized")
}

// userPage is the answer of GET /api/v1/users.
type userPage struct {
	Items []struct {
		ID          int64      `json:"id"`
		Email       string     `json:"email"`
		Name        string     `json:"name"`
		Admin       bool       `json:"admin"`
		DisabledAt  *time.Time `json:"disabled_at"`
		Memberships []struct {
			Workspace string `json:"workspace"`
			Role      string `json:"role"`
		} `json:"memberships"`
	} `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// GET /api/v1/users: the instance admin's list of everyone, by email
// whatever the case it was given in, with memberships, a page at a time;
// never a password hash; nobody else's.
func TestListUsers(t *testing.T) {
	e := newEnv(t)
	e.setup("acme")
	e.setup("beta")
	ed := e.person("ed@example.com", "acme", "editor")
	viewer := e.person("Vi@example.com", "acme", "viewer")
	e.member("beta", "ed@example.com", "owner")
	e.createUser("Ana@Example.com", "Ana", "ana password", false)
	manager := e.person("mgr@example.com", "acme", "manager")

	r := must(t, e.do("GET", "/api/v1/users", nil), 200)
	if strings.Contains(r.String(), "argon2") || strings.Contains(r.String(), "password") {
		t.Fatalf("a password hash in the list: %s", r.body)
	}
	var p userPage
	r.decode(t, &p)
	var got []string
	for _, u := range p.Items {
		s := u.Email + "["
		for _, m := range u.Memberships {
			s += " " + m.Workspace + ":" + m.Role
		}
		got = append(got, s+" ]")
		if u.ID == 0 || u.Name == "" || u.Memberships == nil || u.DisabledAt != nil {
			t.Errorf("user %+v", u)
		}
	}
	want := "Ana@Example.com[ ]|ed@example.com[ acme:editor beta:owner ]|mgr@example.com[ acme:manager ]|Vi@example.com[ acme:viewer ]"
	if strings.Join(got, "|") != want || p.NextCursor != "" {
		t.Fatalf("users %s (next %q), want %s", strings.Join(got, "|"), p.NextCursor, want)
	}

	// Pages of two.
	var emails []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages == 5 {
			t.Fatal("the cursor does not move on")
		}
		var p userPage
		must(t, e.do("GET", "/api/v1/users?limit=2&cursor="+url.QueryEscape(cursor), nil), 200).decode(t, &p)
		if len(p.Items) > 2 {
			t.Fatalf("a page of %d", len(p.Items))
		}
		for _, u := range p.Items {
			emails = append(emails, u.Email)
		}
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	if strings.Join(emails, " ") != "Ana@Example.com ed@example.com mgr@example.com Vi@example.com" {
		t.Errorf("paged: %v", emails)
	}
	mustT(t, e.do("GET", "/api/v1/users?limit=0", nil), 400, "invalid")

	// Only the instance admin's: members of any role are refused, through
	// their session or their token.
	tok, _ := e.tokenAs(manager, map[string]any{"name": "mgr"})
	for name, bearer := range map[string]string{"editor": ed, "viewer": viewer, "manager": manager, "manager's token": tok} {
		for _, r := range []resp{e.doAs("Bearer "+bearer, "GET", "/api/v1/users", nil),
			e.doAs("Bearer "+bearer, "DELETE", "/api/v1/users/"+url.PathEscape("ana@example.com"), nil)} {
			if r.status != 403 || r.errorCode(t) != "forbidden" || !strings.Contains(errorMessage(t, r), "only the instance admin") {
				t.Errorf("as %s: %d %s, want 403", name, r.status, r.body)
			}
		}
	}
	// Refused, nothing changed: Ana is there, and signs in.
	e.signIn("ana@example.com", "ana password")
}

// userRemoval is the answer of DELETE /api/v1/users/{email}.
type userRemoval struct {
	User struct {
		Email      string     `json:"email"`
		DisabledAt *time.Time `json:"disabled_at"`
	} `json:"user"`
	Memberships int `json:"memberships_removed"`
	Tokens      int `json:"tokens_revoked"`
	Sessions    int `json:"sessions_ended"`
}

// An employee leaves: the instance admin removes her, and at once her
// sessions and tokens answer 401, sign-in is refused exactly as a wrong
// password is, her memberships are gone, and the audit log says who did it
// while still naming her for what she did before. The last owner of a
// workspace is not removed until someone else owns it.
func TestRemoveUser(t *testing.T) {
	clk := &clock{t: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	e := newEnvAt(t, clk)
	e.setup("acme")
	e.setup("solo")
	pw := e.createUser("boss@example.com", "Boss", "boss password", true)
	boss := e.signIn("boss@example.com", pw)
	bossID := e.me(boss).User.ID
	ana := e.person("ana@example.com", "acme", "editor")
	e.member("solo", "ana@example.com", "owner")
	anaID := e.me(ana).User.ID
	laptop := e.signIn("ana@example.com", "password-ana@example.com")
	ci, _ := e.tokenAs(ana, map[string]any{"name": "ci", "workspace": "acme"})
	_, allID := e.tokenAs(ana, map[string]any{"name": "all"})
	must(t, e.doAs("Bearer "+ci, "PUT", "/api/v1/workspaces/acme/plans/dec", jsonPlan("hello")), 200)
	must(t, e.doAs("Bearer "+ana, "DELETE", fmt.Sprintf("/api/v1/tokens/%d", allID), nil), 204) // revoked already: not counted
	e.person("bo@example.com", "acme", "owner")
	remove := func(bearer, email string) resp {
		return e.doAs("Bearer "+bearer, "DELETE", "/api/v1/users/"+url.PathEscape(email), nil)
	}

	// The last owner of solo: refused, saying what to do, nothing changed.
	r := mustT(t, remove(boss, "ana@example.com"), 409, "conflict")
	if msg := errorMessage(t, r); !strings.Contains(msg, `last owner of workspace "solo"`) || !strings.Contains(msg, "make someone else owner") ||
		strings.Contains(msg, "acme") {
		t.Errorf("409 says %q", msg)
	}
	for _, bearer := range []string{ana, laptop, ci} {
		must(t, e.doAs("Bearer "+bearer, "GET", "/api/v1/workspaces/acme", nil), 200)
	}
	if got := e.audit("/api/v1/audit?action=user.removed"); len(got) != 0 {
		t.Errorf("a refused removal is audited: %v", got)
	}
	// Nobody removes themselves.
	r = mustT(t, remove(boss, "BOSS@example.com"), 409, "conflict")
	if !strings.Contains(errorMessage(t, r), "cannot remove yourself") {
		t.Errorf("self-removal: %s", r.body)
	}

	e.member("solo", "bo@example.com", "owner")
	var out userRemoval
	must(t, remove(boss, "Ana@Example.com"), 200).decode(t, &out)
	if out.User.Email != "ana@example.com" || out.User.DisabledAt == nil || !out.User.DisabledAt.Equal(clk.Now()) ||
		out.Memberships != 2 || out.Tokens != 1 || out.Sessions != 2 {
		t.Fatalf("removal %+v", out)
	}

	// At once: her sessions and tokens are refused.
	for name, bearer := range map[string]string{"session": ana, "other session": laptop, "token": ci} {
		mustT(t, e.doAs("Bearer "+bearer, "GET", "/api/v1/users/me", nil), 401, "unauthorized")
		if r := e.doAs("Bearer "+bearer, "PUT", "/api/v1/workspaces/acme/plans/dec", jsonPlan("changed")); r.status != 401 {
			t.Errorf("%s after removal: %d %s", name, r.status, r.body)
		}
	}
	// Sign-in is refused as a wrong password is: the same answer.
	removed := mustT(t, e.doAs("", "POST", "/api/v1/sessions", map[string]string{"email": "ana@example.com", "password": "password-ana@example.com"}), 401, "unauthorized")
	wrong := mustT(t, e.doAs("", "POST", "/api/v1/sessions", map[string]string{"email": "bo@example.com", "password": "wrong password"}), 401, "unauthorized")
	if removed.String() != wrong.String() {
		t.Errorf("a removed user's sign-in answers %s; a wrong password %s", removed.body, wrong.body)
	}
	// Her memberships are gone; she cannot be made a member again.
	r = must(t, e.do("GET", "/api/v1/workspaces/acme/members", nil), 200)
	if strings.Contains(r.String(), "ana@example.com") {
		t.Errorf("still a member: %s", r.body)
	}
	r = mustT(t, e.do("PUT", "/api/v1/workspaces/acme/members/ana@example.com", map[string]string{"role": "viewer"}), 409, "conflict")
	if !strings.Contains(errorMessage(t, r), "was removed") {
		t.Errorf("re-adding a removed user: %s", r.body)
	}
	// Her email stays hers; the list shows her removed, with nothing.
	r = mustT(t, e.do("POST", "/api/v1/users", map[string]any{"email": "ana@example.com", "name": "Another Ana"}), 409, "conflict")
	if !strings.Contains(errorMessage(t, r), "removed") {
		t.Errorf("her email again: %s", r.body)
	}
	var p userPage
	must(t, e.do("GET", "/api/v1/users", nil), 200).decode(t, &p)
	for _, u := range p.Items {
		if u.Email == "ana@example.com" && (u.DisabledAt == nil || len(u.Memberships) != 0) {
			t.Errorf("removed user listed as %+v", u)
		}
	}

	// Removed already, or never there: 404.
	mustT(t, remove(boss, "ana@example.com"), 404, "not_found")
	mustT(t, remove(boss, "nobody@example.com"), 404, "not_found")

	// The audit log: the removal by the admin, with the counts; a
	// member.removed in each workspace; what she did before still names her.
	byBoss := fmt.Sprintf("by user:%d", bossID)
	wantAudit(t, e.audit("/api/v1/audit?action=user.removed"),
		`user.removed user ana@example.com `+byBoss+` {"memberships":2,"name":"Person ana@example.com","sessions":2,"tokens":1}`)
	var entries auditPage
	must(t, e.do("GET", "/api/v1/audit?action=user.removed", nil), 200).decode(t, &entries)
	if a := entries.Items[0].Actor; a.Name != "Boss" {
		t.Errorf("actor %+v, want the admin by name", a)
	}
	for _, ws := range []string{"acme", "solo"} {
		got := e.audit("/api/v1/workspaces/" + ws + "/audit?action=member.removed")
		if len(got) != 1 || !strings.HasPrefix(got[0], "member.removed member ana@example.com "+byBoss+" ") || !strings.Contains(got[0], `"user_removed":true`) {
			t.Errorf("%s's log: %v", ws, got)
		}
	}
	must(t, e.do("GET", fmt.Sprintf("/api/v1/workspaces/acme/audit?actor=user:%d", anaID), nil), 200).decode(t, &entries)
	if len(entries.Items) != 1 || entries.Items[0].Action != "token.created" || entries.Items[0].Actor.Name != "Person ana@example.com" {
		t.Errorf("her own entries: %+v", entries.Items)
	}
}
