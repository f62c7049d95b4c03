package api_test

import (
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/api"
)

type reportJSON struct {
	Plan string             `json:"plan"`
	Rows []herald.ReportRow `json:"rows"`
}

func (e *env) report(ws, key string) reportJSON {
	e.t.Helper()
	var rep reportJSON
	must(e.t, e.do("GET", "/api/v1/workspaces/"+ws+"/plans/"+key+"/report", nil), 200).decode(e.t, &rep)
	return rep
}

func (e *env) putPlan(path string, body any, status int, headers ...string) planResult {
	e.t.Helper()
	var res planResult
	must(e.t, e.do("PUT", path, body, headers...), status).decode(e.t, &res)
	return res
}

func TestPlanJSONApplyDiffAndDryRun(t *testing.T) {
	e := newEnv(t)
	e.setup("acme")
	const path = "/api/v1/workspaces/acme/plans/2026-12"

	res := e.putPlan(path, jsonPlan("first", "second"), 200)
	if res.Plan != "2026-12" || res.Created != 2 || len(res.Rows) != 2 || res.DryRun || res.Warnings == nil {
		t.Fatalf("first apply: %+v", res)
	}
	if e.applied.Load() != 1 {
		t.Errorf("OnPlanApplied called %d times", e.applied.Load())
	}
	res = e.putPlan(path, jsonPlan("first", "second"), 200)
	if res.Unchanged != 2 || res.Created+res.Updated+res.Cancelled+res.Conflicts != 0 {
		t.Fatalf("re-apply: %+v", res)
	}

	// Edit post-a, drop post-b, add post-c: first as a dry run.
	edited := jsonPlan("first, edited", "second", "third")
	edited["posts"] = append(edited["posts"].([]map[string]any)[:1], edited["posts"].([]map[string]any)[2])
	before := e.report("acme", "2026-12")
	applied := e.applied.Load()
	dry := e.putPlan(path+"?dry_run=true", edited, 200)
	if !dry.DryRun || dry.Updated != 1 || dry.Cancelled != 1 || dry.Created != 1 {
		t.Fatalf("dry run: %+v", dry)
	}
	if after := e.report("acme", "2026-12"); !reflect.DeepEqual(before, after) {
		t.Errorf("dry run changed the plan:\nbefore %+v\nafter  %+v", before, after)
	}
	if e.applied.Load() != applied {
		t.Errorf("dry run woke the scheduler")
	}

	applyRes := e.putPlan(path, edited, 200)
	dry.DryRun = false
	if !reflect.DeepEqual(dry, applyRes) {
		t.Errorf("dry run and apply differ:\ndry  %+v\nreal %+v", dry, applyRes)
	}
	statuses := map[string]herald.DeliveryStatus{}
	for _, r := range e.report("acme", "2026-12").Rows {
		statuses[r.Key] = r.Status
	}
	if statuses["post-b"] != "" && statuses["post-b"] != herald.StatusCancelled || statuses["post-c"] != herald.StatusScheduled {
		t.Errorf("after apply: %v", statuses)
	}
}

func TestPlanCSV(t *testing.T) {
	e := newEnv(t)
	e.setup("acme")
	csv := "key,date,time,channels,text\n" +
		"c1," + future + ",10:00,demo,Hello\n" +
		"c2," + future + ",11:00,demo,\"Second, with a comma\"\n"
	const path = "/api/v1/workspaces/acme/plans/csv-plan"
	res := e.putPlan(path, csv, 200, "Content-Type: text/csv; charset=utf-8")
	if res.Created != 2 || res.Rows[0].Row != 2 || res.Rows[1].Row != 3 {
		t.Fatalf("csv apply: %+v", res)
	}
	res = e.putPlan(path, csv, 200, "Content-Type: application/csv")
	if res.Unchanged != 2 {
		t.Fatalf("csv re-apply: %+v", res)
	}

	// Without a key column the API says which keys it derived.
	nokey := "date,time,channels,text\n" + future + ",10:00,demo,Hello\n"
	res = e.putPlan("/api/v1/workspaces/acme/plans/nokey", nokey, 200, "Content-Type: text/csv")
	var derived []herald.Problem
	for _, w := range res.Warnings {
		if w.Code == "derived_key" {
			derived = append(derived, w)
		}
	}
	if len(derived) != 1 || derived[0].Row != 2 || !strings.Contains(derived[0].Message, res.Rows[0].Key) {
		t.Errorf("derived key warning: %+v (rows %+v)", res.Warnings, res.Rows)
	}
}

