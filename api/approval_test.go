package api_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/api"
)

// twoSteps is an internal step for managers and a client step for approvers.
var twoSteps = []map[string]any{{"name": "internal", "roles": []string{"manager"}}, {"name": "client", "roles": []string{"Approver"}}}

type approvalSettings struct {
	ApprovalRequired  bool                  `json:"approval_required"`
	ApprovalSteps     []herald.ApprovalStep `json:"approval_steps"`
	AllowSelfApproval bool                  `json:"allow_self_approval"`
}

// The workspace shows and sets its approval: steps (validated), the default
// step of approval_required alone, and allow_self_approval.
func TestWorkspaceApprovalSettings(t *testing.T) {
	e := newEnv(t)
	e.setup("acme")
	var ws approvalSettings
	must(t, e.do("GET", "/api/v1/workspaces/acme", nil), 200).decode(t, &ws)
	if ws.ApprovalRequired || ws.ApprovalSteps == nil || len(ws.ApprovalSteps) != 0 || ws.AllowSelfApproval {
		t.Fatalf("defaults %+v", ws)
	}
	must(t, e.do("PATCH", "/api/v1/workspaces/acme", map[string]any{"approval_steps": twoSteps, "allow_self_approval": true}), 200).decode(t, &ws)
	if !ws.ApprovalRequired || len(ws.ApprovalSteps) != 2 || ws.ApprovalSteps[1].Roles[0] != herald.RoleApprover || !ws.AllowSelfApproval {
		t.Fatalf("two steps %+v", ws)
	}
	must(t, e.do("GET", "/api/v1/workspaces/acme", nil), 200).decode(t, &ws)
	if len(ws.ApprovalSteps) != 2 || ws.ApprovalSteps[0].Name != "internal" {
		t.Fatalf("stored %+v", ws)
	}
	for _, c := range []struct {
		body   map[string]any
		status int
		text   string
	}{
		{map[string]any{"approval_steps": []map[string]any{{"name": "a", "roles": []string{"boss"}}}}, 422, "unknown role"},
		{map[string]any{"approval_steps": []map[string]any{{"name": "a", "roles": []string{"manager"}}, {"name": "a", "roles": []string{"owner"}}}}, 422, "unique"},
		{map[string]any{"approval_steps": twoSteps, "approval_required": false}, 422, "approval_required is false"},
		{map[string]any{"approval_steps": "internal"}, 400, "approval_steps must be"},
		{map[string]any{"approval_steps": []map[string]any{{"name": "a", "roles": "manager"}}}, 400, "must be"},
	} {
		r := must(t, e.do("PATCH", "/api/v1/workspaces/acme", c.body), c.status)
		if !strings.Contains(r.String(), c.text) {
			t.Errorf("%v: %s, want %q", c.body, r.body, c.text)
		}
	}
	must(t, e.do("PATCH", "/api/v1/workspaces/acme", map[string]any{"approval_required": false}), 200).decode(t, &ws)
	if ws.ApprovalRequired || len(ws.ApprovalSteps) != 0 {
		t.Fatalf("off %+v", ws)
	}
	must(t, e.do("PATCH", "/api/v1/workspaces/acme", map[string]any{"approval_required": true}), 200).decode(t, &ws)
	if !ws.ApprovalRequired || len(ws.ApprovalSteps) != 1 || ws.ApprovalSteps[0].Name != "approval" || len(ws.ApprovalSteps[0].Roles) != 3 {
		t.Fatalf("approval_required alone %+v", ws)
	}
}

// secondToken makes another admin token: another actor than e.token's.
func (e *env) secondToken() string {
	e.t.Helper()
	secret, _, err := e.db.CreateToken(context.Background(), "second", herald.RoleAdmin)
	if err != nil {
		e.t.Fatal(err)
	}
	return secret
}

type decisionJSON struct {
	Plan      string               `json:"plan"`
	Decision  string               `json:"decision"`
	Posts     []herald.DecidedPost `json:"posts"`
	Scheduled int                  `json:"scheduled"`
}

