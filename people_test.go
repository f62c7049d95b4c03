package herald

import (
	"strings"
	"testing"
)

func TestCheckMemberChange(t *testing.T) {
	cases := []struct {
		by, from, to Role
		ok           bool
	}{
		{RoleOwner, "", RoleOwner, true},
		{RoleOwner, RoleOwner, RoleViewer, true},
		{RoleOwner, RoleOwner, "", true},
		{RoleManager, "", RoleEditor, true},
		{RoleManager, RoleEditor, "", true},
		{RoleManager, RoleEditor, RoleManager, true},
		{RoleManager, "", RoleOwner, false},         // may not make owners
		{RoleManager, RoleOwner, RoleViewer, false}, // nor touch one
		{RoleManager, RoleOwner, "", false},
		{RoleEditor, "", RoleViewer, true}, // Covers; the route's PermMembers keeps editors out
		{RoleEditor, "", RoleApprover, false},
	}
	for _, c := range cases {
		err := CheckMemberChange(c.by, c.from, c.to)
		if (err == nil) != c.ok || err != nil && ErrorCode(err) != EFORBIDDEN {
			t.Errorf("%s changing %q to %q: %v, want ok %v", c.by, c.from, c.to, err, c.ok)
		}
	}
}

func TestTokenCaller(t *testing.T) {
	boot := (&Token{ID: 1, Name: "first-admin", Role: RoleAdmin}).Caller()
	if !boot.InstanceAdmin() || boot.Role != "" || boot.Actor.String() != "token:1" || boot.Actor.UserID != 0 {
		t.Errorf("bootstrap %+v", boot)
	}
	narrowed := (&Token{ID: 2, Name: "ci", Role: "editor", WorkspaceID: 5}).Caller()
	if !narrowed.Admin || narrowed.InstanceAdmin() || narrowed.Role != RoleEditor {
		t.Errorf("admin's narrowed token %+v", narrowed)
	}
	if r, ok := narrowed.In(5, ""); !ok || r != RoleEditor {
		t.Errorf("in its workspace: %s %v", r, ok)
	}
	if _, ok := narrowed.In(6, RoleOwner); ok {
		t.Error("a narrowed token sees another workspace")
	}
	user := (&Token{ID: 3, Name: "mine", UserID: 9, UserName: "Ana"}).Caller()
	if user.Admin || user.UserID != 9 || user.Actor.Kind != "token" || user.Actor.Name != "mine" || user.Actor.UserID != 9 {
		t.Errorf("user token %+v", user)
	}
	sess := (&Token{ID: 4, Name: "session", UserID: 9, UserName: "Ana", UserAdmin: true, Session: true}).Caller()
	if !sess.InstanceAdmin() || !sess.Session || sess.TokenID != 4 || sess.Actor.String() != "user:9" || sess.Actor.Name != "Ana" {
		t.Errorf("admin's session %+v", sess)
	}
	if !user.Actor.SamePerson(sess.Actor) {
		t.Error("a person's token and session are not one person")
	}
}

func TestUserValidate(t *testing.T) {
	u := &User{Email: " ana@example.com ", Name: " Ana "}
	if err := u.Validate(); err != nil || u.Email != "ana@example.com" || u.Name != "Ana" {
		t.Fatalf("%+v %v", u, err)
	}
	for _, bad := range []User{{Email: "", Name: "A"}, {Email: "ana", Name: "A"}, {Email: "Ana <a@example.com>", Name: "A"},
		{Email: strings.Repeat("a", 250) + "@example.com", Name: "A"}, {Email: "a@example.com", Name: ""},
		{Email: "a@example.com", Name: strings.Repeat("n", MaxNameLength+1)}} {
		if err := bad.Validate(); ErrorCode(err) != EVALIDATION {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	if EmailKey(" Ana@Example.COM ") != "ana@example.com" {
		t.Error("EmailKey")
	}
	for pw, ok := range map[string]bool{"1234567": false, "12345678": true, strings.Repeat("p", 256): true, strings.Repeat("p", 257): false} {
		if err := CheckPassword("password", pw); (err == nil) != ok {
			t.Errorf("password of %d bytes: %v", len(pw), err)
		}
	}
}