func TestPlanValidationListsEveryProblem(t *testing.T) {
	e := newEnv(t)
	e.setup("acme")
	plan := map[string]any{"timezone": "UTC", "posts": []map[string]any{
		{"key": "a", "at": future + " 10:00", "channels": []string{"nope"}, "text": "hi"},
		{"key": "b", "at": future + " 11:00", "channels": []string{"demo"}, "text": ""},
		{"key": "c", "at": "not a time", "channels": []string{"demo"}, "text": "hi"},
	}}
	r := must(t, e.do("PUT", "/api/v1/workspaces/acme/plans/bad", plan), 422)
	var env struct {
		Error struct {
			Code    string           `json:"code"`
			Details []herald.Problem `json:"details"`
		} `json:"error"`
	}
	r.decode(t, &env)
	rows := map[int]bool{}
	for _, p := range env.Error.Details {
		rows[p.Row] = true
		if p.Code == "" || p.Message == "" {
			t.Errorf("incomplete problem %+v", p)
		}
	}
	if env.Error.Code != "validation" || !rows[1] || !rows[2] || !rows[3] {
		t.Errorf("want problems on rows 1, 2 and 3: %s", r.body)
	}
	must(t, e.do("GET", "/api/v1/workspaces/acme/plans/bad", nil), 404)
	if e.applied.Load() != 0 {
		t.Errorf("invalid plan woke the scheduler")
	}
}

// unsized hides a reader's length so the client streams it chunked.
type unsized struct{ io.Reader }

func TestBodyTooLarge(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.MaxBodyBytes = 1024 })
	e.setup("acme")
	big := "key,date,time,channels,text\n" + strings.Repeat("x", 2000)
	for name, body := range map[string]any{"declared length": big, "streamed": unsized{strings.NewReader(big)}} {
		r := must(t, e.do("PUT", "/api/v1/workspaces/acme/plans/big", body, "Content-Type: text/csv"), 413)
		if r.errorCode(t) != "too_large" {
			t.Errorf("%s: %s", name, r.body)
		}
	}
	r := must(t, e.do("POST", "/api/v1/workspaces", unsized{strings.NewReader(`{"slug":"x","name":"` + strings.Repeat("x", 2000) + `"}`)}), 413)
	if r.errorCode(t) != "too_large" {
		t.Errorf("json body: %s", r.body)
	}
}

func TestPlanRequestErrors(t *testing.T) {
	e := newEnv(t)
	e.setup("acme")
	body := "key,date,time,channels,text\n"
	cases := []struct {
		name, path, contentType string
		status                  int
		code                    string
	}{
		{"text/plain", "/api/v1/workspaces/acme/plans/p", "text/plain", 415, "unsupported"},
		{"xml", "/api/v1/workspaces/acme/plans/p", "application/xml", 415, "unsupported"},
		{"bad key", "/api/v1/workspaces/acme/plans/-p", "text/csv", 400, "invalid"},
		{"long key", "/api/v1/workspaces/acme/plans/" + strings.Repeat("k", 129), "text/csv", 400, "invalid"},
		{"bad dry_run", "/api/v1/workspaces/acme/plans/p?dry_run=maybe", "text/csv", 400, "invalid"},
		{"bad timezone", "/api/v1/workspaces/acme/plans/p?timezone=Mars/Base", "text/csv", 400, "invalid"},
		{"unknown workspace", "/api/v1/workspaces/nope/plans/p", "text/csv", 404, "not_found"},
		{"huge query", "/api/v1/workspaces/acme/plans/p?channels=" + strings.Repeat("c,", 10_000), "text/csv", 400, "invalid"},
	}
	for _, c := range cases {
		var hs []string
		if c.contentType != "" {
			hs = append(hs, "Content-Type: "+c.contentType)
		}
		r := e.do("PUT", c.path, body, hs...)
		if r.status != c.status || r.errorCode(t) != c.code {
			t.Errorf("%s: %d %s, want %d %s", c.name, r.status, r.body, c.status, c.code)
		}
	}
}

