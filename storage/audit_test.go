package storage

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/jmoiron/sqlx"
)

// auditLines renders the entries f selects, oldest first, as
// "action target by kind:id[ (name)] {details}" lines, reading every page.
func auditLines(t *testing.T, db *DB, f herald.AuditFilter) []string {
	t.Helper()
	var all []herald.AuditEntry
	for pages := 0; ; pages++ {
		if pages == 100 {
			t.Fatalf("the cursor does not move on: %d pages of %+v", pages, f)
		}
		page, next, err := db.AuditLog(ctx, f)
		if err != nil {
			t.Fatalf("audit log: %v", err)
		}
		all = append(all, page...)
		if next == 0 {
			break
		}
		f.Before = next
	}
	var out []string
	for i := len(all) - 1; i >= 0; i-- {
		e := all[i]
		if i > 0 && all[i-1].ID <= e.ID {
			t.Errorf("entries not newest first: %d before %d", all[i-1].ID, e.ID)
		}
		if !e.At.Equal(clockOf(db).Now()) {
			t.Errorf("entry %d at %s, want the DB clock's %s", e.ID, e.At, clockOf(db).Now())
		}
		d, _ := json.Marshal(e.Details)
		who := e.Actor.Kind + ":" + e.Actor.ID
		if e.Actor.Name != "" {
			who += " (" + e.Actor.Name + ")"
		}
		out = append(out, fmt.Sprintf("%s %s by %s %s", e.Action, e.Target, who, d))
	}
	return out
}

