package storage

import (
	"testing"

	"github.com/heraldhq/herald"
)

func mustMember(tb testing.TB, db *DB, wsID int64, email string, role herald.Role) {
	tb.Helper()
	if _, _, err := db.PutMember(ctx, wsID, email, role, herald.RoleOwner); err != nil {
		tb.Fatalf("member %s %s: %v", email, role, err)
	}
}

func roleOf(tb testing.TB, db *DB, slug string, userID int64) herald.Role {
	tb.Helper()
	_, r, err := db.WorkspaceAccess(ctx, slug, userID)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

func TestMembers(t *testing.T) {
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "acme")
	own, _ := mustUser(t, db, "own@example.com", false)
	mustUser(t, db, "mgr@example.com", false)
	ed, _ := mustUser(t, db, "ed@example.com", false)
	own2, _ := mustUser(t, db, "own2@example.com", false)

	m, created, err := db.PutMember(ctx, ws.ID, "OWN@example.com", herald.RoleOwner, herald.RoleOwner)
	if err != nil || !created || m.Email != "own@example.com" || m.Role != herald.RoleOwner || m.UserID != own.ID {
		t.Fatalf("put %+v %v %v", m, created, err)
	}
	mustMember(t, db, ws.ID, "mgr@example.com", herald.RoleManager)
	if _, created, err := db.PutMember(ctx, ws.ID, "ed@example.com", herald.RoleViewer, herald.RoleManager); err != nil || !created {
		t.Fatalf("manager adds a viewer: %v", err)
	}
	// Changing a role is not adding.
	if m, created, err := db.PutMember(ctx, ws.ID, "ed@example.com", herald.RoleEditor, herald.RoleManager); err != nil || created || m.Role != herald.RoleEditor {
		t.Fatalf("manager makes an editor: %+v %v %v", m, created, err)
	}
	if r := roleOf(t, db, "acme", ed.ID); r != herald.RoleEditor {
		t.Fatalf("editor's role %q", r)
	}

	// A manager may not make owners, nor touch one.
	_, _, err = db.PutMember(ctx, ws.ID, "own2@example.com", herald.RoleOwner, herald.RoleManager)
	wantCode(t, err, herald.EFORBIDDEN)
	_, _, err = db.PutMember(ctx, ws.ID, "mgr@example.com", herald.RoleOwner, herald.RoleManager)
	wantCode(t, err, herald.EFORBIDDEN)
	_, _, err = db.PutMember(ctx, ws.ID, "own@example.com", herald.RoleViewer, herald.RoleManager)
	wantCode(t, err, herald.EFORBIDDEN)
	wantCode(t, db.DeleteMember(ctx, ws.ID, "own@example.com", herald.RoleManager), herald.EFORBIDDEN)

	// The last owner is neither demoted nor removed, by anyone.
	_, _, err = db.PutMember(ctx, ws.ID, "own@example.com", herald.RoleManager, herald.RoleOwner)
	wantCode(t, err, herald.ECONFLICT)
	wantCode(t, db.DeleteMember(ctx, ws.ID, "own@example.com", herald.RoleOwner), herald.ECONFLICT)
	if r := roleOf(t, db, "acme", own.ID); r != herald.RoleOwner {
		t.Fatalf("the last owner is %q", r)
	}
	// With a second owner, the first may go.
	mustMember(t, db, ws.ID, "own2@example.com", herald.RoleOwner)
	if err := db.DeleteMember(ctx, ws.ID, "own@example.com", herald.RoleOwner); err != nil {
		t.Fatal(err)
	}
	if r := roleOf(t, db, "acme", own.ID); r != "" {
		t.Fatalf("removed owner still %q", r)
	}
	_, _, err = db.PutMember(ctx, ws.ID, "own2@example.com", herald.RoleEditor, herald.RoleOwner)
	wantCode(t, err, herald.ECONFLICT)

	// A manager removes an editor; unknown people and non-members are 404.
	if err := db.DeleteMember(ctx, ws.ID, "ed@example.com", herald.RoleManager); err != nil {
		t.Fatal(err)
	}
	wantCode(t, db.DeleteMember(ctx, ws.ID, "ed@example.com", herald.RoleManager), herald.ENOTFOUND)
	_, _, err = db.PutMember(ctx, ws.ID, "nobody@example.com", herald.RoleViewer, herald.RoleOwner)
	wantCode(t, err, herald.ENOTFOUND)
	_, _, err = db.PutMember(ctx, ws.ID, "ed@example.com", "admin", herald.RoleOwner)
	wantCode(t, err, herald.EINVALID)
	_, _, err = db.PutMember(ctx, ws.ID+99, "ed@example.com", herald.RoleViewer, herald.RoleOwner)
	wantCode(t, err, herald.ENOTFOUND)

	// Listing pages by email.
	mustMember(t, db, ws.ID, "ed@example.com", herald.RoleViewer)
	list, err := db.ListMembers(ctx, ws.ID, "", 2)
	if err != nil || len(list) != 2 || list[0].Email != "ed@example.com" || list[1].Email != "mgr@example.com" {
		t.Fatalf("page 1 %v %v", list, err)
	}
	list, err = db.ListMembers(ctx, ws.ID, herald.EmailKey(list[1].Email), 2)
	if err != nil || len(list) != 1 || list[0].Email != "own2@example.com" || list[0].UserID != own2.ID || list[0].Name == "" {
		t.Fatalf("page 2 %v %v", list, err)
	}
}

