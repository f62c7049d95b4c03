package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
)

// auditPage is the answer of GET …/audit.
type auditPage struct {
	Items      []herald.AuditEntry `json:"items"`
	NextCursor string              `json:"next_cursor"`
}

// audit reads every page of path (…/audit?…), oldest entry first, as
// "action target by kind:id {details}" lines.
func (e *env) audit(path string) []string {
	e.t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	var all []herald.AuditEntry
	cursor := ""
	for pages := 0; ; pages++ {
		if pages == 100 {
			e.t.Fatalf("the cursor does not move on: %d pages of %s", pages, path)
		}
		var p auditPage
		q := path
		if cursor != "" {
			q += sep + "cursor=" + cursor
		}
		must(e.t, e.do("GET", q, nil), 200).decode(e.t, &p)
		all = append(all, p.Items...)
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
	}
	var out []string
	for i := len(all) - 1; i >= 0; i-- {
		a := all[i]
		if a.ID == 0 || a.At.IsZero() || a.Details == nil {
			e.t.Errorf("entry without id, at or details: %+v", a)
		}
		d, _ := json.Marshal(a.Details)
		out = append(out, fmt.Sprintf("%s %s by %s:%s %s", a.Action, a.Target, a.Actor.Kind, a.Actor.ID, d))
	}
	return out
}

// tokenActor is how the audit log names the env's token.
func (e *env) tokenActor() string {
	tok, err := e.db.Authenticate(context.Background(), e.token)
	if err != nil {
		e.t.Fatal(err)
	}
	return "token:" + strconv.FormatInt(tok.ID, 10)
}

// Each change made through the API is one entry naming the token that made
// it; a dry run is none; the secret of a credential is nowhere; the
// workspace's entries stay in the instance log after it is deleted.
func TestAuditThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	by := "by " + e.tokenActor()
	e.setup("acme")
	must(t, e.do("PATCH", "/api/v1/workspaces/acme", map[string]any{"name": "Acme Coffee", "timezone": "UTC"}), 200)
	const secret = "SECRET-BOT-TOKEN-91"
	must(t, e.do("POST", "/api/v1/workspaces/acme/channels", map[string]any{
		"name": "tg", "platform": "telegram", "credentials": map[string]string{"bot_token": secret + "a"}}), 201)
	must(t, e.do("PATCH", "/api/v1/workspaces/acme/channels/tg", map[string]any{"credentials": map[string]string{"bot_token": secret + "b"}}), 200)
	must(t, e.do("PATCH", "/api/v1/workspaces/acme/channels/tg", map[string]any{"timezone": "Europe/Berlin"}), 200)
	e.putPlan("/api/v1/workspaces/acme/plans/p?dry_run=true", jsonPlan("hello", "world"), 200)
	e.putPlan("/api/v1/workspaces/acme/plans/p", jsonPlan("hello", "world"), 200)
	first := e.failFirstDelivery("HTTP 400")
	must(t, e.do("POST", fmt.Sprintf("/api/v1/workspaces/acme/deliveries/%d/retry", first), nil), 200)
	if again := e.finishFirstDelivery(herald.Result{Outcome: herald.OutcomeUnknown, Reason: "no answer"}); again != first {
		t.Fatalf("claimed %d, want the retried %d", again, first)
	}
	must(t, e.do("POST", fmt.Sprintf("/api/v1/workspaces/acme/deliveries/%d/resolve", first),
		map[string]any{"remote_id": "7", "url": "https://t.me/brand/7"}), 200)
	second := e.report("acme", "p").Rows[1].DeliveryID
	must(t, e.do("POST", fmt.Sprintf("/api/v1/workspaces/acme/deliveries/%d/cancel", second), nil), 200)
	must(t, e.do("DELETE", "/api/v1/workspaces/acme/plans/p", nil), 200)
	must(t, e.do("DELETE", "/api/v1/workspaces/acme/channels/tg", nil), 204)

	lines := []string{
		`workspace.created workspace acme ` + by + ` {"name":"Brand acme","timezone":"UTC"}`,
		`channel.created channel demo ` + by + ` {"credentials":[],"platform":"outbox"}`,
		`workspace.changed workspace acme ` + by + ` {"fields":["name"]}`,
		`channel.created channel tg ` + by + ` {"credentials":["bot_token"],"platform":"telegram"}`,
		`channel.credentials_changed channel tg ` + by + ` {"keys":["bot_token"]}`,
		`channel.changed channel tg ` + by + ` {"fields":["timezone"]}`,
		`plan.applied plan p ` + by + ` {"cancelled":0,"conflicts":0,"created":2,"unchanged":0,"updated":0}`,
		fmt.Sprintf(`delivery.retried delivery %d %s {"channel":"demo","from":"failed","plan":"p","post":"post-a"}`, first, by),
		fmt.Sprintf(`delivery.resolved delivery %d %s {"remote_id":"7","url":"https://t.me/brand/7"}`, first, by),
		fmt.Sprintf(`delivery.cancelled delivery %d %s {"channel":"demo","from":"scheduled","plan":"p","post":"post-b"}`, second, by),
		`plan.deleted plan p ` + by + ` {"cancelled":0}`,
		`channel.deleted channel tg ` + by + ` {"cancelled":0}`,
	}
	wantAudit(t, e.audit("/api/v1/workspaces/acme/audit"), lines...)

	r := must(t, e.do("GET", "/api/v1/workspaces/acme/audit", nil), 200)
	if strings.Contains(r.String(), secret) {
		t.Errorf("a credential's secret in the audit log: %s", r)
	}
	if !strings.Contains(r.String(), `"actor":{"kind":"token","id":"`) || !strings.Contains(r.String(), `"name":"test"`) {
		t.Errorf("entries name the token: %s", r)
	}

	must(t, e.do("DELETE", "/api/v1/workspaces/acme", nil), 204)
	must(t, e.do("GET", "/api/v1/workspaces/acme/audit", nil), 404)
	all := e.audit("/api/v1/audit?limit=5")
	if len(all) != len(lines)+2 || !strings.HasPrefix(all[0], "token.created ") ||
		all[len(all)-1] != `workspace.deleted workspace acme `+by+` {"name":"Acme Coffee"}` {
		t.Errorf("instance log:\n%s", strings.Join(all, "\n"))
	}
	wantAudit(t, all[1:len(all)-1], lines...)
}

