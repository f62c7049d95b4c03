package main

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// An employee leaves, through a real herald serve with --session-ttl: her
// session lasts what it says. The operator removes her on the database
// (herald user remove) while the server runs, and at once her session and
// her CI token answer 401 and she cannot sign in; the last owner of a
// workspace is not removed until someone else owns it. The audit log names
// the command line as who removed her, and her as who made the token.
func TestUserRemoveEndToEnd(t *testing.T) {
	noServer(t)
	t.Setenv("HERALD_SECRET_KEY", "")
	dir := t.TempDir()
	admin := createToken(t, dir)
	srv := startChild(t, dir, "HERALD_SESSION_TTL=45m")

	code, out, errs := runHeraldIn(t, "user", "create", "--email", "ana@example.com", "--name", "Ana", "--data-dir", dir)
	password := strings.TrimSpace(out)
	if code != exitOK {
		t.Fatalf("user create: exit %d, %q %q", code, out, errs)
	}
	if code, _, errs := runHeraldIn(t, "user", "create", "--email", "bo@example.com", "--name", "Bo", "--data-dir", dir); code != exitOK {
		t.Fatalf("user create bo: %d %s", code, errs)
	}
	call(t, srv.URL, admin, "POST", "/api/v1/workspaces", "", map[string]any{"slug": "brand", "name": "Brand"}, 201, nil)
	member := func(email, role string) {
		call(t, srv.URL, admin, "PUT", "/api/v1/workspaces/brand/members/"+url.PathEscape(email), "", map[string]string{"role": role}, 201, nil)
	}
	member("ana@example.com", "owner")

	var sess struct {
		Token     string    `json:"token"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	signIn := map[string]string{"email": "ana@example.com", "password": password}
	call(t, srv.URL, "", "POST", "/api/v1/sessions", "", signIn, 201, &sess)
	if d := sess.ExpiresAt.Sub(herald.Now()); d < 44*time.Minute || d > 46*time.Minute {
		t.Fatalf("session expires at %v, %v from now; want in about 45 minutes (HERALD_SESSION_TTL)", sess.ExpiresAt, d)
	}
	var ci struct {
		Token string `json:"token"`
		ID    int64  `json:"id"`
	}
	call(t, srv.URL, sess.Token, "POST", "/api/v1/tokens", "", map[string]any{"name": "ci", "workspace": "brand"}, 201, &ci)
	call(t, srv.URL, ci.Token, "GET", "/api/v1/users/me", "", nil, 200, nil)

	// The last owner of brand: refused, nothing changed.
	code, out, errs = runHeraldIn(t, "user", "remove", "--email", "ana@example.com", "--data-dir", dir)
	if code != exitFail || out != "" || !strings.Contains(errs, `last owner of workspace "brand"`) || !strings.Contains(errs, "make someone else owner") {
		t.Fatalf("removing the last owner: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	call(t, srv.URL, sess.Token, "GET", "/api/v1/workspaces/brand", "", nil, 200, nil)

	member("bo@example.com", "owner")
	code, out, errs = runHeraldIn(t, "user", "remove", "--email", "ANA@example.com", "--data-dir", dir)
	if code != exitOK || out != "Removed Ana <ana@example.com>: 1 membership removed, 1 API token revoked, 1 session ended.\n" || errs != "" {
		t.Fatalf("user remove: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	// At once, on the running server.
	call(t, srv.URL, sess.Token, "GET", "/api/v1/users/me", "", nil, 401, nil)
	call(t, srv.URL, ci.Token, "GET", "/api/v1/workspaces/brand", "", nil, 401, nil)
	call(t, srv.URL, "", "POST", "/api/v1/sessions", "", signIn, 401, nil)

	if code, _, errs := runHeraldIn(t, "user", "remove", "--email", "ana@example.com", "--data-dir", dir); code != exitFail || !strings.Contains(errs, "removed already") {
		t.Errorf("removing her again: exit %d, %q", code, errs)
	}
	if code, _, errs := runHeraldIn(t, "user", "remove", "--email", "nobody@example.com", "--data-dir", dir); code != exitFail || !strings.Contains(errs, "no user has the email") {
		t.Errorf("an unknown email: exit %d, %q", code, errs)
	}

	tm := &testMain{Token: admin, URL: srv.URL}
	var removed []string
	for _, l := range auditActions(t, tm, "") {
		if strings.HasPrefix(l, "user.removed") {
			removed = append(removed, l)
		}
	}
	wantAudit(t, "the instance's removals", removed, "user.removed user ana@example.com by system:cli (herald user remove)")
	brand := auditActions(t, tm, "brand")
	if !contains(brand, "member.removed member ana@example.com by system:cli (herald user remove)") ||
		!contains(brand, fmt.Sprintf("token.created token %d by user:1 (Ana)", ci.ID)) {
		t.Errorf("brand's audit log:\n%s", strings.Join(brand, "\n"))
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestUserRemoveUsage(t *testing.T) {
	noServer(t)
	wantHelp(t, []string{"user", "remove"}, "usage: herald user remove --email EMAIL", "--email", "--data-dir", "HERALD_SECRET_KEY", "last owner", "401")
	dir := t.TempDir()
	wantRefusals(t, []refusal{
		{[]string{"user"}, exitUsage, "herald user remove --email EMAIL"},
		{[]string{"user", "remove", "--data-dir", dir}, exitUsage, "--email is required"},
		{[]string{"user", "remove", "--email", " ", "--data-dir", dir}, exitUsage, "--email is required"},
		{[]string{"user", "remove", "--email", "a@example.com", "extra", "--data-dir", dir}, exitUsage, "unexpected argument"},
		{[]string{"user", "remove", "--email", "ghost@example.com", "--data-dir", dir}, exitFail, "no user has the email"},
	})
	if c, o, _ := runHeraldIn(t, "--help"); c != exitOK || !strings.Contains(o, "herald user remove") {
		t.Errorf("herald --help does not list user remove:\n%s", o)
	}
	if c, o, _ := runHeraldIn(t, "user", "help"); c != exitOK || !strings.Contains(o, "remove: ") || !strings.Contains(o, "create: ") {
		t.Errorf("herald user help:\n%s", o)
	}
}
