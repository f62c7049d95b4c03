package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// finishFirstDelivery claims acme's earliest delivery as the scheduler would
// and records res for it; it returns the delivery id.
func (e *env) finishFirstDelivery(res herald.Result) int64 {
	e.t.Helper()
	rows := e.report("acme", "p").Rows
	if len(rows) == 0 {
		e.t.Fatal("no deliveries")
	}
	ctx := context.Background()
	now := rows[0].DueAt.Add(time.Second)
	jobs, err := e.db.ClaimDue(ctx, "test-owner", now, time.Minute, 1)
	if err != nil || len(jobs) != 1 {
		e.t.Fatalf("claim: %v, %d jobs", err, len(jobs))
	}
	if err := e.db.Complete(ctx, "test-owner", jobs[0], res, now.Add(time.Second), time.Time{}); err != nil {
		e.t.Fatalf("complete: %v", err)
	}
	return jobs[0].Delivery.ID
}

// A person resolves an unknown delivery as published with what they found
// on the platform; other statuses, another workspace and a missing id are refused.
func TestDeliveryResolve(t *testing.T) {
	e := newEnv(t)
	e.setup("acme")
	e.setup("other")
	e.putPlan("/api/v1/workspaces/acme/plans/p", jsonPlan("hello"), 200)
	id := e.finishFirstDelivery(herald.Result{Outcome: herald.OutcomeUnknown, Reason: "no answer"})
	path := fmt.Sprintf("/api/v1/workspaces/acme/deliveries/%d/resolve", id)

	must(t, e.do("POST", path, map[string]any{"url": "https://t.me/brand/7"}), 422)
	if r := e.do("POST", fmt.Sprintf("/api/v1/workspaces/other/deliveries/%d/resolve", id), map[string]any{"remote_id": "7"}); r.status != 404 {
		t.Errorf("other workspace: %d %s", r.status, r.body)
	}
	var d struct {
		Status   herald.DeliveryStatus `json:"status"`
		RemoteID string                `json:"remote_id"`
		URL      string                `json:"url"`
	}
	must(t, e.do("POST", path, map[string]any{"remote_id": "7", "url": "https://t.me/brand/7"}), 200).decode(t, &d)
	if d.Status != herald.StatusPublished || d.RemoteID != "7" || d.URL != "https://t.me/brand/7" {
		t.Errorf("resolved: %+v", d)
	}
	if r := e.do("POST", path, map[string]any{"remote_id": "7"}); r.status != 409 {
		t.Errorf("resolving a published delivery: %d %s", r.status, r.body)
	}
}

// failFirstDelivery claims acme's earliest delivery as the scheduler would
// and records a permanent failure with reason; it returns the delivery id.
func (e *env) failFirstDelivery(reason string) int64 {
	e.t.Helper()
	return e.finishFirstDelivery(herald.Result{Outcome: herald.OutcomeFailed, Reason: reason, Request: "req", Response: "resp"})
}

type deliveryJSON struct {
	ID           int64                  `json:"id"`
	Workspace    string                 `json:"workspace"`
	Status       herald.DeliveryStatus  `json:"status"`
	AttemptCount int                    `json:"attempt_count"`
	Error        string                 `json:"error"`
	Attempts     []herald.Attempt       `json:"attempts"`
	Events       []herald.DeliveryEvent `json:"events"`
}

