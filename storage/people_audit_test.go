package storage

import (
	"testing"

	"github.com/heraldhq/herald"
)

// Users, members and tokens are in the audit log, each change once, by
// whom; a refused change writes nothing.
func TestPeopleAudited(t *testing.T) {
	db := MustOpenDB(t)
	cli := herald.WithActor(ctx, herald.Actor{Kind: herald.AuditSystem, ID: "cli", Name: "herald user create"})
	boss := &herald.User{Email: "boss@example.com", Name: "Boss", Admin: true}
	if _, err := db.CreateUser(cli, boss, ""); err != nil {
		t.Fatal(err)
	}
	ana, _ := mustUser(t, db, "ana@example.com", false)
	bossCtx := herald.WithActor(ctx, herald.Actor{Kind: "user", ID: "1", Name: "Boss", UserID: boss.ID})
	ws := &herald.Workspace{Slug: "acme", Name: "Acme", Timezone: "UTC"}
	if err := db.CreateWorkspace(bossCtx, ws); err != nil {
		t.Fatal(err)
	}
	for _, role := range []herald.Role{herald.RoleEditor, herald.RoleEditor, herald.RoleViewer} { // the second changes nothing
		if _, _, err := db.PutMember(bossCtx, ws.ID, "ana@example.com", role, herald.RoleOwner); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := db.PutMember(bossCtx, ws.ID, "boss@example.com", herald.RoleViewer, herald.RoleOwner); herald.ErrorCode(err) != herald.ECONFLICT {
		t.Fatalf("last owner: %v", err)
	}
	if err := db.DeleteMember(bossCtx, ws.ID, "ana@example.com", herald.RoleOwner); err != nil {
		t.Fatal(err)
	}
	anaCtx := herald.WithActor(ctx, herald.Actor{Kind: "user", ID: "2", Name: ana.Name, UserID: ana.ID})
	mustMember(t, db, ws.ID, ana.Email, herald.RoleEditor)
	_, tok, err := db.CreateTokenFor(anaCtx, herald.Caller{UserID: ana.ID}, herald.TokenRequest{Name: "ci", Workspace: "acme", Role: herald.RoleViewer})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ { // the second changes nothing
		if err := db.RevokeToken(anaCtx, herald.Caller{UserID: ana.ID}, tok.ID); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.ChangePassword(anaCtx, ana.ID, "not it", "a new password", 0); herald.ErrorCode(err) != herald.EFORBIDDEN {
		t.Fatalf("wrong password: %v", err)
	}

	wantLines(t, auditLines(t, db, herald.AuditFilter{WorkspaceID: ws.ID}),
		`workspace.created workspace acme by user:1 (Boss) {"name":"Acme","timezone":"UTC"}`,
		`member.added member boss@example.com by user:1 (Boss) {"role":"owner"}`,
		`member.added member ana@example.com by user:1 (Boss) {"role":"editor"}`,
		`member.changed member ana@example.com by user:1 (Boss) {"from":"editor","role":"viewer"}`,
		`member.removed member ana@example.com by user:1 (Boss) {"from":"viewer"}`,
		`member.added member ana@example.com by system: {"role":"editor"}`,
		`token.created token 1 by user:2 (Person ana@example.com) {"name":"ci","role":"viewer","workspace":"acme"}`,
		`token.revoked token 1 by user:2 (Person ana@example.com) {"name":"ci"}`,
	)
	all := auditLines(t, db, herald.AuditFilter{})
	want := map[string]bool{
		`user.created user boss@example.com by system:cli (herald user create) {"admin":true,"name":"Boss"}`:       true,
		`user.created user ana@example.com by system: {"admin":false,"name":"Person ana@example.com"}`:             true,
		`login.failed user ana@example.com by user:2 (Person ana@example.com) {"reason":"wrong current password"}`: true,
	}
	for _, l := range all {
		delete(want, l)
	}
	for l := range want {
		t.Errorf("not in the audit log: %s\n%v", l, all)
	}
}