// Approve and reject through the API: an upload waits, its uploader may not
// approve it, another may; a rejection needs a note; the plan, its report
// and the calendar show where each post stands.
func TestApproveAndRejectRoutes(t *testing.T) {
	e := newEnv(t)
	e.setup("acme")
	must(t, e.do("PATCH", "/api/v1/workspaces/acme", map[string]any{"approval_steps": twoSteps}), 200)
	var res planResult
	must(t, e.do("PUT", "/api/v1/workspaces/acme/plans/p", jsonPlan("one", "two")), 200).decode(t, &res)
	if res.Rows[0].Approval != "required" || res.Rows[1].Approval != "required" {
		t.Fatalf("rows %+v", res.Rows)
	}
	r := must(t, e.do("POST", "/api/v1/workspaces/acme/plans/p/approve", nil), 403)
	if !strings.Contains(r.String(), "you uploaded version 1") {
		t.Errorf("self approval: %s", r.body)
	}
	other := "Bearer " + e.secondToken()
	var d decisionJSON
	must(t, e.doAs(other, "POST", "/api/v1/workspaces/acme/plans/p/approve", map[string]any{"posts": []string{"post-a"}, "note": "ok"}), 200).decode(t, &d)
	if d.Decision != "approved" || len(d.Posts) != 1 || d.Posts[0].Decided != "internal" || d.Posts[0].Step != "client" || d.Posts[0].State != "pending" {
		t.Fatalf("approve %+v", d)
	}
	applied := e.applied.Load()
	must(t, e.doAs(other, "POST", "/api/v1/workspaces/acme/plans/p/approve", map[string]any{"posts": []string{"post-a"}}), 200).decode(t, &d)
	if d.Posts[0].State != "approved" || d.Scheduled != 1 || e.applied.Load() != applied+1 {
		t.Fatalf("last step %+v (scheduler woken %d times)", d, e.applied.Load()-applied)
	}
	must(t, e.doAs(other, "POST", "/api/v1/workspaces/acme/plans/p/reject", map[string]any{"posts": []string{"post-b"}}), 422)
	must(t, e.doAs(other, "POST", "/api/v1/workspaces/acme/plans/p/reject", map[string]any{"posts": []string{"post-b"}, "note": "Too long"}), 200).decode(t, &d)
	if d.Posts[0].State != "rejected" || d.Posts[0].Step != "internal" {
		t.Fatalf("reject %+v", d)
	}
	must(t, e.doAs(other, "POST", "/api/v1/workspaces/acme/plans/p/approve", map[string]any{"posts": []string{"nope"}}), 404)
	must(t, e.doAs(other, "POST", "/api/v1/workspaces/acme/plans/nope/approve", nil), 404)
	must(t, e.doAs(other, "POST", "/api/v1/workspaces/acme/plans/p/approve", map[string]any{"reviewer": "x"}), 400)

	var plan struct {
		Rows []herald.ReportRow `json:"rows"`
	}
	must(t, e.do("GET", "/api/v1/workspaces/acme/plans/p", nil), 200).decode(t, &plan)
	if plan.Rows[0].Approval.State != "approved" || plan.Rows[0].Status != "scheduled" || len(plan.Rows[0].Approval.Decisions) != 2 ||
		plan.Rows[1].Approval.State != "rejected" || plan.Rows[1].Approval.Decisions[0].Note != "Too long" || plan.Rows[1].Status != "pending_approval" {
		t.Fatalf("plan rows %+v", plan.Rows)
	}
	must(t, e.do("GET", "/api/v1/workspaces/acme/plans/p/report", nil), 200).decode(t, &plan)
	if plan.Rows[1].Approval.Decisions[0].By.Kind != "token" {
		t.Errorf("report rows %+v", plan.Rows)
	}
	csv := must(t, e.do("GET", "/api/v1/workspaces/acme/plans/p/report?format=csv", nil), 200).String()
	if !strings.Contains(csv, ",rejected,internal,Too long\n") || !strings.Contains(csv, ",scheduled,,,,0,,one,,approved,,\n") {
		t.Errorf("csv %s", csv)
	}
	cal := e.calendar("acme")
	if len(cal) != 2 || cal[0].Approval.State != "approved" || cal[1].Approval.State != "rejected" {
		t.Errorf("calendar %+v", cal)
	}
	// A text edit resets the rejected post; the answer warns nothing (a year ahead).
	res = planResult{}
	must(t, e.do("PUT", "/api/v1/workspaces/acme/plans/p", jsonPlan("one", "two, shorter")), 200).decode(t, &res)
	if res.Rows[0].Approval != "" || res.Rows[1].Approval != "reset" || res.Rows[1].Action != "updated" {
		t.Fatalf("re-upload rows %+v", res.Rows)
	}
}

