package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/telegram/telegramfake"
)

// A two-step approval through a real herald serve and a fake Telegram:
// steps internal (managers) then client (approvers). An editor's token
// uploads the plan; the admin passes the internal step (until members and
// roles land, the bootstrap admin stands for the manager: the instance
// admin may decide any step); the client decides the second step by a
// review link, with no account. The approved post reaches the fake at its
// time; the rejected one is never sent; the one nobody approved ends missed,
// "not approved in time". The link, revoked, is refused. The audit log,
// read through the API, lists each change with who made it. Times are a
// few seconds from now, on the real clock (no date is assumed).
func TestEndToEndTwoStepApproval(t *testing.T) {
	fake := telegramfake.New(telegramfake.Options{})
	defer fake.Close()
	dir := t.TempDir()
	cfg := testConfig(dir)
	// Links point at the public URL (behind a proxy); this test opens
	// their path on the server itself.
	const public = "https://review.example.com"
	cfg.PublicURL = public + "/"
	tm := mustRunMain(t, cfg)
	// Another token than the admin's: another actor, the uploader, made
	// by the operator's command line while the service runs.
	code, out, errs := runHeraldIn(t, "token", "create", "--name", "editor-ci", "--data-dir", dir)
	editorSecret := strings.TrimSpace(out)
	if code != exitOK || !tokenRe.MatchString(editorSecret) {
		t.Fatalf("token create: exit %d, stdout %q, stderr %q", code, out, errs)
	}

	tm.do(t, "POST", "/api/v1/workspaces", map[string]any{"slug": "brand", "name": "Brand", "timezone": "Europe/Moscow",
		"max_lateness": "1s", "approval_steps": []map[string]any{
			{"name": "internal", "roles": []string{"manager"}}, {"name": "client", "roles": []string{"approver"}}}}, 201, nil)
	createTelegram(t, tm, "brand", "tg-main", "@brand", fake)

	base := herald.Now().Truncate(time.Second).Add(4 * time.Second)
	posts := []map[string]any{
		{"key": "approved", "at": at(base), "channels": []string{"tg-main"}, "text": "Approved by both"},
		{"key": "rejected", "at": at(base.Add(time.Second)), "channels": []string{"tg-main"}, "text": "Rejected by the client"},
		{"key": "unapproved", "at": at(base.Add(time.Second)), "channels": []string{"tg-main"}, "text": "Nobody approved me"},
	}
	var res struct {
		Warnings []herald.Problem   `json:"warnings"`
		Rows     []herald.RowResult `json:"rows"`
	}
	call(t, tm.URL, editorSecret, "PUT", "/api/v1/workspaces/brand/plans/dec", "", map[string]any{"posts": posts}, 200, &res)
	if len(res.Rows) != 3 || res.Rows[0].Approval != "required" {
		t.Fatalf("rows %+v", res.Rows)
	}
	soon := 0
	for _, w := range res.Warnings {
		if w.Code == "approval_due_soon" {
			soon++
		}
	}
	if soon != 3 {
		t.Errorf("warnings %+v, want approval_due_soon for each post", res.Warnings)
	}

	// The internal step, by the admin: every post waits at the client's now.
	var d struct {
		Posts []herald.DecidedPost `json:"posts"`
	}
	tm.do(t, "POST", "/api/v1/workspaces/brand/plans/dec/approve", map[string]any{"note": "internal ok"}, 200, &d)
	if len(d.Posts) != 3 || d.Posts[0].Step != "client" {
		t.Fatalf("internal step %+v", d)
	}
	// The editor may not approve their own upload.
	call(t, tm.URL, editorSecret, "POST", "/api/v1/workspaces/brand/plans/dec/approve", "", nil, 403, nil)

	// The client's link: it may not decide the internal step; it decides its own.
	var link struct {
		ID  int64  `json:"id"`
		URL string `json:"url"`
	}
	tm.do(t, "POST", "/api/v1/workspaces/brand/plans/dec/review-links", map[string]any{"step": "client", "name": "Client"}, 201, &link)
	path, ok := strings.CutPrefix(link.URL, public+"/api/v1/review/hrvw_")
	if !ok {
		t.Fatalf("link URL %q, want it under %s", link.URL, public)
	}
	path = "/api/v1/review/hrvw_" + path
	var page herald.ReviewPage
	call(t, tm.URL, "", "GET", path, "", nil, 200, &page)
	if len(page.Posts) != 3 || page.Posts[0].Deliveries[0].Timezone != "Europe/Moscow" ||
		page.Posts[0].Deliveries[0].LocalTime != base.In(moscow(t)).Format("2006-01-02 15:04") {
		t.Fatalf("review page %+v", page)
	}
	call(t, tm.URL, "", "POST", path+"/approve", "", map[string]any{"reviewer": "Anna", "posts": []string{"approved"}}, 200, nil)
	call(t, tm.URL, "", "POST", path+"/reject", "", map[string]any{"reviewer": "Anna", "posts": []string{"rejected"}, "note": "Wrong price"}, 200, nil)

	msgs, err := fake.WaitMessages(1, 15*time.Second)
	if err != nil {
		t.Fatalf("fake got %d messages: %v", len(msgs), err)
	}
	if msgs[0].Text != "Approved by both" {
		t.Errorf("sent %q", msgs[0].Text)
	}
	if late := msgs[0].Received.Sub(base); late < -1500*time.Millisecond || late > 1500*time.Millisecond {
		t.Errorf("sent %s from its due time", late)
	}
	r := tm.waitReport(t, "brand", "dec", 15*time.Second, map[string]string{
		"approved/tg-main": "published", "rejected/tg-main": "missed", "unapproved/tg-main": "missed"})
	for _, row := range r.Rows {
		if row.Key != "approved" && !strings.HasPrefix(row.Error, "not approved in time") {
			t.Errorf("%s: error %q, want not approved in time", row.Key, row.Error)
		}
	}
	if n := len(fake.Messages()); n != 1 {
		t.Errorf("fake got %d messages, want only the approved one", n)
	}
	// The decisions are shown with who made them.
	var plan struct {
		Rows []herald.ReportRow `json:"rows"`
	}
	tm.do(t, "GET", "/api/v1/workspaces/brand/plans/dec", nil, 200, &plan)
	for _, row := range plan.Rows {
		if row.Key != "rejected" {
			continue
		}
		ds := row.Approval.Decisions
		if row.Approval.State != "rejected" || len(ds) != 2 || ds[0].By.Kind != "token" || ds[1].By.Kind != "review_link" || ds[1].By.Name != "Anna" ||
			ds[1].Note != "Wrong price" {
			t.Errorf("rejected post's approval %+v", row.Approval)
		}
	}

	// Revoked, the link is refused.
	tm.do(t, "DELETE", fmt.Sprintf("/api/v1/workspaces/brand/plans/dec/review-links/%d", link.ID), nil, 200, nil)
	call(t, tm.URL, "", "GET", path, "", nil, 404, nil)

	// The audit log lists each change above with its actor: the decisions
	// by link are the link's, named by the reviewer as given.
	wantAudit(t, "brand's audit log", auditActions(t, tm, "brand"),
		"workspace.created workspace brand by token:1 (first-admin)",
		"channel.created channel tg-main by token:1 (first-admin)",
		"plan.applied plan dec (3 created) by token:2 (editor-ci)",
		"post.approved plan dec by token:1 (first-admin)",
		"review_link.created review link 1 by token:1 (first-admin)",
		"post.approved plan dec by review_link:1 (Anna)",
		"review_link.used review link 1 by review_link:1 (Anna)",
		"post.rejected plan dec by review_link:1 (Anna)",
		"review_link.used review link 1 by review_link:1 (Anna)",
		"review_link.revoked review link 1 by token:1 (first-admin)",
	)
	wantAudit(t, "the instance's audit log", auditActions(t, tm, ""),
		"token.created token 1 by system:serve (herald serve (first start))",
		"token.created token 2 by system:cli (herald token create)",
	)
}

func moscow(t *testing.T) *time.Location {
	loc, err := herald.LoadLocation("Europe/Moscow")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