func wantAudit(t *testing.T, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// Pages follow next_cursor, newest first; actor and action filter; bad
// values are 400 saying what is allowed; no route changes the log.
func TestAuditPagesFiltersAndBadValues(t *testing.T) {
	e := newEnv(t)
	e.setup("acme")
	e.setup("other")
	for i := range 4 {
		e.putPlan("/api/v1/workspaces/acme/plans/p", jsonPlan(strings.Repeat("x", i+1)), 200)
	}
	const path = "/api/v1/workspaces/acme/audit"
	var p auditPage
	must(t, e.do("GET", path+"?limit=2", nil), 200).decode(t, &p)
	if len(p.Items) != 2 || p.NextCursor != strconv.FormatInt(p.Items[1].ID, 10) || p.Items[0].ID <= p.Items[1].ID {
		t.Fatalf("first page: %+v", p)
	}
	paged, whole := e.audit(path+"?limit=2"), e.audit(path)
	if len(whole) != 6 || strings.Join(paged, "\n") != strings.Join(whole, "\n") {
		t.Errorf("pages of 2:\n%s\none page:\n%s", strings.Join(paged, "\n"), strings.Join(whole, "\n"))
	}
	must(t, e.do("GET", path+"?limit=1000", nil), 200) // at most 500

	count := func(q string) int { return len(e.audit(path + "?limit=2&" + q)) }
	for q, want := range map[string]int{
		"action=plan.applied":          4,
		"action=plan.":                 4,
		"action=channel.":              1,
		"action=workspace.created":     1,
		"actor=" + e.tokenActor():      6,
		"actor=token":                  6,
		"actor=token:999":              0,
		"actor=system":                 0,
		"actor=token&action=channel.":  1,
		"action=plan.deleted":          0,
		"actor=system:scheduler:node1": 0,
	} {
		if got := count(q); got != want {
			t.Errorf("%s: %d entries, want %d", q, got, want)
		}
	}
	if got := len(e.audit("/api/v1/workspaces/other/audit")); got != 2 {
		t.Errorf("other's log holds %d entries, want its 2", got)
	}
	if got := len(e.audit("/api/v1/audit?action=workspace.created")); got != 2 {
		t.Errorf("the instance log holds %d workspace creations, want 2", got)
	}

	for q, says := range map[string]string{
		"limit=0":      "limit must be an integer from 1 to 500",
		"limit=ten":    "limit must be an integer from 1 to 500",
		"cursor=abc":   "next_cursor",
		"cursor=-3":    "next_cursor",
		"actor=robot":  "user, token, review_link, system",
		"actor=:3":     "kind:id",
		"action=plan":  "plan.applied",
		"action=nope.": "ending in",
		"action=PLAN.": "ending in",
	} {
		for _, base := range []string{path, "/api/v1/audit"} {
			r := must(t, e.do("GET", base+"?"+q, nil), 400)
			if r.errorCode(t) != herald.EINVALID || !strings.Contains(r.String(), says) {
				t.Errorf("%s?%s: %s, want it to say %q", base, q, r, says)
			}
		}
	}
	for _, m := range []string{"POST", "PUT", "PATCH", "DELETE"} {
		for _, base := range []string{path, "/api/v1/audit"} {
			must(t, e.do(m, base, `{}`, "Content-Type: application/json"), 405)
		}
	}
	if got := len(e.audit(path)); got != 6 {
		t.Errorf("%d entries after the refused writes, want 6", got)
	}
}