// Two owners demoting each other at once leave one owner: the changes of
// a workspace's members take turns.
func TestLastOwnerRace(t *testing.T) {
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "acme")
	mustUser(t, db, "a@example.com", false)
	mustUser(t, db, "b@example.com", false)
	for trial := 0; trial < 10; trial++ {
		mustMember(t, db, ws.ID, "a@example.com", herald.RoleOwner)
		mustMember(t, db, ws.ID, "b@example.com", herald.RoleOwner)
		errs := make(chan error, 2)
		for _, email := range []string{"a@example.com", "b@example.com"} {
			go func() {
				_, _, err := db.PutMember(ctx, ws.ID, email, herald.RoleViewer, herald.RoleOwner)
				errs <- err
			}()
		}
		e1, e2 := <-errs, <-errs
		var owners int
		if err := get(ctx, db.r, &owners, `SELECT COUNT(*) FROM members WHERE workspace_id = ? AND role = 'owner'`, ws.ID); err != nil {
			t.Fatal(err)
		}
		if owners != 1 || (e1 == nil) == (e2 == nil) {
			t.Fatalf("trial %d: %d owners left; errors %v, %v", trial, owners, e1, e2)
		}
		for _, err := range []error{e1, e2} {
			if err != nil {
				wantCode(t, err, herald.ECONFLICT)
			}
		}
	}
}

// A person who creates a workspace owns it; a workspace lists for its
// members only; deleting it takes its members and narrowed tokens along.
func TestWorkspacesOfPeople(t *testing.T) {
	db := MustOpenDB(t)
	admin, _ := mustUser(t, db, "admin@example.com", true)
	ed, _ := mustUser(t, db, "ed@example.com", false)
	actx := herald.WithActor(ctx, herald.Actor{Kind: "user", ID: "1", UserID: admin.ID})
	for _, slug := range []string{"a", "b", "c"} {
		if err := db.CreateWorkspace(actx, &herald.Workspace{Slug: slug, Name: slug, Timezone: "UTC"}); err != nil {
			t.Fatal(err)
		}
	}
	plain := mustWorkspace(t, db, "d") // no person behind it: no owner
	if r := roleOf(t, db, "a", admin.ID); r != herald.RoleOwner {
		t.Fatalf("creator's role %q", r)
	}
	if r := roleOf(t, db, "d", admin.ID); r != "" {
		t.Fatalf("role in a workspace the system made: %q", r)
	}
	a, _ := db.Workspace(ctx, "a")
	c, _ := db.Workspace(ctx, "c")
	mustMember(t, db, a.ID, "ed@example.com", herald.RoleEditor)
	mustMember(t, db, c.ID, "ed@example.com", herald.RoleViewer)

	slugs := func(by herald.Caller, after string, limit int) []string {
		t.Helper()
		list, err := db.ListWorkspacesFor(ctx, by, after, limit)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, w := range list {
			out = append(out, w.Slug)
		}
		return out
	}
	edC := herald.Caller{UserID: ed.ID}
	if got := slugs(edC, "", 10); len(got) != 2 || got[0] != "a" || got[1] != "c" {
		t.Fatalf("editor sees %v", got)
	}
	if got := slugs(edC, "a", 10); len(got) != 1 || got[0] != "c" {
		t.Fatalf("editor's page 2 %v", got)
	}
	if got := slugs(herald.Caller{UserID: ed.ID, WorkspaceID: c.ID}, "", 10); len(got) != 1 || got[0] != "c" {
		t.Fatalf("narrowed to c sees %v", got)
	}
	if got := slugs(herald.Caller{UserID: ed.ID, WorkspaceID: plain.ID}, "", 10); len(got) != 0 {
		t.Fatalf("narrowed to a workspace of which it is no member sees %v", got)
	}
	if got := slugs(herald.Caller{Admin: true}, "", 10); len(got) != 4 {
		t.Fatalf("admin sees %v", got)
	}
	if got := slugs(herald.Caller{Admin: true, WorkspaceID: plain.ID}, "", 10); len(got) != 1 || got[0] != "d" {
		t.Fatalf("admin narrowed sees %v", got)
	}
	if got := slugs(herald.Caller{UserID: 9999}, "", 10); len(got) != 0 {
		t.Fatalf("a stranger sees %v", got)
	}

	_, tok, err := db.CreateTokenFor(ctx, herald.Caller{UserID: ed.ID}, herald.TokenRequest{Name: "ci", Workspace: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteWorkspace(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := get(ctx, db.r, &n, `SELECT (SELECT COUNT(*) FROM members WHERE workspace_id = ?) + (SELECT COUNT(*) FROM api_tokens WHERE id = ?)`, a.ID, tok.ID); err != nil || n != 0 {
		t.Fatalf("members and tokens of a deleted workspace left: %d %v", n, err)
	}
}
