package api_test

import (
	"encoding/csv"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
)

// The report shows each row's rubric and the text as sent to each channel:
// the platform's variant where the row has one, else its text — in JSON and
// in CSV, where a text a spreadsheet would run as a formula is escaped.
func TestReportTextAndRubric(t *testing.T) {
	e := newEnv(t, pinnedClock)
	e.setup("acme")
	must(t, e.do("POST", "/api/v1/workspaces/acme/channels", map[string]any{"name": "tg", "platform": "telegram"}), 201)
	e.putPlan("/api/v1/workspaces/acme/plans/dec", map[string]any{"timezone": "UTC", "posts": []any{
		map[string]any{"key": "a", "at": "2026-12-01 10:00", "channels": []string{"demo", "tg"}, "rubric": "tips",
			"text": "Hello everyone", "variants": map[string]any{"telegram": map[string]any{"text": "Hello, Telegram"}}},
		map[string]any{"key": "b", "at": "2026-12-02 10:00", "channels": []string{"tg"}, "rubric": "=cmd", "text": "=1+1 is two"},
	}}, 200)

	var rep struct {
		Rows []herald.ReportRow `json:"rows"`
	}
	must(t, e.do("GET", "/api/v1/workspaces/acme/plans/dec/report", nil), 200).decode(t, &rep)
	got := map[string][2]string{}
	for _, r := range rep.Rows {
		got[r.Key+"/"+r.Channel] = [2]string{r.Text, r.Rubric}
	}
	want := map[string][2]string{
		"a/demo": {"Hello everyone", "tips"},
		"a/tg":   {"Hello, Telegram", "tips"},
		"b/tg":   {"=1+1 is two", "=cmd"},
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: text and rubric %q, want %q", k, got[k], w)
		}
	}

	body := must(t, e.do("GET", "/api/v1/workspaces/acme/plans/dec/report?format=csv", nil), 200).String()
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, name := range recs[0] {
		col[name] = i
	}
	csvGot := map[string][2]string{}
	for _, r := range recs[1:] {
		csvGot[r[col["key"]]+"/"+r[col["channel"]]] = [2]string{r[col["text"]], r[col["rubric"]]}
	}
	want["b/tg"] = [2]string{"'=1+1 is two", "'=cmd"}
	for k, w := range want {
		if csvGot[k] != w {
			t.Errorf("CSV %s: text and rubric %q, want %q", k, csvGot[k], w)
		}
	}
}