type reviewLinkJSON struct {
	ID        int64     `json:"id"`
	Token     string    `json:"token"`
	URL       string    `json:"url"`
	Step      string    `json:"step"`
	State     string    `json:"state"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Review links: made by a member (the token once), listed without tokens,
// revoked; the client reads the plan and decides its step by the link alone.
func TestReviewLinkRoutes(t *testing.T) {
	e := newEnv(t)
	e.setup("acme")
	must(t, e.do("PATCH", "/api/v1/workspaces/acme", map[string]any{"approval_steps": twoSteps}), 200)
	must(t, e.do("PUT", "/api/v1/workspaces/acme/plans/p", jsonPlan("one")), 200)
	links := "/api/v1/workspaces/acme/plans/p/review-links"
	must(t, e.do("POST", links, map[string]any{"step": "nope", "name": "Anna"}), 422)
	must(t, e.do("POST", links, map[string]any{"step": "client", "name": "Anna", "expires_in": "91d"}), 422)
	must(t, e.do("POST", links, map[string]any{"step": "client", "name": "Anna", "expires_in": "soon"}), 400)
	var link reviewLinkJSON
	must(t, e.do("POST", links, map[string]any{"step": "client", "name": "Anna", "expires_in": "7d"}), 201).decode(t, &link)
	if link.ID == 0 || !strings.HasPrefix(link.Token, "hrvw_") || link.URL != e.srv.URL+"/api/v1/review/"+link.Token ||
		link.ExpiresAt.Sub(herald.Now()) < 6*24*time.Hour || link.ExpiresAt.Sub(herald.Now()) > 7*24*time.Hour {
		t.Fatalf("link %+v", link)
	}
	list := must(t, e.do("GET", links, nil), 200)
	if strings.Contains(list.String(), link.Token) || !strings.Contains(list.String(), `"state":"active"`) {
		t.Errorf("list %s", list.body)
	}

	review := "/api/v1/review/" + link.Token
	var page herald.ReviewPage
	must(t, e.doAs("", "GET", review, nil), 200).decode(t, &page)
	if page.Plan != "p" || page.Link.Step != "client" || len(page.Posts) != 1 || page.Posts[0].Deliveries[0].Text != "one" ||
		page.Posts[0].Deliveries[0].Timezone != "UTC" || page.Posts[0].Approval.Step != "internal" {
		t.Fatalf("page %+v", page)
	}
	// The link decides the client's step only; reviewer required.
	must(t, e.doAs("", "POST", review+"/approve", map[string]any{"posts": []string{"post-a"}}), 422)
	r := must(t, e.doAs("", "POST", review+"/approve", map[string]any{"reviewer": "Anna", "posts": []string{"post-a"}}), 403)
	if !strings.Contains(r.String(), `decides step \"client\"`) {
		t.Errorf("step 1 by a step-2 link: %s", r.body)
	}
	must(t, e.doAs("Bearer "+e.secondToken(), "POST", "/api/v1/workspaces/acme/plans/p/approve", nil), 200)
	var d decisionJSON
	must(t, e.doAs("", "POST", review+"/approve", map[string]any{"reviewer": "Anna", "note": "Lovely"}), 200).decode(t, &d)
	if d.Posts[0].State != "approved" || d.Scheduled != 1 {
		t.Fatalf("link approval %+v", d)
	}
	var plan struct {
		Rows []herald.ReportRow `json:"rows"`
	}
	must(t, e.do("GET", "/api/v1/workspaces/acme/plans/p", nil), 200).decode(t, &plan)
	if by := plan.Rows[0].Approval.Decisions[1].By; by.Kind != "review_link" || by.Name != "Anna" {
		t.Errorf("decided by %+v", by)
	}

	// Revoked: 404.
	must(t, e.do("DELETE", links+"/999", nil), 404)
	must(t, e.do("DELETE", links+"/x", nil), 404)
	must(t, e.do("DELETE", links+"/"+strconv.FormatInt(link.ID, 10), nil), 200).decode(t, &link)
	if link.State != "revoked" {
		t.Errorf("revoked %+v", link)
	}
	must(t, e.doAs("", "GET", review, nil), 404)
	must(t, e.doAs("", "POST", review+"/reject", map[string]any{"reviewer": "Anna", "note": "no"}), 404)
}

// A review link's URL is built on the configured public URL (a trailing
// slash or not): a hostile Host header, or a proxy's forwarded scheme and
// host, do not move where a link sent to a client points. Without one, it
// is on the request's own scheme and host.
func TestReviewLinkURL(t *testing.T) {
	// linkURL is the URL of a new link to plan p of a workspace that
	// needs approval, asked for with headers.
	linkURL := func(e *env, headers ...string) (url, token string) {
		e.setup("acme")
		must(t, e.do("PATCH", "/api/v1/workspaces/acme", map[string]any{"approval_required": true}), 200)
		must(t, e.do("PUT", "/api/v1/workspaces/acme/plans/p", jsonPlan("one")), 200)
		var link reviewLinkJSON
		must(t, e.do("POST", "/api/v1/workspaces/acme/plans/p/review-links", map[string]any{"step": "approval", "name": "Anna"},
			headers...), 201).decode(t, &link)
		return link.URL, link.Token
	}
	hostile := []string{"Host: evil.example", "X-Forwarded-Proto: http", "X-Forwarded-Host: evil.example"}
	for _, public := range []string{"https://herald.example.com", "https://herald.example.com/", "https://example.com/herald"} {
		url, token := linkURL(newEnv(t, func(c *api.Config) { c.PublicURL = public }), hostile...)
		if want := strings.TrimSuffix(public, "/") + "/api/v1/review/" + token; url != want {
			t.Errorf("public URL %s: link %q, want %q", public, url, want)
		}
	}
	url, token := linkURL(newEnv(t), "Host: herald.lan:8080")
	if want := "http://herald.lan:8080/api/v1/review/" + token; url != want {
		t.Errorf("no public URL: link %q, want %q", url, want)
	}
}

// Wrong review tokens are throttled per address like wrong bearer tokens.
func TestReviewLinkThrottled(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.AuthFailureBurst, c.AuthFailureEvery = 3, time.Hour })
	e.setup("acme")
	for i := range 3 {
		must(t, e.doAs("", "GET", "/api/v1/review/hrvw_wrong"+strconv.Itoa(i), nil), 404)
	}
	r := must(t, e.doAs("", "GET", "/api/v1/review/hrvw_wrong", nil), 429)
	if r.header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
}