func wantLines(t *testing.T, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

var (
	editor    = herald.WithActor(ctx, herald.Actor{Kind: "token", ID: "7", Name: "ci"})
	scheduler = herald.WithActor(ctx, herald.Actor{Kind: "scheduler", ID: "w1"})
)

// Each change of a workspace, its channels, plans and deliveries is one
// entry, written with it, naming who made it and what changed; what changes
// nothing (a dry run, an edit to the same values, a second delete) writes
// none.
func TestAuditRecordsEachChange(t *testing.T) {
	db := MustOpenDB(t)
	ws := &herald.Workspace{Slug: "acme", Name: "Acme", Timezone: "UTC"}
	if err := db.CreateWorkspace(editor, ws); err != nil {
		t.Fatal(err)
	}
	ws.Name = "Acme Coffee"
	if err := db.UpdateWorkspace(editor, ws); err != nil {
		t.Fatal(err)
	}
	if err := db.UpdateWorkspace(editor, ws); err != nil { // the same values
		t.Fatal(err)
	}
	tg := &herald.Channel{WorkspaceID: ws.ID, Name: "tg", Platform: "telegram", Timezone: "UTC",
		Config: map[string]any{"chat_id": "@acme"}, Credentials: map[string]string{"bot_token": "123:SECRET"}}
	if err := db.CreateChannel(editor, tg); err != nil {
		t.Fatal(err)
	}
	tg.Timezone, tg.Config = "Europe/Berlin", map[string]any{"chat_id": "@acme2"}
	tg.Credentials = nil
	if err := db.UpdateChannel(editor, tg); err != nil {
		t.Fatal(err)
	}
	tg.Credentials = map[string]string{"bot_token": "456:SECRET"}
	if err := db.UpdateChannel(editor, tg); err != nil { // only credentials
		t.Fatal(err)
	}
	if err := db.UpdateChannelCredentials(scheduler, tg.ID, map[string]string{"refresh_token": "r"}); err != nil {
		t.Fatal(err)
	}
	posts := []herald.Post{mkPost("a", 2, t0, "A", "tg"), mkPost("b", 3, t0.Add(time.Hour), "B", "tg")}
	plan := herald.Plan{Key: "2026-12", Timezone: "UTC"}
	if _, err := db.ApplyPlan(editor, ws.ID, plan, posts, true); err != nil { // dry run
		t.Fatal(err)
	}
	if _, err := db.ApplyPlan(editor, ws.ID, plan, posts, false); err != nil {
		t.Fatal(err)
	}
	posts[1].Text = "B, edited"
	if _, err := db.ApplyPlan(editor, ws.ID, plan, append(posts, mkPost("c", 4, t0.Add(2*time.Hour), "C", "tg")), false); err != nil {
		t.Fatal(err)
	}
	jobs, err := db.ClaimDue(scheduler, "w1", t0, time.Minute, 10)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("claim: %v %v", jobs, err)
	}
	a := jobs[0].Delivery.ID
	if err := db.Complete(scheduler, "w1", jobs[0], herald.Result{Outcome: herald.OutcomeUnknown, Reason: "timeout"}, t0, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RetryDelivery(editor, ws.ID, a); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CancelDelivery(editor, ws.ID, a); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RetryDelivery(editor, ws.ID, a); err != nil {
		t.Fatal(err)
	}
	jobs, err = db.ClaimDue(scheduler, "w1", t0, time.Minute, 10)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("claim: %v %v", jobs, err)
	}
	if err := db.Complete(scheduler, "w1", jobs[0], herald.Result{Outcome: herald.OutcomeUnknown, Reason: "timeout"}, t0, time.Time{}); err != nil {
		t.Fatal(err)
	}
	res := herald.Result{Outcome: herald.OutcomePublished, RemoteID: "1234", URL: "https://t.me/acme/1234"}
	if err := db.ResolveUnknown(editor, a, res, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := db.DeletePlan(editor, ws.ID, plan.Key); err != nil {
		t.Fatal(err)
	}
	if _, err := db.DeletePlan(editor, ws.ID, plan.Key); err != nil { // deleted already
		t.Fatal(err)
	}
	if err := db.DeleteChannel(editor, ws.ID, "tg"); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteWorkspace(editor, ws.ID); err != nil {
		t.Fatal(err)
	}
	by := "by token:7 (ci)"
	lines := []string{
		`workspace.created workspace acme ` + by + ` {"name":"Acme","timezone":"UTC"}`,
		`workspace.changed workspace acme ` + by + ` {"fields":["name"]}`,
		`channel.created channel tg ` + by + ` {"credentials":["bot_token"],"platform":"telegram"}`,
		`channel.changed channel tg ` + by + ` {"fields":["timezone","config"]}`,
		`channel.credentials_changed channel tg ` + by + ` {"keys":["bot_token"]}`,
		`channel.credentials_changed channel tg by system:scheduler:w1 {"keys":["refresh_token"],"refreshed":true}`,
		`plan.applied plan 2026-12 ` + by + ` {"cancelled":0,"conflicts":0,"created":2,"unchanged":0,"updated":0}`,
		`plan.applied plan 2026-12 ` + by + ` {"cancelled":0,"conflicts":0,"created":1,"unchanged":1,"updated":1}`,
		fmt.Sprintf(`delivery.retried delivery %d %s {"channel":"tg","from":"unknown","plan":"2026-12","post":"a"}`, a, by),
		fmt.Sprintf(`delivery.cancelled delivery %d %s {"channel":"tg","from":"scheduled","plan":"2026-12","post":"a"}`, a, by),
		fmt.Sprintf(`delivery.retried delivery %d %s {"channel":"tg","from":"cancelled","plan":"2026-12","post":"a"}`, a, by),
		fmt.Sprintf(`delivery.resolved delivery %d %s {"remote_id":"1234","url":"https://t.me/acme/1234"}`, a, by),
		`plan.deleted plan 2026-12 ` + by + ` {"cancelled":2}`,
		`channel.deleted channel tg ` + by + ` {"cancelled":0}`,
		`workspace.deleted workspace acme ` + by + ` {"name":"Acme Coffee"}`,
	}
	// The workspace's entries outlive it, for its id and in the instance log.
	wantLines(t, auditLines(t, db, herald.AuditFilter{WorkspaceID: ws.ID}), lines...)
	wantLines(t, auditLines(t, db, herald.AuditFilter{}), lines...)
	entries, _, err := db.AuditLog(ctx, herald.AuditFilter{WorkspaceID: ws.ID, Limit: 1})
	if err != nil || len(entries) != 1 || entries[0].Workspace != "acme" {
		t.Errorf("a deleted workspace's entry names it: %+v %v", entries, err)
	}
	// A workspace made under the old slug starts with its own log.
	again := mustWorkspace(t, db, "acme")
	if got := auditLines(t, db, herald.AuditFilter{WorkspaceID: again.ID}); len(got) != 1 || !strings.HasPrefix(got[0], "workspace.created") {
		t.Errorf("the new acme's log: %q", got)
	}
}

// A failed change writes no entry, and an entry that cannot be written
// undoes its change: both are one transaction.
func TestAuditIsTheChangesTransaction(t *testing.T) {
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "acme")
	mustChannel(t, db, ws.ID, "tg", "telegram")
	before := auditLines(t, db, herald.AuditFilter{})

	wantCode(t, db.CreateChannel(editor, &herald.Channel{WorkspaceID: ws.ID, Name: "tg", Platform: "telegram"}), herald.ECONFLICT)
	_, err := db.ApplyPlan(editor, ws.ID, herald.Plan{Key: "p"}, []herald.Post{mkPost("a", 2, t0, "A", "nope")}, false)
	wantCode(t, err, herald.EVALIDATION)
	_, err = db.RetryDelivery(editor, ws.ID, 999)
	wantCode(t, err, herald.ENOTFOUND)
	wantCode(t, db.DeleteWorkspace(editor, 999), herald.ENOTFOUND)
	wantLines(t, auditLines(t, db, herald.AuditFilter{}), before...)

	err = db.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := exec(ctx, tx, `UPDATE workspaces SET name = 'changed' WHERE id = ?`, ws.ID); err != nil {
			return err
		}
		return db.audit(ctx, tx, ws.ID, "workspace.renamed", "workspace acme", nil)
	})
	if err == nil || !strings.Contains(err.Error(), "herald.AuditActions") {
		t.Fatalf("an unknown action: %v, want an error naming herald.AuditActions", err)
	}
	if got, _ := db.Workspace(ctx, "acme"); got.Name == "changed" {
		t.Error("the change stayed though its entry failed")
	}
}

