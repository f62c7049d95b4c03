package storage

import (
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// callerOf authenticates secret as the API does.
func callerOf(tb testing.TB, db *DB, secret string) herald.Caller {
	tb.Helper()
	tok, err := db.Authenticate(ctx, secret)
	if err != nil {
		tb.Fatalf("authenticate: %v", err)
	}
	return tok.Caller()
}

// roleIn is what caller c holds in workspace ws (slug), as the API's
// permission check resolves it: "" when it may not see it.
func roleIn(tb testing.TB, db *DB, c herald.Caller, slug string) herald.Role {
	tb.Helper()
	ws, member, err := db.WorkspaceAccess(ctx, slug, c.UserID)
	if err != nil {
		tb.Fatal(err)
	}
	r, ok := c.In(ws.ID, member)
	if !ok {
		return ""
	}
	return r
}

func TestTokensOfPeople(t *testing.T) {
	db := MustOpenDB(t)
	a, b := mustWorkspace(t, db, "a"), mustWorkspace(t, db, "b")
	own, _ := mustUser(t, db, "own@example.com", false)
	mustMember(t, db, a.ID, own.Email, herald.RoleOwner)
	mustMember(t, db, b.ID, own.Email, herald.RoleManager)
	ownC := herald.Caller{UserID: own.ID, Actor: herald.Actor{Kind: "user", UserID: own.ID}, TokenID: 1, Session: true}

	// A token for every workspace of its creator acts as them.
	secret, tok, err := db.CreateTokenFor(ctx, ownC, herald.TokenRequest{Name: " all "})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "hrld_") || tok.Name != "all" || tok.Role != "" || tok.Workspace != "" || tok.UserID != own.ID {
		t.Fatalf("%q %+v", secret, tok)
	}
	all := callerOf(t, db, secret)
	if all.UserID != own.ID || all.Admin || all.Actor.Kind != "token" || all.Actor.Name != "all" || all.Actor.UserID != own.ID {
		t.Fatalf("caller %+v", all)
	}
	if roleIn(t, db, all, "a") != herald.RoleOwner || roleIn(t, db, all, "b") != herald.RoleManager {
		t.Fatal("the token does not act as its creator")
	}

	// Narrowed to a and editor: b is out of sight, a is editor.
	ciSecret, ci, err := db.CreateTokenFor(ctx, ownC, herald.TokenRequest{Name: "ci", Workspace: "a", Role: "Editor"})
	if err != nil {
		t.Fatal(err)
	}
	if ci.Role != "editor" || ci.Workspace != "a" || ci.WorkspaceID != a.ID {
		t.Fatalf("ci %+v", ci)
	}
	ciC := callerOf(t, db, ciSecret)
	if roleIn(t, db, ciC, "a") != herald.RoleEditor || roleIn(t, db, ciC, "b") != "" {
		t.Fatalf("ci in a %q, in b %q", roleIn(t, db, ciC, "a"), roleIn(t, db, ciC, "b"))
	}
	// … and cannot mint wider: not another workspace (404 as if none),
	// not a higher role (403), not an approver (an editor may not hand it).
	_, _, err = db.CreateTokenFor(ctx, ciC, herald.TokenRequest{Name: "x", Workspace: "b"})
	wantCode(t, err, herald.ENOTFOUND)
	if herald.ErrorMessage(err) != herald.WorkspaceNotFound("b").Message {
		t.Errorf("another workspace: %v", err)
	}
	for _, r := range []herald.Role{herald.RoleOwner, herald.RoleManager, herald.RoleApprover} {
		_, _, err = db.CreateTokenFor(ctx, ciC, herald.TokenRequest{Name: "x", Role: r})
		wantCode(t, err, herald.EFORBIDDEN)
	}
	// What it mints is within it: a, editor unless lower asked.
	_, sub, err := db.CreateTokenFor(ctx, ciC, herald.TokenRequest{Name: "sub"})
	if err != nil || sub.Workspace != "a" || sub.Role != "editor" {
		t.Fatalf("sub %+v %v", sub, err)
	}
	subSecret, sub, err := db.CreateTokenFor(ctx, ciC, herald.TokenRequest{Name: "sub", Role: herald.RoleViewer})
	if err != nil || sub.Role != "viewer" || roleIn(t, db, callerOf(t, db, subSecret), "a") != herald.RoleViewer {
		t.Fatalf("viewer sub %+v %v", sub, err)
	}

	// The creator's role bounds the role asked: manager in b covers editor,
	// not owner; a workspace they are no member of is 404.
	if _, _, err := db.CreateTokenFor(ctx, ownC, herald.TokenRequest{Name: "b-ed", Workspace: "b", Role: herald.RoleEditor}); err != nil {
		t.Fatal(err)
	}
	_, _, err = db.CreateTokenFor(ctx, ownC, herald.TokenRequest{Name: "b-own", Workspace: "b", Role: herald.RoleOwner})
	wantCode(t, err, herald.EFORBIDDEN)
	mustWorkspace(t, db, "c")
	_, _, err = db.CreateTokenFor(ctx, ownC, herald.TokenRequest{Name: "c", Workspace: "c"})
	wantCode(t, err, herald.ENOTFOUND)
	_, _, err = db.CreateTokenFor(ctx, ownC, herald.TokenRequest{Name: "c", Workspace: "nope"})
	wantCode(t, err, herald.ENOTFOUND)

	// A demoted creator's token follows: it is never more than them now.
	if _, _, err := db.PutMember(ctx, b.ID, own.Email, herald.RoleViewer, herald.RoleOwner); err != nil {
		t.Fatal(err)
	}
	if roleIn(t, db, all, "b") != herald.RoleViewer {
		t.Fatal("a token outranks its demoted creator")
	}

	// Bad asks, every problem said.
	past := t0.Add(-time.Second)
	_, _, err = db.CreateTokenFor(ctx, ownC, herald.TokenRequest{Name: "", Role: "admin", ExpiresAt: &past})
	wantCode(t, err, herald.EVALIDATION)
	if n := len(herald.ErrorDetails(err)); n != 3 {
		t.Fatalf("problems %v", herald.ErrorDetails(err))
	}

	// The instance admin's tokens make tokens of no one, narrowed as asked.
	adminSecret, _, err := db.CreateToken(ctx, "root", herald.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	root := callerOf(t, db, adminSecret)
	if !root.InstanceAdmin() || root.UserID != 0 {
		t.Fatalf("root %+v", root)
	}
	cSecret, cTok, err := db.CreateTokenFor(ctx, root, herald.TokenRequest{Name: "c-viewer", Workspace: "c", Role: herald.RoleViewer})
	if err != nil || cTok.UserID != 0 {
		t.Fatalf("%+v %v", cTok, err)
	}
	cc := callerOf(t, db, cSecret)
	if cc.InstanceAdmin() || roleIn(t, db, cc, "c") != herald.RoleViewer || roleIn(t, db, cc, "a") != "" {
		t.Fatalf("admin's narrowed token %+v", cc)
	}
	_, _, err = db.CreateTokenFor(ctx, cc, herald.TokenRequest{Name: "wider", Role: herald.RoleEditor})
	wantCode(t, err, herald.EFORBIDDEN)
}

func TestTokenExpiryAndRevoke(t *testing.T) {
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "a")
	ed, _ := mustUser(t, db, "ed@example.com", false)
	other, _ := mustUser(t, db, "other@example.com", false)
	mustMember(t, db, ws.ID, ed.Email, herald.RoleEditor)
	edC := herald.Caller{UserID: ed.ID}
	otherC := herald.Caller{UserID: other.ID}

	in1h := t0.Add(time.Hour)
	secret, tok, err := db.CreateTokenFor(ctx, edC, herald.TokenRequest{Name: "short", ExpiresAt: &in1h})
	if err != nil || tok.ExpiresAt == nil || !tok.ExpiresAt.Equal(in1h) {
		t.Fatalf("%+v %v", tok, err)
	}
	short := callerOf(t, db, secret)
	// A token's token expires no later than it.
	_, sub, err := db.CreateTokenFor(ctx, short, herald.TokenRequest{Name: "sub"})
	if err != nil || sub.ExpiresAt == nil || !sub.ExpiresAt.Equal(in1h) {
		t.Fatalf("sub %+v %v", sub, err)
	}
	in2h := t0.Add(2 * time.Hour)
	_, _, err = db.CreateTokenFor(ctx, short, herald.TokenRequest{Name: "longer", ExpiresAt: &in2h})
	wantCode(t, err, herald.EVALIDATION)

	clockOf(db).Set(in1h.Add(-time.Millisecond))
	callerOf(t, db, secret)
	clockOf(db).Set(in1h)
	_, err = db.Authenticate(ctx, secret)
	wantCode(t, err, herald.EUNAUTHORIZED)
	if !strings.Contains(herald.ErrorMessage(err), "expired") {
		t.Errorf("expired: %v", err)
	}

	longSecret, long, err := db.CreateTokenFor(ctx, edC, herald.TokenRequest{Name: "long", Workspace: "a"})
	if err != nil {
		t.Fatal(err)
	}
	// Another person's token is not found, for listing or revoking.
	wantCode(t, db.RevokeToken(ctx, otherC, long.ID), herald.ENOTFOUND)
	if list, _ := db.ListTokens(ctx, otherC, 0, 10); len(list) != 0 {
		t.Fatalf("another person lists %v", list)
	}
	list, err := db.ListTokens(ctx, edC, 0, 2)
	if err != nil || len(list) != 2 || list[0].ID != tok.ID || list[1].ID != sub.ID || list[0].User != ed.Email {
		t.Fatalf("list %+v %v", list, err)
	}
	list, _ = db.ListTokens(ctx, edC, list[1].ID, 2)
	if len(list) != 1 || list[0].ID != long.ID || list[0].Workspace != "a" || list[0].Role != "" {
		t.Fatalf("page 2 %+v", list)
	}
	// A narrowed token lists only the tokens of its workspace.
	longC := callerOf(t, db, longSecret)
	if list, _ := db.ListTokens(ctx, longC, 0, 10); len(list) != 1 || list[0].ID != long.ID {
		t.Fatalf("narrowed lists %+v", list)
	}
	wantCode(t, db.RevokeToken(ctx, longC, tok.ID), herald.ENOTFOUND)

	clockOf(db).Set(in2h)
	if err := db.RevokeToken(ctx, edC, long.ID); err != nil {
		t.Fatal(err)
	}
	_, err = db.Authenticate(ctx, longSecret)
	wantCode(t, err, herald.EUNAUTHORIZED)
	if !strings.Contains(herald.ErrorMessage(err), "revoked") {
		t.Errorf("revoked: %v", err)
	}
	clockOf(db).Set(in2h.Add(time.Hour))
	if err := db.RevokeToken(ctx, edC, long.ID); err != nil { // again: nothing changes
		t.Fatal(err)
	}
	list, _ = db.ListTokens(ctx, edC, 0, 10)
	if r := list[len(list)-1]; r.RevokedAt == nil || !r.RevokedAt.Equal(in2h) {
		t.Fatalf("revoked at %+v", r)
	}

	// The instance admin lists and revokes anyone's.
	admin := herald.Caller{Admin: true}
	if list, _ := db.ListTokens(ctx, admin, 0, 100); len(list) != 3 {
		t.Fatalf("admin lists %d", len(list))
	}
	if err := db.RevokeToken(ctx, admin, tok.ID); err != nil {
		t.Fatal(err)
	}
	wantCode(t, db.RevokeToken(ctx, admin, 9999), herald.ENOTFOUND)
}