func TestPlanListGetDelete(t *testing.T) {
	e := newEnv(t)
	e.setup("acme")
	e.putPlan("/api/v1/workspaces/acme/plans/p1", jsonPlan("a", "b"), 200)
	e.putPlan("/api/v1/workspaces/acme/plans/p2", jsonPlan("c"), 200)

	var list struct {
		Items      []herald.PlanSummary `json:"items"`
		NextCursor string               `json:"next_cursor"`
	}
	must(t, e.do("GET", "/api/v1/workspaces/acme/plans?limit=1", nil), 200).decode(t, &list)
	if len(list.Items) != 1 || list.Items[0].Key != "p1" || list.NextCursor != "p1" {
		t.Fatalf("page 1: %+v", list)
	}
	if list.Items[0].Statuses[herald.StatusScheduled] != 2 {
		t.Errorf("statuses: %+v", list.Items[0])
	}
	list.Items, list.NextCursor = nil, ""
	must(t, e.do("GET", "/api/v1/workspaces/acme/plans?limit=1&cursor=p1", nil), 200).decode(t, &list)
	if len(list.Items) != 1 || list.Items[0].Key != "p2" || list.NextCursor != "" {
		t.Fatalf("page 2: %+v", list)
	}

	var got struct {
		Plan herald.Plan        `json:"plan"`
		Rows []herald.ReportRow `json:"rows"`
	}
	must(t, e.do("GET", "/api/v1/workspaces/acme/plans/p1", nil), 200).decode(t, &got)
	if got.Plan.Key != "p1" || len(got.Rows) != 2 || got.Rows[0].Channel != "demo" {
		t.Errorf("get: %+v", got)
	}
	must(t, e.do("GET", "/api/v1/workspaces/acme/plans/nope", nil), 404)
	must(t, e.do("GET", "/api/v1/workspaces/acme/plans/nope/report", nil), 404)

	var del struct{ Cancelled int }
	must(t, e.do("DELETE", "/api/v1/workspaces/acme/plans/p1", nil), 200).decode(t, &del)
	if del.Cancelled != 2 {
		t.Errorf("delete cancelled %d", del.Cancelled)
	}
}

// TestPlanCSVBadPlanOne422: every kind of bad row the core issue names
// comes back in one 422, each problem on its row (the header is row 1).
func TestPlanCSVBadPlanOne422(t *testing.T) {
	e := newEnv(t)
	e.setup("acme")
	must(t, e.do("POST", "/api/v1/workspaces/acme/channels", map[string]any{"name": "tg", "platform": "telegram",
		"config": map[string]any{"chat_id": "@brand", "base_url": "https://api.telegram.org"}, "credentials": map[string]string{"bot_token": "123:ABC"}}), 201)
	body := "key,date,time,channels,text\n" +
		"a," + future + ",10:00,nope,hi\n" + // 2: unknown channel
		"b," + future + ",11:00,demo,\n" + // 3: empty text
		"c," + future + ",12:00,tg," + strings.Repeat("я", 4097) + "\n" + // 4: too long for Telegram
		"d,2027-03-28,02:30,demo,gap\n" + // 5: DST gap in Berlin
		"e," + future + ",13:00,demo,caf\xe9\n" + // 6: invalid UTF-8
		"a," + future + ",14:00,demo,again\n" + // 7: duplicate key
		"f," + future + ",15:00,demo,\"never closed\n" // 8: unbalanced quote
	r := must(t, e.do("PUT", "/api/v1/workspaces/acme/plans/bad?timezone=Europe/Berlin", body, "Content-Type: text/csv"), 422)
	var env struct {
		Error struct {
			Code    string           `json:"code"`
			Details []herald.Problem `json:"details"`
		} `json:"error"`
	}
	r.decode(t, &env)
	want := map[int]string{2: "unknown_channel", 3: "required", 4: "too_long", 5: "nonexistent_time", 6: "invalid_utf8", 7: "duplicate_key", 8: "malformed_csv"}
	for row, code := range want {
		found := false
		for _, p := range env.Error.Details {
			found = found || p.Row == row && p.Code == code
		}
		if !found {
			t.Errorf("no %s on row %d: %s", code, row, r.body)
		}
	}
	if env.Error.Code != "validation" || e.applied.Load() != 0 {
		t.Errorf("code %q, applied %d", env.Error.Code, e.applied.Load())
	}
}