// A secret given as a credential, at creation, in a PATCH or by a
// publisher's refresh, appears nowhere in the audit log; nor does a
// token's secret.
func TestAuditNeverStoresASecret(t *testing.T) {
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "acme")
	const secret = "SECRET-7f3a9c"
	ch := &herald.Channel{WorkspaceID: ws.ID, Name: "masto", Platform: "mastodon",
		Config: map[string]any{"base_url": "https://m.example"}, Credentials: map[string]string{"access_token": secret + "-1"}}
	if err := db.CreateChannel(editor, ch); err != nil {
		t.Fatal(err)
	}
	ch.Credentials = map[string]string{"access_token": secret + "-2", "client_secret": secret + "-3"}
	if err := db.UpdateChannel(editor, ch); err != nil {
		t.Fatal(err)
	}
	if err := db.UpdateChannelCredentials(scheduler, ch.ID, map[string]string{"access_token": secret + "-4"}); err != nil {
		t.Fatal(err)
	}
	token, _, err := db.CreateToken(editor, "ci", herald.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	r, err := db.w.QueryxContext(ctx, `SELECT * FROM audit_log`)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for r.Next() {
		row := map[string]any{}
		if err := r.MapScan(row); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, row)
	}
	if len(rows) != 5 {
		t.Fatalf("%d entries, want 5: %v", len(rows), rows)
	}
	dump := fmt.Sprintf("%s", rows)
	if strings.Contains(dump, secret) || strings.Contains(dump, token) || strings.Contains(dump, hashSecret(token)) {
		t.Errorf("a secret in the audit log: %s", dump)
	}
	if !strings.Contains(dump, "client_secret") {
		t.Errorf("the credentials' names should be recorded: %s", dump)
	}
}

// Tokens are instance-level entries: in the instance log, in no
// workspace's; the first token says so, and none is recorded when the first
// token existed already.
func TestAuditTokens(t *testing.T) {
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "acme")
	cli := herald.WithActor(ctx, herald.Actor{Kind: "system", ID: "cli", Name: "herald token create"})
	_, first, err := db.CreateFirstToken(cli, "first-admin")
	if err != nil || first == nil {
		t.Fatal(first, err)
	}
	if secret, _, err := db.CreateFirstToken(cli, "first-admin"); err != nil || secret != "" {
		t.Fatal(secret, err)
	}
	_, tok, err := db.CreateToken(cli, "ci", herald.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	by := "by system:cli (herald token create)"
	wantLines(t, auditLines(t, db, herald.AuditFilter{Action: "token."}),
		fmt.Sprintf(`token.created token %d %s {"first":true,"name":"first-admin","role":"admin"}`, first.ID, by),
		fmt.Sprintf(`token.created token %d %s {"name":"ci","role":"admin"}`, tok.ID, by))
	if got := auditLines(t, db, herald.AuditFilter{WorkspaceID: ws.ID}); len(got) != 1 {
		t.Errorf("the workspace's log holds only its creation: %q", got)
	}
	entries, _, _ := db.AuditLog(ctx, herald.AuditFilter{Action: herald.AuditTokenCreated, Limit: 1})
	if len(entries) != 1 || entries[0].Workspace != "" {
		t.Errorf("a token entry names no workspace: %+v", entries)
	}
}

