package api_test

import (
	"strings"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/api"
)

const odsType = "Content-Type: application/vnd.oasis.opendocument.spreadsheet"

// TestPlanODS: LibreOffice's ODS applies by its Content-Type with the
// instants and texts of the XLSX it was made from; ?sheet= picks a sheet.
func TestPlanODS(t *testing.T) {
	e := newFormatsEnv(t)
	e.putPlan("/api/v1/workspaces/acme/plans/x?timezone=Europe/Moscow", readTestdata(t, "libreoffice.xlsx"), 200, xlsxType)
	res := e.putPlan("/api/v1/workspaces/acme/plans/o?timezone=Europe/Moscow", readTestdata(t, "libreoffice.ods"), 200, odsType)
	if res.Created != 6 || res.Rows[5].Row != 8 {
		t.Fatalf("ods: %+v", res)
	}
	byPlan := map[string][]herald.CalendarEntry{}
	for _, p := range e.calendar("acme") {
		byPlan[p.Plan] = append(byPlan[p.Plan], p)
	}
	x, o := byPlan["x"], byPlan["o"]
	if len(x) != 6 || len(o) != 6 {
		t.Fatalf("%d XLSX posts, %d ODS posts", len(x), len(o))
	}
	for i := range x {
		if o[i].Key != x[i].Key || o[i].Row != x[i].Row || !o[i].DueAt.Equal(x[i].DueAt) || o[i].Text != x[i].Text {
			t.Errorf("post %d: ODS %+v, XLSX %+v", i, o[i], x[i])
		}
	}

	res = e.putPlan("/api/v1/workspaces/acme/plans/later?sheet=Later", readTestdata(t, "libreoffice.ods"), 200, odsType)
	if res.Created != 1 || res.Rows[0].Key != "later-1" {
		t.Errorf("?sheet=Later: %+v", res)
	}
	r := must(t, e.do("PUT", "/api/v1/workspaces/acme/plans/later?sheet=Drafts", readTestdata(t, "libreoffice.ods"), odsType), 422)
	if ps := problems(t, r); len(ps) != 1 || ps[0].Code != "unknown_sheet" {
		t.Errorf("unknown sheet: %s", r.body)
	}
}

// TestPlanWrongFormat: an XLSX sent as text/csv is one clear problem; sent
// with a generic type, or none, every format is read as what it is.
func TestPlanWrongFormat(t *testing.T) {
	e := newFormatsEnv(t)
	xlsx := readTestdata(t, "libreoffice.xlsx")
	r := must(t, e.do("PUT", "/api/v1/workspaces/acme/plans/p", xlsx, "Content-Type: text/csv"), 422)
	ps := problems(t, r)
	if len(ps) != 1 || ps[0].Code != "wrong_format" || !strings.Contains(ps[0].Message, "XLSX workbook") || !strings.Contains(ps[0].Message, api.XLSXContentType) {
		t.Errorf("xlsx as text/csv: %s", r.body)
	}
	r = must(t, e.do("PUT", "/api/v1/workspaces/acme/plans/p", readTestdata(t, "libreoffice.ods"), xlsxType), 422)
	if ps := problems(t, r); len(ps) != 1 || ps[0].Code != "wrong_format" || !strings.Contains(ps[0].Message, api.ODSContentType) {
		t.Errorf("ods as xlsx: %s", r.body)
	}

	files := map[string][]byte{
		"xlsx": xlsx,
		"ods":  readTestdata(t, "libreoffice.ods"),
		"csv":  readTestdata(t, "cp1251.csv"),
		"json": []byte(`{"timezone":"UTC","posts":[{"key":"j","at":"2026-12-01 10:00","channels":["demo"],"text":"JSON"}]}`),
	}
	for format, body := range files {
		for _, header := range []string{"Content-Type: application/octet-stream", "", "Content-Type: application/x-www-form-urlencoded",
			"Content-Type: application/vnd.ms-excel"} {
			var hs []string
			if header != "" {
				hs = append(hs, header)
			}
			res := e.putPlan("/api/v1/workspaces/acme/plans/"+format, body, 200, hs...)
			if res.Created+res.Unchanged == 0 {
				t.Errorf("%s with %q: %+v", format, header, res)
			}
		}
	}
	if e.applied.Load() == 0 {
		t.Error("nothing applied")
	}
}