func TestDeliveryGetRetryCancel(t *testing.T) {
	e := newEnv(t)
	e.setup("acme")
	e.setup("other")
	e.putPlan("/api/v1/workspaces/acme/plans/p", jsonPlan("hello"), 200)
	id := e.failFirstDelivery("chat not found")
	path := fmt.Sprintf("/api/v1/workspaces/acme/deliveries/%d", id)

	var d deliveryJSON
	must(t, e.do("GET", path, nil), 200).decode(t, &d)
	if d.ID != id || d.Workspace != "acme" || d.Status != herald.StatusFailed || d.AttemptCount != 1 || d.Error != "chat not found" {
		t.Errorf("delivery: %+v", d)
	}
	if len(d.Attempts) != 1 || d.Attempts[0].Number != 1 || d.Attempts[0].Outcome != herald.OutcomeFailed {
		t.Errorf("attempts: %+v", d.Attempts)
	}

	// Another workspace's delivery does not exist there.
	other := fmt.Sprintf("/api/v1/workspaces/other/deliveries/%d", id)
	for _, r := range []resp{e.do("GET", other, nil), e.do("POST", other+"/retry", nil), e.do("POST", other+"/cancel", nil)} {
		if r.status != 404 || r.errorCode(t) != "not_found" {
			t.Errorf("other workspace: %d %s", r.status, r.body)
		}
	}
	must(t, e.do("GET", "/api/v1/workspaces/acme/deliveries/abc", nil), 404)
	must(t, e.do("GET", "/api/v1/workspaces/acme/deliveries/999999", nil), 404)
	must(t, e.do("GET", fmt.Sprintf("/api/v1/workspaces/nope/deliveries/%d", id), nil), 404)

	applied := e.applied.Load()
	must(t, e.do("POST", path+"/retry", nil), 200).decode(t, &d)
	if d.Status != herald.StatusScheduled {
		t.Errorf("retry: %+v", d)
	}
	if e.applied.Load() != applied+1 {
		t.Errorf("retry did not wake the scheduler")
	}
	r := must(t, e.do("POST", path+"/retry", nil), 409) // already scheduled
	if r.errorCode(t) != "conflict" {
		t.Errorf("%s", r.body)
	}
	must(t, e.do("POST", path+"/cancel", nil), 200).decode(t, &d)
	if d.Status != herald.StatusCancelled {
		t.Errorf("cancel: %+v", d)
	}
	must(t, e.do("POST", path+"/cancel", nil), 409)
	must(t, e.do("POST", path+"/retry", nil), 200) // cancelled → scheduled

	// Its status changes, oldest first, with who made them: the plan upload
	// and the retries and cancel were the token's.
	must(t, e.do("GET", path, nil), 200).decode(t, &d)
	var got []string
	for _, ev := range d.Events {
		got = append(got, fmt.Sprintf("%s>%s", ev.From, ev.To))
		if ev.To != herald.StatusPublishing && ev.To != herald.StatusFailed && !strings.HasPrefix(ev.Actor, "token:") {
			t.Errorf("event %+v should be the token's", ev)
		}
	}
	want := ">scheduled scheduled>publishing publishing>failed failed>scheduled scheduled>cancelled cancelled>scheduled"
	if strings.Join(got, " ") != want {
		t.Errorf("events %v, want %s", got, want)
	}
}

func TestReportCSVEndToEnd(t *testing.T) {
	e := newEnv(t)
	e.setup("acme")
	e.putPlan("/api/v1/workspaces/acme/plans/p", jsonPlan("hello"), 200)
	e.failFirstDelivery("=HYPERLINK(\"http://evil\")")

	r := must(t, e.do("GET", "/api/v1/workspaces/acme/plans/p/report?format=csv", nil), 200)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("content type %q", ct)
	}
	if cd := r.header.Get("Content-Disposition"); cd != `attachment; filename="p-report.csv"` {
		t.Errorf("content disposition %q", cd)
	}
	lines := strings.Split(strings.TrimSpace(r.String()), "\n")
	if len(lines) != 2 || lines[0] != "key,row,channel,platform,due_at,status,remote_id,url,published_at,attempts,error,text,rubric,approval,approval_step,approval_note" {
		t.Fatalf("csv:\n%s", r.body)
	}
	due := future + "T10:00:00Z"
	want := `post-a,1,demo,outbox,` + due + `,failed,,,,1,"'=HYPERLINK(""http://evil"")",hello,,none,,`
	if lines[1] != want {
		t.Errorf("row\n%s\nwant\n%s", lines[1], want)
	}
	must(t, e.do("GET", "/api/v1/workspaces/acme/plans/p/report?format=xml", nil), 400)
}

func TestCalendar(t *testing.T) {
	e := newEnv(t)
	e.setup("acme")
	e.putPlan("/api/v1/workspaces/acme/plans/p", jsonPlan("one", "two", "three"), 200)
	type calPage struct {
		Items      []herald.CalendarEntry `json:"items"`
		NextCursor string                 `json:"next_cursor"`
	}
	var texts []string
	cursor := ""
	for i := 0; ; i++ {
		if i > 3 {
			t.Fatal("pagination does not end")
		}
		var p calPage
		must(t, e.do("GET", "/api/v1/workspaces/acme/posts?limit=2&status=scheduled&channel=demo&cursor="+cursor, nil), 200).decode(t, &p)
		for _, it := range p.Items {
			texts = append(texts, it.Text)
		}
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
	}
	if strings.Join(texts, ",") != "one,two,three" {
		t.Errorf("calendar gave %v", texts)
	}
	var p calPage
	must(t, e.do("GET", "/api/v1/workspaces/acme/posts?from="+future+"T10:30:00Z&to="+future+"T11:30:00Z", nil), 200).decode(t, &p)
	if len(p.Items) != 1 || p.Items[0].Text != "two" {
		t.Errorf("from/to: %+v", p.Items)
	}
	for _, q := range []string{"status=bogus", "from=yesterday", "to=2026-13-01", "cursor=%21%21", "limit=-1"} {
		r := must(t, e.do("GET", "/api/v1/workspaces/acme/posts?"+q, nil), 400)
		if r.errorCode(t) != "invalid" {
			t.Errorf("%s: %s", q, r.body)
		}
	}
	must(t, e.do("GET", "/api/v1/workspaces/nope/posts", nil), 404)
}