// DB.Audit records a change with no other write, as the context's actor or
// the one given.
func TestAuditExported(t *testing.T) {
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "acme")
	if err := db.Audit(editor, ws.ID, herald.AuditEntry{Action: herald.AuditPostApproved, Target: "plan p",
		Details: map[string]any{"posts": []string{"a"}}}); err != nil {
		t.Fatal(err)
	}
	stranger := herald.AuditActor{Kind: herald.AuditUser, Name: "who@example.com"}
	if err := db.Audit(ctx, 0, herald.AuditEntry{Actor: stranger, Action: herald.AuditLoginFailed, Target: "user who@example.com"}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, db.Audit(ctx, 0, herald.AuditEntry{Action: "login.tried"}), herald.EINVALID)
	wantLines(t, auditLines(t, db, herald.AuditFilter{Action: "post."}), `post.approved plan p by token:7 (ci) {"posts":["a"]}`)
	wantLines(t, auditLines(t, db, herald.AuditFilter{ActorKind: "user"}), `login.failed user who@example.com by user: (who@example.com) {}`)
}

// Details, targets and names are bounded: a long value is cut, details too
// long even so become {"truncated": true}.
func TestAuditBounds(t *testing.T) {
	db := MustOpenDB(t)
	long := strings.Repeat("é", 3000)
	many := make([]string, 500)
	for i := range many {
		many[i] = fmt.Sprintf("field-%03d", i)
	}
	huge := map[string]any{}
	for i := range 1000 {
		huge[fmt.Sprintf("k%03d", i)] = i
	}
	name := herald.WithActor(ctx, herald.Actor{Kind: "token", ID: "1", Name: long})
	for _, d := range []map[string]any{{"url": long}, {"fields": many}, huge} {
		if err := db.Audit(name, 0, herald.AuditEntry{Action: herald.AuditLoginFailed, Target: long, Details: d}); err != nil {
			t.Fatal(err)
		}
	}
	entries, _, err := db.AuditLog(ctx, herald.AuditFilter{})
	if err != nil || len(entries) != 3 {
		t.Fatal(entries, err)
	}
	for _, e := range entries {
		d, _ := json.Marshal(e.Details)
		if len(d) > herald.MaxAuditDetailsBytes || len(e.Target) > auditTargetMax+3 || len(e.Actor.Name) > auditActorMax+3 ||
			!strings.HasSuffix(e.Target, "…") || e.Details["truncated"] != true {
			t.Errorf("entry %d: details %d bytes, target %d, name %d: %.80s", e.ID, len(d), len(e.Target), len(e.Actor.Name), d)
		}
	}
	if fields, _ := entries[1].Details["fields"].([]any); len(fields) != auditListMax {
		t.Errorf("a long list is cut to %d items: %v", auditListMax, entries[1].Details)
	}
	if len(entries[0].Details) != 1 {
		t.Errorf("details too long even cut: %v, want only truncated", entries[0].Details)
	}
}

