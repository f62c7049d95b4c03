package api_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/xuri/excelize/v2"
)

const xlsxType = "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// setupExampleChannels adds the channels the examples are written for.
func (e *env) setupExampleChannels(ws string) {
	e.t.Helper()
	must(e.t, e.do("POST", "/api/v1/workspaces/"+ws+"/channels", map[string]any{"name": "tg-main", "platform": "telegram"}), 201)
	must(e.t, e.do("POST", "/api/v1/workspaces/"+ws+"/channels", map[string]any{"name": "masto", "platform": "mastodon"}), 201)
	must(e.t, e.do("POST", "/api/v1/workspaces/"+ws+"/channels", map[string]any{"name": "vk-group", "platform": "vk",
		"config": map[string]any{"owner_id": -1}}), 201)
}

func readExample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../content-plans/examples/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// twoSheets is a workbook whose second sheet, "Plan", has a post with a
// real date cell on row 3; the first, "Notes", is not a plan.
func twoSheets(t *testing.T) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.SetSheetName("Sheet1", "Notes"))
	must(f.SetCellValue("Notes", "A1", "Remember to approve the plan"))
	_, err := f.NewSheet("Plan")
	must(err)
	due, _ := time.Parse("2006-01-02", future)
	must(f.SetSheetRow("Plan", "A1", &[]any{"key", "date", "time", "channels", "text"}))
	must(f.SetSheetRow("Plan", "A3", &[]any{"x1", due, "10:00", "demo", "From the Plan sheet"}))
	b, err := f.WriteToBuffer()
	must(err)
	return b.Bytes()
}

// TestPlanXLSX: a workbook applies by its Content-Type, re-applies
// unchanged, and ?sheet= picks the sheet.
func TestPlanXLSX(t *testing.T) {
	e := newEnv(t)
	e.setup("acme")
	e.setupExampleChannels("acme")
	const path = "/api/v1/workspaces/acme/plans/2026-12"
	body := readExample(t, "december.xlsx")
	res := e.putPlan(path+"?timezone=Europe/Moscow", body, 200, xlsxType)
	if res.Created != 20 || res.Rows[0].Row != 2 || res.Rows[19].Row != 21 {
		t.Fatalf("xlsx apply: %+v", res)
	}
	if res = e.putPlan(path+"?timezone=Europe/Moscow", body, 200, xlsxType); res.Unchanged != 20 {
		t.Fatalf("xlsx re-apply: %+v", res)
	}
	rep := e.report("acme", "2026-12")
	if want := time.Date(2099, 12, 1, 7, 0, 0, 0, time.UTC); !rep.Rows[0].DueAt.Equal(want) {
		t.Errorf("first delivery due %v, want %v", rep.Rows[0].DueAt, want)
	}
	vk := 0
	for _, row := range rep.Rows {
		if row.Channel == "vk-group" && row.Platform == "vk" {
			vk++
		}
	}
	if vk != 18 {
		t.Errorf("%d deliveries on vk-group, want 18 (every row but the two English-only ones)", vk)
	}

	book := twoSheets(t)
	res = e.putPlan("/api/v1/workspaces/acme/plans/sheets?sheet=Plan", book, 200, xlsxType)
	if res.Created != 1 || res.Rows[0].Row != 3 || res.Rows[0].Key != "x1" {
		t.Errorf("?sheet=Plan: %+v", res)
	}
	r := must(t, e.do("PUT", "/api/v1/workspaces/acme/plans/sheets?sheet=Drafts", book, xlsxType), 422)
	var env struct {
		Error struct {
			Details []herald.Problem `json:"details"`
		} `json:"error"`
	}
	r.decode(t, &env)
	if len(env.Error.Details) != 1 || env.Error.Details[0].Code != "unknown_sheet" || !strings.Contains(env.Error.Details[0].Message, `"Notes", "Plan"`) {
		t.Errorf("unknown sheet: %s", r.body)
	}
}

