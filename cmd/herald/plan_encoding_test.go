package main

import (
	"path/filepath"
	"strings"
	"testing"
)

func testdata(name string) string {
	return filepath.Join("..", "..", "content-plans", "testdata", name)
}

// TestLintEncoding: lint reads a Windows-1251 CSV with a warning, or none
// with --encoding.
func TestLintEncoding(t *testing.T) {
	file := testdata("cp1251.csv")
	code, out, errs := runPlan(t, "lint", file, "--timezone", "Europe/Moscow")
	if code != exitOK || !strings.HasPrefix(out, file+": warning: the file is not UTF-8: it was read as Windows-1251") {
		t.Errorf("lint cp1251: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	code, out, errs = runPlan(t, "lint", file, "--timezone", "Europe/Moscow", "--encoding", "windows-1251")
	if code != exitOK || out != "" {
		t.Errorf("lint cp1251 --encoding: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
}

// TestApplyEncoding: apply sends --encoding as ?encoding=.
func TestApplyEncoding(t *testing.T) {
	tm := planServer(t)
	file := testdata("cp1251.csv")
	code, out, errs := runPlan(t, append([]string{"apply", file, "--workspace", "brand", "--encoding", "windows-1251"}, tm.flags()...)...)
	if code != exitOK || !strings.Contains(out, "3 created") || strings.Contains(out, "not UTF-8") {
		t.Errorf("apply --encoding: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	code, out, errs = runPlan(t, append([]string{"apply", file, "--workspace", "brand"}, tm.flags()...)...)
	if code != exitOK || !strings.Contains(out, "3 unchanged") || !strings.Contains(out, file+": warning: the file is not UTF-8") {
		t.Errorf("apply detected: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
}