// The log reads newest first in pages that follow a cursor, over every
// entry once; filters by actor and by action (exact, or a prefix ending in
// ".") hold across pages.
func TestAuditPagesAndFilters(t *testing.T) {
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "acme")
	other := mustWorkspace(t, db, "other")
	mustChannel(t, db, ws.ID, "tg", "telegram")
	alice := herald.WithActor(ctx, herald.Actor{Kind: "user", ID: "1", Name: "alice"})
	bob := herald.WithActor(ctx, herald.Actor{Kind: "token", ID: "1", Name: "bob"})
	for i := range 7 {
		who := alice
		if i%2 == 1 {
			who = bob
		}
		p := []herald.Post{mkPost("a", 2, t0.Add(time.Duration(i+1)*time.Hour), "A", "tg")}
		if _, err := db.ApplyPlan(who, ws.ID, herald.Plan{Key: "p"}, p, false); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.DeletePlan(alice, ws.ID, "p"); err != nil {
		t.Fatal(err)
	}
	// Eleven entries: acme's creation, its channel's, seven applies, the
	// deletion; other's creation.
	all := auditLines(t, db, herald.AuditFilter{Limit: 3})
	if len(all) != 11 {
		t.Fatalf("%d entries over pages of 3, want 11:\n%s", len(all), strings.Join(all, "\n"))
	}
	if whole := auditLines(t, db, herald.AuditFilter{Limit: 500}); !slices.Equal(all, whole) {
		t.Errorf("pages of 3:\n%s\none page:\n%s", strings.Join(all, "\n"), strings.Join(whole, "\n"))
	}
	page, next, err := db.AuditLog(ctx, herald.AuditFilter{WorkspaceID: ws.ID, Limit: 9})
	if err != nil || len(page) != 9 || next != page[8].ID {
		t.Fatalf("first page: %d entries, next %d, %v", len(page), next, err)
	}
	if rest, next, err := db.AuditLog(ctx, herald.AuditFilter{WorkspaceID: ws.ID, Limit: 9, Before: next}); err != nil || len(rest) != 1 || next != 0 ||
		rest[0].Action != herald.AuditWorkspaceCreated {
		t.Errorf("last page: %+v, next %d, %v", rest, next, err)
	}

	count := func(f herald.AuditFilter) int { f.Limit = 2; return len(auditLines(t, db, f)) }
	for _, c := range []struct {
		f    herald.AuditFilter
		want int
	}{
		{herald.AuditFilter{WorkspaceID: ws.ID, Action: "plan.applied"}, 7},
		{herald.AuditFilter{WorkspaceID: ws.ID, Action: "plan."}, 8},
		{herald.AuditFilter{WorkspaceID: ws.ID, Action: "workspace."}, 1},
		{herald.AuditFilter{Action: "workspace."}, 2},
		{herald.AuditFilter{WorkspaceID: other.ID}, 1},
		{herald.AuditFilter{WorkspaceID: ws.ID, ActorKind: "user", ActorID: "1"}, 5},
		{herald.AuditFilter{WorkspaceID: ws.ID, ActorKind: "token", ActorID: "1"}, 3},
		{herald.AuditFilter{WorkspaceID: ws.ID, ActorKind: "token", ActorID: "2"}, 0},
		{herald.AuditFilter{ActorKind: "system"}, 3},
		{herald.AuditFilter{WorkspaceID: ws.ID, ActorKind: "user", ActorID: "1", Action: "plan.applied"}, 4},
	} {
		if got := count(c.f); got != c.want {
			t.Errorf("%+v: %d entries, want %d", c.f, got, c.want)
		}
	}
	for _, f := range []herald.AuditFilter{{Action: "plan"}, {Action: "plan.apply"}, {Action: "nope."}, {Action: "%."}, {ActorKind: "scheduler"}} {
		_, _, err := db.AuditLog(ctx, f)
		wantCode(t, err, herald.EINVALID)
	}
}

// Nothing updates or deletes audit entries: no storage code but the
// migrations names audit_log in an UPDATE or a DELETE, and the only write
// is appendAudit's INSERT.
func TestAuditLogIsAppendOnly(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	change := regexp.MustCompile(`(?is)(UPDATE\s+audit_log|DELETE\s+FROM\s+audit_log|TRUNCATE\s+(TABLE\s+)?audit_log|DROP\s+TABLE\s+(IF\s+EXISTS\s+)?audit_log)\b`)
	insert := regexp.MustCompile(`(?i)INSERT\s+INTO\s+audit_log\b`)
	inserts := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, loc := range change.FindAllIndex(b, -1) {
			t.Errorf("%s:%d changes audit entries: %s", f, bytes.Count(b[:loc[0]], []byte("\n"))+1, b[loc[0]:loc[1]])
		}
		if n := len(insert.FindAllIndex(b, -1)); n > 0 && f != "audit.go" {
			t.Errorf("%s writes audit_log itself; call db.audit", f)
		} else {
			inserts += n
		}
	}
	if inserts != 1 {
		t.Errorf("%d INSERTs into audit_log in audit.go, want appendAudit's one", inserts)
	}
	migrations, err := filepath.Glob("migrations/*/*.sql")
	if err != nil || len(migrations) == 0 {
		t.Fatal(migrations, err)
	}
	for _, f := range migrations {
		b, _ := os.ReadFile(f)
		if loc := change.FindIndex(b); loc != nil {
			t.Errorf("%s changes audit entries: %s", f, b[loc[0]:loc[1]])
		}
	}
}
