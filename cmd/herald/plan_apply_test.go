package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"

	"github.com/heraldhq/herald/publishers/telegram/telegramfake"
)

// planServer runs Herald with workspace "brand" and an outbox channel "demo".
func planServer(t *testing.T) *testMain {
	t.Helper()
	return planServerAt(t, nil)
}

// planServerAt is planServer on the clock now (the real one when nil).
func planServerAt(t *testing.T, now func() time.Time) *testMain {
	t.Helper()
	noServer(t)
	tm := mustRunMainAt(t, testConfig(t.TempDir()), now)
	tm.do(t, "POST", "/api/v1/workspaces", map[string]any{"slug": "brand", "name": "Brand", "timezone": "Europe/Moscow"}, 201, nil)
	tm.do(t, "POST", "/api/v1/workspaces/brand/channels", map[string]any{"name": "demo", "platform": "outbox",
		"slots": []map[string]string{{"day": "mon", "time": "10:00"}, {"day": "thu", "time": "18:30"}}}, 201, nil)
	return tm
}

func (tm *testMain) flags() []string {
	return []string{"--server", tm.URL, "--token", tm.Token}
}

func csvPlan(rows ...string) string {
	return "key,at,channels,text\n" + strings.Join(rows, "\n") + "\n"
}

func TestApply(t *testing.T) {
	tm := planServer(t)
	later := at(herald.Now().Add(time.Hour))
	file := writeFile(t, "dec.csv", csvPlan("a,"+later+",demo,First", "b,"+at(herald.Now().Add(2*time.Hour))+",demo,Second"))

	// A dry run shows the diff and creates nothing.
	code, out, errs := runPlan(t, append([]string{"apply", file, "--workspace", "brand", "--dry-run"}, tm.flags()...)...)
	if code != exitOK || !strings.HasPrefix(out, "plan dec (dry run: nothing changed): 2 created, 0 updated, 0 unchanged, 0 cancelled, 0 conflicts\n") {
		t.Fatalf("dry run: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	call(t, tm.URL, tm.Token, "GET", "/api/v1/workspaces/brand/plans/dec", "", nil, 404, nil)

	// The key is the file name; the table lists each row that is not unchanged.
	code, out, errs = runPlan(t, append([]string{"apply", file, "--workspace", "brand"}, tm.flags()...)...)
	if code != exitOK {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	want := []string{
		"plan dec: 2 created, 0 updated, 0 unchanged, 0 cancelled, 0 conflicts",
		"ROW  KEY  ACTION   MESSAGE",
		"2    a    created",
		"3    b    created",
	}
	if len(lines) != len(want) {
		t.Fatalf("apply printed:\n%s\nwant:\n%s", out, strings.Join(want, "\n"))
	}
	for i := range want {
		if strings.TrimRight(lines[i], " ") != want[i] {
			t.Errorf("line %d = %q, want %q", i+1, lines[i], want[i])
		}
	}
	if r := tm.report(t, "brand", "dec"); len(r.Rows) != 2 {
		t.Errorf("report has %d rows, want 2", len(r.Rows))
	}

	// Re-apply with an edit and a removal, from HERALD_SERVER / HERALD_TOKEN and --key.
	t.Setenv("HERALD_SERVER", tm.URL)
	t.Setenv("HERALD_TOKEN", tm.Token)
	edited := writeFile(t, "other-name.csv", csvPlan("a,"+later+",demo,First (edited)"))
	code, out, errs = runPlan(t, "apply", edited, "--workspace", "brand", "--key", "dec")
	if code != exitOK || !strings.Contains(out, "0 created, 1 updated, 0 unchanged, 1 cancelled") ||
		!mustRe(`(?m)^2 +a +updated`).MatchString(out) || !mustRe(`(?m)^\(was row 3\) +b +cancelled`).MatchString(out) {
		t.Errorf("re-apply: exit %d\n%s%s", code, out, errs)
	}
	// Unchanged rows are counted, not listed.
	code, out, _ = runPlan(t, "apply", edited, "--workspace", "brand", "--key", "dec")
	if code != exitOK || strings.TrimSpace(out) != "plan dec: 0 created, 0 updated, 1 unchanged, 0 cancelled, 0 conflicts" {
		t.Errorf("same plan again: exit %d\n%s", code, out)
	}
}

func TestApplyExamples(t *testing.T) {
	tm := planServer(t)
	fake := telegramfake.New(telegramfake.Options{})
	defer fake.Close()
	createTelegram(t, tm, "brand", "tg-main", "@brand", fake)
	tm.do(t, "POST", "/api/v1/workspaces/brand/channels", map[string]any{"name": "masto", "platform": "mastodon",
		"config": map[string]any{"instance_url": "http://127.0.0.1:1"}, "credentials": map[string]any{"access_token": "x"}}, 201, nil)
	tm.do(t, "POST", "/api/v1/workspaces/brand/channels", map[string]any{"name": "vk-group", "platform": "vk",
		"config": map[string]any{"owner_id": -1, "base_url": "http://127.0.0.1:1"}, "credentials": map[string]any{"access_token": "x"}}, 201, nil)
	for _, file := range []string{"december.json", "december.csv", "demo.json"} {
		code, out, errs := runPlan(t, append([]string{"apply", example(file), "--workspace", "brand", "--dry-run"}, tm.flags()...)...)
		if code != exitOK || !mustRe(`\(dry run: nothing changed\): [1-9][0-9]* created, 0 updated`).MatchString(out) {
			t.Errorf("%s: exit %d\n%s%s", file, code, out, errs)
		}
	}
}

// A 422 prints every problem as FILE:ROW:COLUMN: message and exits 1.
func TestApplyInvalidPlan(t *testing.T) {
	tm := planServer(t)
	later := at(herald.Now().Add(time.Hour))
	file := writeFile(t, "bad.csv", csvPlan("a,"+later+",demo,Fine", "b,not a time,demo,Bad", "c,"+later+",nowhere,Unknown"))
	code, out, errs := runPlan(t, append([]string{"apply", file, "--workspace", "brand"}, tm.flags()...)...)
	if code != exitFail {
		t.Fatalf("exit %d, want 1\n%s%s", code, out, errs)
	}
	for _, want := range []string{file + ":3:at: ", file + `:4:channels: unknown channel "nowhere"`} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
	if !strings.Contains(errs, "2 problems; nothing applied") {
		t.Errorf("stderr: %q", errs)
	}
	call(t, tm.URL, tm.Token, "GET", "/api/v1/workspaces/brand/plans/bad", "", nil, 404, nil)

	code, out, _ = runPlan(t, append([]string{"apply", file, "--workspace", "brand", "--annotations", "github"}, tm.flags()...)...)
	if code != exitFail || !strings.Contains(out, "::error file="+file+",line=3,title=at::") {
		t.Errorf("github annotations: exit %d\n%s", code, out)
	}
}

func TestApplyConnectionErrors(t *testing.T) {
	tm := planServer(t)
	file := writeFile(t, "p.csv", csvPlan("a,"+at(herald.Now().Add(time.Hour))+",demo,Hi"))

	code, _, errs := runPlan(t, "apply", file, "--workspace", "brand", "--server", tm.URL, "--token", "hrld_wrong")
	if code != exitUsage || !strings.Contains(errs, "401") {
		t.Errorf("wrong token: exit %d, %q", code, errs)
	}
	code, _, errs = runPlan(t, "apply", file, "--workspace", "nobody", "--server", tm.URL, "--token", tm.Token)
	if code != exitUsage || !strings.Contains(errs, "404") {
		t.Errorf("unknown workspace: exit %d, %q", code, errs)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	code, _, errs = runPlan(t, "apply", file, "--workspace", "brand", "--server", closed, "--token", tm.Token)
	if code != exitUsage || !strings.Contains(errs, "cannot reach Herald at "+closed) {
		t.Errorf("unreachable server: exit %d, %q", code, errs)
	}
	code, _, errs = runPlan(t, "status", "brand", "p", "--server", closed)
	if code != exitUsage || !strings.Contains(errs, "cannot reach Herald") {
		t.Errorf("status, unreachable server: exit %d, %q", code, errs)
	}
}

// apply sends each format with its Content-Type and passes the options on
// as query parameters.
func TestApplyRequest(t *testing.T) {
	noServer(t)
	type request struct{ method, path, contentType, auth, query string }
	got := make(chan request, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- request{r.Method, r.URL.Path, r.Header.Get("Content-Type"), r.Header.Get("Authorization"), r.URL.RawQuery}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"plan":"x","rows":[]}`)
	}))
	defer srv.Close()
	for _, tc := range []struct {
		file, contentType string
		flags             []string
		query             string
	}{
		{"p.json", "application/json", nil, ""},
		{"Plan.CSV", "text/csv", []string{"--dry-run", "--format", "hootsuite", "--date-order", "dmy", "--channels", "a,b", "--timezone", "Europe/Berlin"},
			"channels=a%2Cb&date_order=dmy&dry_run=true&format=hootsuite&timezone=Europe%2FBerlin"},
		{"book.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", []string{"--sheet", "Декабрь", "--key", "dec"}, "sheet=%D0%94%D0%B5%D0%BA%D0%B0%D0%B1%D1%80%D1%8C"},
	} {
		file := writeFile(t, tc.file, "x")
		args := append([]string{"apply", file, "--workspace", "brand", "--server", srv.URL + "/", "--token", "hrld_t"}, tc.flags...)
		if code, out, errs := runPlan(t, args...); code != exitOK {
			t.Fatalf("%s: exit %d\n%s%s", tc.file, code, out, errs)
		}
		r := <-got
		key := planKeyOf(tc.file)
		if tc.file == "book.xlsx" {
			key = "dec"
		}
		want := request{"PUT", "/api/v1/workspaces/brand/plans/" + key, tc.contentType, "Bearer hrld_t", tc.query}
		if r != want {
			t.Errorf("%s: request %+v, want %+v", tc.file, r, want)
		}
	}
}

// With approval steps, the table says what the apply did to each row's
// approval.
func TestApplyShowsApproval(t *testing.T) {
	tm := planServer(t)
	tm.do(t, "PATCH", "/api/v1/workspaces/brand", map[string]any{"approval_required": true}, 200, nil)
	later := at(herald.Now().Add(48 * time.Hour))
	file := writeFile(t, "dec.csv", csvPlan("a,"+later+",demo,First"))
	code, out, errs := runPlan(t, append([]string{"apply", file, "--workspace", "brand"}, tm.flags()...)...)
	if code != exitOK || !mustRe(`(?m)^2 +a +created +approval required$`).MatchString(out) {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errs)
	}
	file = writeFile(t, "dec.csv", csvPlan("a,"+later+",demo,First edited"))
	code, out, errs = runPlan(t, append([]string{"apply", file, "--workspace", "brand"}, tm.flags()...)...)
	if code != exitOK || !mustRe(`(?m)^2 +a +updated +approval reset$`).MatchString(out) {
		t.Fatalf("edit: exit %d\n%s%s", code, out, errs)
	}
}
