package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// runHeraldIn runs a herald command line in this process.
func runHeraldIn(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb syncBuffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// The agency's way in, through a real herald serve: the operator creates a
// user on the database (herald user create), who signs in and makes a CI
// token narrowed to one workspace as an editor; herald plan apply with it
// applies a plan there and is refused for another workspace, as if that
// did not exist. Removed from the workspace, she no longer sees it. The
// audit log, read through the API, lists each change with who made it.
func TestPeopleEndToEnd(t *testing.T) {
	noServer(t)
	t.Setenv("HERALD_SECRET_KEY", "")
	dir := t.TempDir()
	admin := createToken(t, dir)
	srv := startChild(t, dir)

	// Created on the database while the server runs.
	code, out, errs := runHeraldIn(t, "user", "create", "--email", "ana@example.com", "--name", "Ana", "--data-dir", dir)
	password := strings.TrimSpace(out)
	if code != exitOK || strings.Count(out, "\n") != 1 || len(password) < 20 || !strings.Contains(errs, "one-time password") {
		t.Fatalf("user create: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if code, _, errs := runHeraldIn(t, "user", "create", "--email", "ANA@example.com", "--name", "Again", "--data-dir", dir); code != exitFail || !strings.Contains(errs, "exists already") {
		t.Fatalf("a second user with that email: exit %d, %q", code, errs)
	}

	// Ana manages brand and owns other (a manager, not the last owner, may
	// be demoted and removed below).
	for _, w := range []struct{ ws, role string }{{"brand", "manager"}, {"other", "owner"}} {
		ws, role := w.ws, w.role
		call(t, srv.URL, admin, "POST", "/api/v1/workspaces", "", map[string]any{"slug": ws, "name": ws}, 201, nil)
		call(t, srv.URL, admin, "POST", "/api/v1/workspaces/"+ws+"/channels", "", map[string]any{"name": "demo", "platform": "outbox"}, 201, nil)
		call(t, srv.URL, admin, "PUT", "/api/v1/workspaces/"+ws+"/members/"+url.PathEscape("ana@example.com"), "", map[string]string{"role": role}, 201, nil)
	}

	// A wrong password is refused, and recorded.
	call(t, srv.URL, "", "POST", "/api/v1/sessions", "", map[string]string{"email": "ana@example.com", "password": "not it"}, 401, nil)
	var sess struct {
		Token     string    `json:"token"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	call(t, srv.URL, "", "POST", "/api/v1/sessions", "", map[string]string{"email": "ana@example.com", "password": password}, 201, &sess)
	if d := sess.ExpiresAt.Sub(herald.Now()); d < 11*time.Hour || d > 13*time.Hour {
		t.Fatalf("session expires at %v, want in about 12 hours", sess.ExpiresAt)
	}
	var ci struct {
		Token string `json:"token"`
		ID    int64  `json:"id"`
		Role  string `json:"role"`
	}
	call(t, srv.URL, sess.Token, "POST", "/api/v1/tokens", "", map[string]any{"name": "ci", "workspace": "brand", "role": "editor"}, 201, &ci)
	if !strings.HasPrefix(ci.Token, "hrld_") || ci.Role != "editor" {
		t.Fatalf("ci token %+v", ci)
	}

	file := writeFile(t, "dec.csv", csvPlan("a,"+at(herald.Now().Add(time.Hour))+",demo,First"))
	code, out, errs = runPlan(t, "apply", file, "--workspace", "brand", "--server", srv.URL, "--token", ci.Token)
	if code != exitOK || !strings.Contains(out, "1 created") {
		t.Fatalf("apply with the CI token: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	code, out, errs = runPlan(t, "apply", file, "--workspace", "other", "--server", srv.URL, "--token", ci.Token)
	if code != exitUsage || !strings.Contains(errs, `workspace "other" not found`) {
		t.Fatalf("apply to another workspace: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	// The owner herself applies there; the CI token may not change brand's settings.
	if code, out, errs := runPlan(t, "apply", file, "--workspace", "other", "--server", srv.URL, "--token", sess.Token); code != exitOK {
		t.Fatalf("apply as the owner: exit %d\n%s%s", code, out, errs)
	}
	call(t, srv.URL, ci.Token, "PATCH", "/api/v1/workspaces/brand", "", map[string]any{"name": "Mine"}, 403, nil)

	// Revoked, it is refused.
	call(t, srv.URL, sess.Token, "DELETE", fmt.Sprintf("/api/v1/tokens/%d", ci.ID), "", nil, 204, nil)
	code, _, errs = runPlan(t, "apply", file, "--workspace", "brand", "--server", srv.URL, "--token", ci.Token)
	if code != exitUsage || !strings.Contains(errs, "revoked") {
		t.Fatalf("apply with a revoked token: exit %d, %s", code, errs)
	}

	// The admin demotes her in brand, then removes her: brand is gone for her.
	member := "/api/v1/workspaces/brand/members/" + url.PathEscape("ana@example.com")
	call(t, srv.URL, admin, "PUT", member, "", map[string]string{"role": "editor"}, 200, nil)
	call(t, srv.URL, admin, "DELETE", member, "", nil, 204, nil)
	call(t, srv.URL, sess.Token, "GET", "/api/v1/workspaces/brand", "", nil, 404, nil)

	call(t, srv.URL, sess.Token, "DELETE", "/api/v1/sessions/current", "", nil, 204, nil)
	call(t, srv.URL, sess.Token, "GET", "/api/v1/workspaces", "", nil, 401, nil)

	// The audit log lists each change above with its actor: the operator's
	// command line, the admin's token, Ana by her session, her CI token. A
	// token narrowed to a workspace is in that workspace's log; what was
	// refused is in none. A failed sign-in names the email as given.
	tm := &testMain{Token: admin, URL: srv.URL}
	const byAdmin, byAna = "by token:1 (e2e)", "by user:1 (Ana)"
	wantAudit(t, "brand's audit log", auditActions(t, tm, "brand"),
		"workspace.created workspace brand "+byAdmin,
		"channel.created channel demo "+byAdmin,
		"member.added member ana@example.com "+byAdmin,
		"token.created token 2 "+byAna,
		"plan.applied plan dec (1 created) by token:2 (ci)",
		"token.revoked token 2 "+byAna,
		"member.changed member ana@example.com "+byAdmin,
		"member.removed member ana@example.com "+byAdmin,
	)
	wantAudit(t, "other's audit log", auditActions(t, tm, "other"),
		"workspace.created workspace other "+byAdmin,
		"channel.created channel demo "+byAdmin,
		"member.added member ana@example.com "+byAdmin,
		"plan.applied plan dec (1 created) "+byAna,
	)
	wantAudit(t, "the instance's audit log", auditActions(t, tm, ""),
		"token.created token 1 by system:cli (herald token create)",
		"user.created user ana@example.com by system:cli (herald user create)",
		"login.failed user ana@example.com by user (ana@example.com)",
	)
}

func TestUserCreateUsage(t *testing.T) {
	noServer(t)
	wantHelp(t, []string{"user", "create"}, "usage: herald user create --email EMAIL", "--admin", "--email", "--name", "--data-dir", "HERALD_SECRET_KEY")
	dir := t.TempDir()
	wantRefusals(t, []refusal{
		{[]string{"user"}, exitUsage, "usage: herald user create"},
		{[]string{"user", "bogus"}, exitUsage, "unknown command"},
		{[]string{"user", "create", "--name", "Ana", "--data-dir", dir}, exitUsage, "--email is required"},
		{[]string{"user", "create", "--email", "a@example.com", "--data-dir", dir}, exitUsage, "--name is required"},
		{[]string{"user", "create", "--email", "not an email", "--name", "X", "--data-dir", dir}, exitFail, "--email: "},
	})
	if c, o, _ := runHeraldIn(t, "--help"); c != exitOK || !strings.Contains(o, "herald user create") {
		t.Errorf("herald --help does not list user create:\n%s", o)
	}
	// --admin makes an instance admin.
	code, out, errs := runHeraldIn(t, "user", "create", "--email", "boss@example.com", "--name", "Boss", "--admin", "--data-dir", dir)
	if code != exitOK || !strings.Contains(errs, "instance admin") {
		t.Fatalf("admin: exit %d %q %q", code, out, errs)
	}
}

// wantHelp checks that "herald args... --help" succeeds, starts with
// prefix and names each of wants.
func wantHelp(t *testing.T, args []string, prefix string, wants ...string) {
	t.Helper()
	code, out, errs := runHeraldIn(t, append(args, "--help")...)
	if code != exitOK || errs != "" || !strings.HasPrefix(out, prefix) {
		t.Fatalf("herald %v --help: exit %d %q %q", args, code, out, errs)
	}
	for _, want := range wants {
		if !strings.Contains(out, want) {
			t.Errorf("herald %v --help lacks %s:\n%s", args, want, out)
		}
	}
}

// refusal is a command line herald refuses: its exit code and what stderr
// says.
type refusal struct {
	args []string
	code int
	says string
}

// wantRefusals runs each command line and checks it is refused as said,
// with nothing on stdout.
func wantRefusals(t *testing.T, rs []refusal) {
	t.Helper()
	for _, c := range rs {
		code, out, errs := runHeraldIn(t, c.args...)
		if code != c.code || out != "" || !strings.Contains(errs, c.says) {
			t.Errorf("herald %v: exit %d, stdout %q, stderr %q; want exit %d saying %q", c.args, code, out, errs, c.code, c.says)
		}
	}
}