// TestPlanProfiles: ?format= picks the import profile, ?date_order= reads
// Hootsuite's dates, ?channels= gives the channels; without ?format= the
// file's first row tells.
func TestPlanProfiles(t *testing.T) {
	e := newEnv(t)
	e.setup("acme")
	e.setupExampleChannels("acme")
	hoot := readExample(t, "hootsuite.csv")
	for _, q := range []string{"?format=hootsuite&date_order=dmy&channels=tg-main,masto", "?channels=tg-main,%20masto"} {
		res := e.putPlan("/api/v1/workspaces/acme/plans/hoot"+q, hoot, 200, "Content-Type: text/csv")
		if res.Created+res.Unchanged != 10 || res.Rows[0].Row != 1 || !res.Rows[0].KeyDerived {
			t.Fatalf("%s: %+v", q, res)
		}
		var derived []herald.Problem
		for _, w := range res.Warnings {
			if w.Code == "derived_key" {
				derived = append(derived, w)
			}
		}
		if len(derived) != 1 || derived[0].Row != 0 || !strings.Contains(derived[0].Message, "all 10 rows") {
			t.Errorf("%s: want one derived_key warning for the file, got %+v", q, derived)
		}
	}
	rep := e.report("acme", "hoot")
	if len(rep.Rows) != 20 || rep.Rows[0].DueAt.Format(time.RFC3339) != "2099-12-01T09:30:00Z" {
		t.Errorf("hootsuite report: %d rows, first %+v", len(rep.Rows), rep.Rows[0])
	}

	// Month first when asked: 01/12/2026 is 12 January.
	res := e.putPlan("/api/v1/workspaces/acme/plans/mdy?format=hootsuite&date_order=mdy&channels=demo",
		"01/12/2027 10:00,January\n", 200, "Content-Type: text/csv")
	if res.Created != 1 {
		t.Fatalf("mdy: %+v", res)
	}
	if got := e.report("acme", "mdy").Rows[0].DueAt; got.Month() != time.January || got.Day() != 12 {
		t.Errorf("mdy due %v", got)
	}

	publer := "Date,Text,Link(s),Media URL(s),Labels\n" + future + " 10:00,Hello from Publer,https://example.com,,news\n"
	res = e.putPlan("/api/v1/workspaces/acme/plans/publer?channels=demo", publer, 200, "Content-Type: text/csv")
	if res.Created != 1 || res.Rows[0].Row != 2 {
		t.Errorf("publer: %+v", res)
	}

	// Without ?channels= a profile without a channel column is a 422 saying so.
	r := must(t, e.do("PUT", "/api/v1/workspaces/acme/plans/nochan?format=hootsuite&date_order=dmy", hoot, "Content-Type: text/csv"), 422)
	if !strings.Contains(string(r.body), `"column":"channels","code":"required","message":"a hootsuite file has no channel column: pass ?channels=a,b naming the channels its posts go to (this workspace has: demo, masto, tg-main, vk-group)"`) {
		t.Errorf("no channels: %s", r.body)
	}
	// An ambiguous Hootsuite file without ?date_order= asks for it.
	r = must(t, e.do("PUT", "/api/v1/workspaces/acme/plans/amb?channels=demo", "01/02/2027 10:00,a\n", "Content-Type: text/csv"), 422)
	if !strings.Contains(string(r.body), "ambiguous_date_order") || !strings.Contains(string(r.body), `"column":"A"`) {
		t.Errorf("ambiguous: %s", r.body)
	}
}

// TestPlanSpreadsheetOptionErrors: bad option values are 400 with the
// error envelope, before anything is read or applied.
func TestPlanSpreadsheetOptionErrors(t *testing.T) {
	e := newEnv(t)
	e.setup("acme")
	const path = "/api/v1/workspaces/acme/plans/p"
	cases := []struct {
		name, query, contentType string
		status                   int
		code, mention            string
	}{
		{"unknown profile", "?format=buffer", "text/csv", 400, "invalid", "herald, hootsuite, publer"},
		{"bad date order", "?date_order=ymd", "text/csv", 400, "invalid", "dmy"},
		{"sheet of a CSV", "?sheet=Plan", "text/csv", 400, "invalid", "XLSX"},
		{"empty channels", "?channels=,", "text/csv", 400, "invalid", "?channels=a,b"},
		{"zone abbreviation", "?timezone=MSK", "text/csv", 400, "invalid", `did you mean \"Europe/Moscow\"?`},
		{"profile for JSON", "?format=publer", "application/json", 400, "invalid", "JSON"},
		{"not a workbook", "", xlsxType[len("Content-Type: "):], 422, "validation", "XLSX"},
		{"spreadsheet type named in 415", "", "image/png", 415, "unsupported", "spreadsheetml"},
	}
	for _, c := range cases {
		r := e.do("PUT", path+c.query, "key,date,time,channels,text\n", "Content-Type: "+c.contentType)
		if r.status != c.status || r.errorCode(t) != c.code || !strings.Contains(string(r.body), c.mention) {
			t.Errorf("%s: %d %s, want %d %s mentioning %q", c.name, r.status, r.body, c.status, c.code, c.mention)
		}
	}
	if e.applied.Load() != 0 {
		t.Errorf("a bad request applied a plan")
	}
}

