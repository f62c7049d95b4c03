package api_test

import (
	"os"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/api"
)

// newFormatsEnv is a workspace acme on the pinned clock (pinnedClock:
// before every post of the test files, whatever the real date).
func newFormatsEnv(t *testing.T) *env {
	e := newEnv(t, pinnedClock)
	e.setup("acme")
	return e
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../content-plans/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// calendar is the workspace's posts by due time.
func (e *env) calendar(ws string) []herald.CalendarEntry {
	e.t.Helper()
	var page struct {
		Items []herald.CalendarEntry `json:"items"`
	}
	must(e.t, e.do("GET", "/api/v1/workspaces/"+ws+"/posts?limit=200", nil), 200).decode(e.t, &page)
	return page.Items
}

func warningCodes(ws []herald.Problem) string {
	var codes []string
	for _, w := range ws {
		codes = append(codes, w.Code)
	}
	return strings.Join(codes, ",")
}

// problems decodes a 422's details.
func problems(t *testing.T, r resp) []herald.Problem {
	t.Helper()
	var env api.Envelope
	r.decode(t, &env)
	return env.Error.Details
}

// TestPlanCSVWindows1251: a CSV saved by Russian Excel (Windows-1251,
// made with iconv) applies with its Cyrillic intact and a warning; a named
// charset= or ?encoding= is used with no warning; a file that reads in no
// encoding is a 422 telling how to save it as CSV UTF-8.
func TestPlanCSVWindows1251(t *testing.T) {
	e := newFormatsEnv(t)
	body := readTestdata(t, "cp1251.csv")
	res := e.putPlan("/api/v1/workspaces/acme/plans/ru", body, 200, "Content-Type: text/csv")
	if res.Created != 3 || warningCodes(res.Warnings) != "encoding_detected" || !strings.Contains(res.Warnings[0].Message, "CSV UTF-8") {
		t.Fatalf("detected: %+v", res)
	}
	texts := map[string]string{}
	for _, p := range e.calendar("acme") {
		texts[p.Key] = p.Text
	}
	if texts["dec-01-kofe"] != "Доброе утро! Кофе дня — «Эфиопия Иргачефф», №1 в декабре." || texts["dec-02-elka"] != "Ёлка в кофейне: приходите всей семьёй.\nГорячий шоколад — в подарок детям." {
		t.Errorf("stored texts: %q", texts)
	}
	for _, c := range []struct{ query, contentType string }{
		{"", "text/csv; charset=windows-1251"},
		{"?encoding=cp1251", "text/csv"},
		{"?encoding=windows-1251", "text/csv; charset=utf-8"}, // ?encoding= over charset=
	} {
		res = e.putPlan("/api/v1/workspaces/acme/plans/ru"+c.query, body, 200, "Content-Type: "+c.contentType)
		if res.Unchanged != 3 || len(res.Warnings) != 0 {
			t.Errorf("%s %s: %+v", c.contentType, c.query, res)
		}
	}

	r := must(t, e.do("PUT", "/api/v1/workspaces/acme/plans/ru", body, "Content-Type: text/csv; charset=utf-8"), 422)
	if ps := problems(t, r); len(ps) == 0 || ps[0].Code != "invalid_encoding" || !strings.Contains(ps[0].Message, "?encoding=windows-1251") {
		t.Errorf("charset=utf-8: %s", r.body)
	}
	western := "key,date,time,channels,text\na,2026-12-01,10:00,demo,Caf\xe9 cr\xe8me\n"
	r = must(t, e.do("PUT", "/api/v1/workspaces/acme/plans/w", western, "Content-Type: text/csv"), 422)
	if ps := problems(t, r); len(ps) == 0 || ps[0].Code != "invalid_encoding" || !strings.Contains(ps[0].Message, "CSV UTF-8") || !strings.Contains(ps[0].Message, "LibreOffice") {
		t.Errorf("unreadable: %s", r.body)
	}
	r = must(t, e.do("PUT", "/api/v1/workspaces/acme/plans/w?encoding=klingon", western, "Content-Type: text/csv"), 400)
	if !strings.Contains(string(r.body), "klingon") {
		t.Errorf("unknown encoding: %s", r.body)
	}
}
