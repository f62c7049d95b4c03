package storage

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// Removing a user, in one transaction: sessions end, tokens are revoked,
// memberships go, sign-in answers as a wrong password does; the row stays,
// disabled, and the audit log names who removed whom. The last owner of a
// workspace, or oneself, is refused with nothing changed.
func TestRemoveUser(t *testing.T) {
	db := MustOpenDB(t)
	boss, _ := mustUser(t, db, "boss@example.com", true)
	ana, pw := mustUser(t, db, "ana@example.com", false)
	bo, _ := mustUser(t, db, "bo@example.com", false)
	acme, solo := mustWorkspace(t, db, "acme"), mustWorkspace(t, db, "solo")
	mustMember(t, db, acme.ID, bo.Email, herald.RoleOwner)
	mustMember(t, db, acme.ID, ana.Email, herald.RoleOwner)
	mustMember(t, db, solo.ID, ana.Email, herald.RoleOwner)
	s1, _, err := db.CreateSession(ctx, ana.Email, pw, 0)
	if err != nil {
		t.Fatal(err)
	}
	s2, _, _ := db.CreateSession(ctx, ana.Email, pw, 0)
	anaCaller := herald.Caller{UserID: ana.ID}
	anaCtx := herald.WithActor(ctx, herald.Actor{Kind: "user", ID: fmt.Sprint(ana.ID), Name: ana.Name, UserID: ana.ID})
	tok1, _, err := db.CreateTokenFor(anaCtx, anaCaller, herald.TokenRequest{Name: "ci", Workspace: "acme", Role: herald.RoleEditor})
	if err != nil {
		t.Fatal(err)
	}
	tok2, _, _ := db.CreateTokenFor(anaCtx, anaCaller, herald.TokenRequest{Name: "all"})
	_, old, _ := db.CreateTokenFor(anaCtx, anaCaller, herald.TokenRequest{Name: "old"})
	if err := db.RevokeToken(anaCtx, anaCaller, old.ID); err != nil {
		t.Fatal(err)
	}
	bossCtx := herald.WithActor(ctx, herald.Actor{Kind: "user", ID: fmt.Sprint(boss.ID), Name: boss.Name, UserID: boss.ID})
	authenticates := func(secrets ...string) error {
		for _, s := range secrets {
			if _, err := db.Authenticate(ctx, s); err != nil {
				return err
			}
		}
		return nil
	}

	// The last owner of solo: refused, naming it (not acme, which bo owns too).
	_, err = db.RemoveUser(bossCtx, "ana@example.com")
	wantCode(t, err, herald.ECONFLICT)
	if msg := herald.ErrorMessage(err); !strings.Contains(msg, `last owner of workspace "solo"`) || strings.Contains(msg, "acme") {
		t.Errorf("refusal says %q", msg)
	}
	if err := authenticates(s1, s2, tok1, tok2); err != nil {
		t.Fatalf("refused, yet: %v", err)
	}
	if roleOf(t, db, "acme", ana.ID) != herald.RoleOwner || roleOf(t, db, "solo", ana.ID) != herald.RoleOwner {
		t.Fatal("refused, yet a membership went")
	}
	// Nobody removes themselves.
	_, err = db.RemoveUser(anaCtx, "ana@example.com")
	wantCode(t, err, herald.ECONFLICT)

	mustMember(t, db, solo.ID, bo.Email, herald.RoleOwner)
	res, err := db.RemoveUser(bossCtx, " ANA@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if res.User == nil || res.User.ID != ana.ID || res.User.DisabledAt == nil || !res.User.DisabledAt.Equal(t0) ||
		res.Memberships != 2 || res.Tokens != 2 || res.Sessions != 2 {
		t.Fatalf("removal %+v %+v", res, res.User)
	}
	for _, s := range []string{s1, s2, tok1, tok2} {
		_, err := db.Authenticate(ctx, s)
		wantCode(t, err, herald.EUNAUTHORIZED)
	}
	_, _, err = db.CreateSession(ctx, ana.Email, pw, 0)
	wantCode(t, err, herald.EUNAUTHORIZED)
	if herald.ErrorMessage(err) != "wrong email or password" {
		t.Errorf("sign-in of a removed user: %v", err)
	}
	if roleOf(t, db, "acme", ana.ID) != "" || roleOf(t, db, "solo", ana.ID) != "" {
		t.Error("a membership stayed")
	}
	// The row stays, disabled.
	u, err := db.UserByEmail(ctx, ana.Email)
	if err != nil || u.DisabledAt == nil || u.Name != ana.Name {
		t.Fatalf("the removed user: %+v %v", u, err)
	}
	_, _, err = db.PutMember(ctx, acme.ID, ana.Email, herald.RoleViewer, herald.RoleOwner)
	wantCode(t, err, herald.ECONFLICT)
	_, err = db.CreateUser(ctx, &herald.User{Email: "Ana@example.com", Name: "Ana again"}, "")
	wantCode(t, err, herald.ECONFLICT)
	if !strings.Contains(herald.ErrorMessage(err), "removed") {
		t.Errorf("her email again: %v", err)
	}
	_, err = db.RemoveUser(bossCtx, ana.Email)
	wantCode(t, err, herald.ENOTFOUND)
	_, err = db.RemoveUser(bossCtx, "nobody@example.com")
	wantCode(t, err, herald.ENOTFOUND)

	// The audit log: one user.removed by the admin, a member.removed in
	// each workspace; her earlier entries still name her.
	var removed []string
	for _, l := range auditLines(t, db, herald.AuditFilter{}) {
		if strings.HasPrefix(l, "user.removed") || strings.Contains(l, "user_removed") {
			removed = append(removed, l)
		}
	}
	by := fmt.Sprintf("by user:%d (%s)", boss.ID, boss.Name)
	wantLines(t, removed,
		`member.removed member ana@example.com `+by+` {"from":"owner","user_removed":true}`,
		`member.removed member ana@example.com `+by+` {"from":"owner","user_removed":true}`,
		`user.removed user ana@example.com `+by+` {"memberships":2,"name":"Person ana@example.com","sessions":2,"tokens":2}`)
	mine := auditLines(t, db, herald.AuditFilter{WorkspaceID: acme.ID, ActorKind: "user", ActorID: fmt.Sprint(ana.ID)})
	if len(mine) != 1 || !strings.Contains(mine[0], "token.created") || !strings.Contains(mine[0], "(Person ana@example.com)") {
		t.Errorf("her entries in acme: %v", mine)
	}
}

// Whatever slips past the removal — a session or token written for the
// user after it, by a request that checked them before — authenticates
// nothing.
func TestRemovedUserAuthenticatesNothing(t *testing.T) {
	db := MustOpenDB(t)
	ana, _ := mustUser(t, db, "ana@example.com", false)
	if _, err := db.RemoveUser(ctx, ana.Email); err != nil {
		t.Fatal(err)
	}
	session, token := sessionPrefix+"late", tokenPrefix+"late"
	if _, err := exec(ctx, db.w, `INSERT INTO sessions (user_id, hash, created_at, expires_at) VALUES (?, ?, ?, ?)`,
		ana.ID, hashSecret(session), ms(t0), ms(t0.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	if _, err := exec(ctx, db.w, `INSERT INTO api_tokens (name, role, hash, created_at, user_id) VALUES (?, ?, ?, ?, ?)`,
		"late", "", hashSecret(token), ms(t0), ana.ID); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{session, token} {
		_, err := db.Authenticate(ctx, s)
		wantCode(t, err, herald.EUNAUTHORIZED)
	}
}

// A removal and a member change of the same user at once (PostgreSQL runs
// them side by side) neither deadlock nor leave a removed user a member.
func TestRemoveUserRacesMemberChanges(t *testing.T) {
	db := MustOpenDB(t)
	mustUser(t, db, "own@example.com", false)
	var wss []*herald.Workspace
	for i := 0; i < 3; i++ {
		ws := mustWorkspace(t, db, fmt.Sprintf("ws%d", i))
		mustMember(t, db, ws.ID, "own@example.com", herald.RoleOwner)
		wss = append(wss, ws)
	}
	for trial := 0; trial < 10; trial++ {
		email := fmt.Sprintf("u%d@example.com", trial)
		u, _ := mustUser(t, db, email, false)
		mustMember(t, db, wss[0].ID, email, herald.RoleEditor)
		var wg sync.WaitGroup
		errs := make([]error, 1+len(wss))
		wg.Add(len(errs))
		go func() { defer wg.Done(); _, errs[0] = db.RemoveUser(ctx, email) }()
		for i, ws := range wss {
			go func() {
				defer wg.Done()
				_, _, errs[1+i] = db.PutMember(ctx, ws.ID, email, herald.RoleViewer, herald.RoleOwner)
			}()
		}
		wg.Wait()
		if errs[0] != nil {
			t.Fatalf("trial %d: remove: %v", trial, errs[0])
		}
		for i, err := range errs[1:] {
			if err != nil && herald.ErrorCode(err) != herald.ECONFLICT {
				t.Fatalf("trial %d: member of ws%d: %v", trial, i, err)
			}
		}
		var n int
		if err := get(ctx, db.r, &n, `SELECT COUNT(*) FROM members WHERE user_id = ?`, u.ID); err != nil || n != 0 {
			t.Fatalf("trial %d: the removed user is a member of %d workspaces (%v); errors %v", trial, n, err, errs)
		}
	}
}

// ListUsers: by email key, a page at a time, each with their memberships
// by slug; removed users too, with nothing.
func TestListUsers(t *testing.T) {
	db := MustOpenDB(t)
	mustUser(t, db, "Zed@example.com", false)
	ed, _ := mustUser(t, db, "ed@example.com", false)
	mustUser(t, db, "Ana@example.com", true)
	gone, _ := mustUser(t, db, "bo@example.com", false)
	b, a := mustWorkspace(t, db, "beta"), mustWorkspace(t, db, "alpha")
	mustMember(t, db, b.ID, ed.Email, herald.RoleOwner)
	mustMember(t, db, a.ID, ed.Email, herald.RoleViewer)
	mustMember(t, db, a.ID, gone.Email, herald.RoleEditor)
	if _, err := db.RemoveUser(ctx, gone.Email); err != nil {
		t.Fatal(err)
	}
	var got []string
	after := ""
	for pages := 0; pages < 10; pages++ {
		list, err := db.ListUsers(ctx, after, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) == 0 {
			break
		}
		for _, p := range list {
			s := p.Email
			if p.DisabledAt != nil {
				s += " (removed)"
			}
			for _, m := range p.Memberships {
				s += " " + m.Workspace + ":" + string(m.Role)
			}
			if p.Memberships == nil {
				t.Errorf("%s: memberships nil, want []", p.Email)
			}
			got = append(got, s)
		}
		after = herald.EmailKey(list[len(list)-1].Email)
	}
	want := []string{"Ana@example.com", "bo@example.com (removed)", "ed@example.com alpha:viewer beta:owner", "Zed@example.com"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("users %q, want %q", got, want)
	}
}

// Identity: a session's user, expiry and memberships; a token's narrowing
// (its workspace's membership alone); the admin token, nobody's.
func TestIdentity(t *testing.T) {
	db := MustOpenDB(t)
	ana, pw := mustUser(t, db, "ana@example.com", false)
	a, b := mustWorkspace(t, db, "alpha"), mustWorkspace(t, db, "beta")
	mustMember(t, db, b.ID, ana.Email, herald.RoleOwner)
	mustMember(t, db, a.ID, ana.Email, herald.RoleEditor)
	secret, _, err := db.CreateSession(ctx, ana.Email, pw, 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	caller := func(secret string) herald.Caller {
		tok, err := db.Authenticate(ctx, secret)
		if err != nil {
			t.Fatal(err)
		}
		return tok.Caller()
	}
	memberships := func(id *herald.Identity) string {
		var s []string
		for _, m := range id.Memberships {
			s = append(s, m.Workspace+":"+string(m.Role))
		}
		return strings.Join(s, " ")
	}
	id, err := db.Identity(ctx, caller(secret))
	if err != nil {
		t.Fatal(err)
	}
	if id.Kind != herald.IdentitySession || id.Admin || id.User == nil || id.User.ID != ana.ID || id.Token != nil ||
		id.Session == nil || !id.Session.ExpiresAt.Equal(t0.Add(2*time.Hour)) || memberships(id) != "alpha:editor beta:owner" {
		t.Fatalf("session identity %+v", id)
	}

	ci, _, err := db.CreateTokenFor(ctx, herald.Caller{UserID: ana.ID}, herald.TokenRequest{Name: "ci", Workspace: "beta", Role: herald.RoleViewer})
	if err != nil {
		t.Fatal(err)
	}
	if id, err = db.Identity(ctx, caller(ci)); err != nil {
		t.Fatal(err)
	}
	if id.Kind != herald.IdentityToken || id.Session != nil || id.Token == nil || id.Token.Name != "ci" || id.Token.Workspace != "beta" ||
		id.Token.Role != "viewer" || id.User == nil || id.User.ID != ana.ID || memberships(id) != "beta:owner" {
		t.Fatalf("token identity %+v %+v", id, id.Token)
	}

	admin, _, err := db.CreateToken(ctx, "bootstrap", herald.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	if id, err = db.Identity(ctx, caller(admin)); err != nil {
		t.Fatal(err)
	}
	if id.Kind != herald.IdentityToken || !id.Admin || id.User != nil || id.Token == nil || id.Token.Role != herald.RoleAdmin || len(id.Memberships) != 0 || id.Memberships == nil {
		t.Fatalf("admin token identity %+v", id)
	}

	// Ended since it authenticated: nobody.
	c := caller(secret)
	if err := db.EndSession(ctx, c.TokenID); err != nil {
		t.Fatal(err)
	}
	_, err = db.Identity(ctx, c)
	wantCode(t, err, herald.EUNAUTHORIZED)
}