// TestPlanRowsCSVAndXLSX: the answer's and the report's rows are the
// spreadsheet's, the same for the CSV and the XLSX of the example; a CSV
// problem also names the line its row starts on.
func TestPlanRowsCSVAndXLSX(t *testing.T) {
	e := newEnv(t)
	e.setup("acme")
	e.setupExampleChannels("acme")
	fromCSV := e.putPlan("/api/v1/workspaces/acme/plans/csv?timezone=Europe/Moscow", readExample(t, "december.csv"), 200, "Content-Type: text/csv")
	fromXLSX := e.putPlan("/api/v1/workspaces/acme/plans/xlsx?timezone=Europe/Moscow", readExample(t, "december.xlsx"), 200, xlsxType)
	if len(fromCSV.Rows) != 20 || len(fromXLSX.Rows) != 20 {
		t.Fatalf("csv %+v\nxlsx %+v", fromCSV, fromXLSX)
	}
	for i := range fromCSV.Rows {
		c, x := fromCSV.Rows[i], fromXLSX.Rows[i]
		if c.Key != x.Key || c.Row != x.Row || c.Row != i+2 {
			t.Errorf("row %d: csv %+v, xlsx %+v", i, c, x)
		}
	}
	for _, r := range e.report("acme", "csv").Rows {
		if r.Key == "dec-02-roast-ethiopia" && r.Row != 3 {
			t.Errorf("report: %s on row %d, want 3", r.Key, r.Row)
		}
	}
	bad := strings.Replace(string(readExample(t, "december.csv")), "dec-02-roast-ethiopia,2099-12-02,12:00,\"tg-main", "dec-02-roast-ethiopia,2099-12-02,12:00,\"nowhere", 1)
	r := must(t, e.do("PUT", "/api/v1/workspaces/acme/plans/csv?timezone=Europe/Moscow", bad, "Content-Type: text/csv"), 422)
	if !strings.Contains(string(r.body), `{"row":3,"line":8,"column":"channels","code":"unknown_channel"`) {
		t.Errorf("want unknown_channel on row 3, line 8: %s", r.body)
	}
}

// TestPlanExtraColumns: a calendar's own columns apply with one warning; a
// misspelled column is a 422 suggesting the right name.
func TestPlanExtraColumns(t *testing.T) {
	e := newEnv(t)
	e.setup("acme")
	csv := "key,status,date,time,channels,text,notes,responsible\nk1,draft," + future + ",10:00,demo,Hello,check the photo,Anna\n"
	res := e.putPlan("/api/v1/workspaces/acme/plans/extra", csv, 200, "Content-Type: text/csv")
	var ignored []herald.Problem
	for _, w := range res.Warnings {
		if w.Code == "ignored_columns" {
			ignored = append(ignored, w)
		}
	}
	if res.Created != 1 || len(ignored) != 1 || !strings.Contains(ignored[0].Message, `"status", "notes", "responsible"`) {
		t.Errorf("want 1 created and one ignored_columns warning: %+v", res)
	}
	r := must(t, e.do("PUT", "/api/v1/workspaces/acme/plans/extra", strings.Replace(csv, ",text,", ",txt,", 1), "Content-Type: text/csv"), 422)
	if !strings.Contains(string(r.body), `unknown column \"txt\": did you mean \"text\"?`) {
		t.Errorf("misspelled column: %s", r.body)
	}
}

// TestPlanDateOrderHeraldProfile: ?date_order= reads Herald's own slash
// dates; without it a date that reads both ways is a 422 naming both.
func TestPlanDateOrderHeraldProfile(t *testing.T) {
	e := newEnv(t)
	e.setup("acme")
	year := future[:4]
	csv := "key,date,time,channels,text\nk1,12/4/" + year + ",10.00,demo,Hello\n"
	r := must(t, e.do("PUT", "/api/v1/workspaces/acme/plans/d", csv, "Content-Type: text/csv"), 422)
	if !strings.Contains(string(r.body), `"code":"ambiguous_date_order"`) || !strings.Contains(string(r.body), "4 December "+year) {
		t.Errorf("without date_order: %s", r.body)
	}
	res := e.putPlan("/api/v1/workspaces/acme/plans/d?date_order=mdy", csv, 200, "Content-Type: text/csv")
	if res.Created != 1 {
		t.Fatalf("mdy: %+v", res)
	}
	if got := e.report("acme", "d").Rows[0].DueAt; got.Format("01-02 15:04") != "12-04 10:00" {
		t.Errorf("due %v, want 4 December 10:00 UTC", got)
	}
}