// A deleted plan stays readable, listed as deleted, and its published row
// stays in its report; uploading it again revives it without publishing
// that row again.
func TestDeletedPlanStaysReadable(t *testing.T) {
	e := newEnv(t)
	e.setup("acme")
	e.putPlan("/api/v1/workspaces/acme/plans/p", jsonPlan("hello", "world"), 200)
	e.finishFirstDelivery(herald.Result{Outcome: herald.OutcomePublished, RemoteID: "42", URL: "https://x/42"})
	var del struct{ Cancelled int }
	must(t, e.do("DELETE", "/api/v1/workspaces/acme/plans/p", nil), 200).decode(t, &del)
	if del.Cancelled != 1 {
		t.Fatalf("delete cancelled %d, want 1", del.Cancelled)
	}

	var got struct {
		Plan herald.Plan        `json:"plan"`
		Rows []herald.ReportRow `json:"rows"`
	}
	must(t, e.do("GET", "/api/v1/workspaces/acme/plans/p", nil), 200).decode(t, &got)
	if got.Plan.DeletedAt == nil || len(got.Rows) != 2 {
		t.Fatalf("get a deleted plan: %+v", got)
	}
	var rep struct {
		DeletedAt *string            `json:"deleted_at"`
		Rows      []herald.ReportRow `json:"rows"`
	}
	must(t, e.do("GET", "/api/v1/workspaces/acme/plans/p/report", nil), 200).decode(t, &rep)
	if rep.DeletedAt == nil || len(rep.Rows) != 2 || rep.Rows[0].Status != herald.StatusPublished || rep.Rows[0].RemoteID != "42" ||
		rep.Rows[1].Status != herald.StatusCancelled {
		t.Fatalf("report of a deleted plan: %+v", rep)
	}
	if csv := must(t, e.do("GET", "/api/v1/workspaces/acme/plans/p/report?format=csv", nil), 200).String(); !strings.Contains(csv, ",published,42,https://x/42,") {
		t.Errorf("CSV report of a deleted plan:\n%s", csv)
	}
	var list struct {
		Items []herald.PlanSummary `json:"items"`
	}
	must(t, e.do("GET", "/api/v1/workspaces/acme/plans", nil), 200).decode(t, &list)
	if len(list.Items) != 1 || list.Items[0].DeletedAt == nil || list.Items[0].Posts != 2 {
		t.Fatalf("list: %+v", list.Items)
	}
	must(t, e.do("DELETE", "/api/v1/workspaces/acme/plans/p", nil), 200) // already deleted: nothing to do

	res := e.putPlan("/api/v1/workspaces/acme/plans/p", jsonPlan("hello", "world"), 200)
	if res.Unchanged != 2 || res.Created != 0 {
		t.Fatalf("re-upload: %+v", res)
	}
	rep.DeletedAt = nil
	must(t, e.do("GET", "/api/v1/workspaces/acme/plans/p/report", nil), 200).decode(t, &rep)
	if rep.DeletedAt != nil || rep.Rows[0].Status != herald.StatusPublished || rep.Rows[0].Attempts != 1 || rep.Rows[1].Status != herald.StatusScheduled {
		t.Errorf("revived report: %+v", rep)
	}
}

// A cancelled row of the apply answer is no longer in the file: "row" is 0
// and "was_row" says where it stood, so it never shares a row number with a
// row of the new file.
func TestCancelledRowWasRow(t *testing.T) {
	e := newEnv(t)
	e.setup("acme")
	e.putPlan("/api/v1/workspaces/acme/plans/p", jsonPlan("one", "two"), 200)
	next := jsonPlan("one", "two", "three")
	posts := next["posts"].([]map[string]any)
	next["posts"] = []map[string]any{posts[0], posts[2]} // post-b (post #2) removed; post-c is post #2 now
	r := must(t, e.do("PUT", "/api/v1/workspaces/acme/plans/p", next), 200)
	var res planResult
	r.decode(t, &res)
	rows := map[string]herald.RowResult{}
	for _, row := range res.Rows {
		rows[row.Key] = row
	}
	if c, b := rows["post-c"], rows["post-b"]; c.Row != 2 || c.WasRow != 0 || b.Action != "cancelled" || b.Row != 0 || b.WasRow != 2 {
		t.Fatalf("rows %+v", res.Rows)
	}
	if !strings.Contains(r.String(), `{"key":"post-b","row":0,"was_row":2,"action":"cancelled"`) {
		t.Errorf("answer: %s", r.body)
	}
}
