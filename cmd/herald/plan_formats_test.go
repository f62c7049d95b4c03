package main

import (
	"os"
	"strings"
	"testing"
	"time"
)

// TestLintFormats: lint reads .ods files (and --sheet), a .csv that is
// really an XLSX workbook is one problem saying so, and a file with
// another extension is read as what its bytes are.
func TestLintFormats(t *testing.T) {
	code, out, errs := runPlan(t, "lint", testdata("libreoffice.ods"), "--timezone", "Europe/Moscow", "--channels", "demo=outbox")
	if code != exitOK || out != "" || !strings.Contains(errs, "6 posts, no problems") {
		t.Errorf("lint .ods: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	code, out, errs = runPlan(t, "lint", testdata("libreoffice.ods"), "--sheet", "Later", "--channels", "demo=outbox")
	if code != exitOK || !strings.Contains(errs, "1 post, no problems") {
		t.Errorf("lint .ods --sheet Later: exit %d\n%s%s", code, out, errs)
	}

	book, err := os.ReadFile(testdata("libreoffice.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	csv := writeFile(t, "plan.csv", string(book))
	code, out, errs = runPlan(t, "lint", csv)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != exitFail || len(lines) != 1 || !strings.HasPrefix(lines[0], csv+": the file is an XLSX workbook, not CSV text") || !strings.Contains(lines[0], "the .xlsx extension") {
		t.Errorf("lint an XLSX named .csv: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	code, _, errs = runPlan(t, "lint", writeFile(t, "plan.export", string(book)), "--timezone", "Europe/Moscow")
	if code != exitOK || !strings.Contains(errs, "6 posts") {
		t.Errorf("lint plan.export: exit %d\n%s", code, errs)
	}
}

// TestApplyODS: apply sends an .ods file as ODS.
func TestApplyODS(t *testing.T) {
	tm := planServerAt(t, func() time.Time { return planNow }) // the file's posts are in December 2026
	code, out, errs := runPlan(t, append([]string{"apply", testdata("libreoffice.ods"), "--workspace", "brand", "--key", "ods"}, tm.flags()...)...)
	if code != exitOK || !strings.Contains(out, "plan ods: 6 created, 0 updated") {
		t.Fatalf("apply .ods: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if r := tm.report(t, "brand", "ods"); len(r.Rows) != 6 || r.Rows[0].DueAt.Format("2006-01-02T15:04Z07:00") != "2026-12-01T07:00Z" {
		t.Errorf("report: %+v", r.Rows)
	}
}
