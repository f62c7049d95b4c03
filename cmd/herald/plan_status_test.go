package main

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"

	"github.com/heraldhq/herald/publishers/telegram/telegramfake"
)

// runStatus runs `herald plan status ARGS…` polling every 50 ms, with
// stdout a terminal when term is true.
func runStatus(t *testing.T, term bool, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb syncBuffer
	p := newPlanCmd(&out, &errb)
	p.poll = 50 * time.Millisecond
	p.terminal = func(io.Writer) bool { return term }
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code = p.run(ctx, append([]string{"status"}, args...))
	return code, out.String(), errb.String()
}

// status --wait follows a plan until its post is published and exits 0;
// when not on a terminal it prints one line per change.
func TestStatusWaitPublished(t *testing.T) {
	tm := planServer(t)
	soon := herald.Now().Add(time.Second)
	body := csvPlan("a,"+at(soon)+",demo,Soon", "b,"+at(soon)+",demo,Soon too")
	call(t, tm.URL, tm.Token, "PUT", "/api/v1/workspaces/brand/plans/soon", "text/csv", body, 200, nil)

	code, out, errs := runStatus(t, false, append([]string{"brand", "soon", "--wait"}, tm.flags()...)...)
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if !strings.HasPrefix(lines[0], "ROW  KEY  CHANNEL  DUE") || !strings.Contains(lines[1], "scheduled") {
		t.Errorf("no table of the initial state:\n%s", out)
	}
	if last := lines[len(lines)-1]; last != "2 deliveries: 2 published" {
		t.Errorf("last line %q, want the summary", last)
	}
	for _, key := range []string{"a", "b"} {
		if !mustRe(`(?m)^row \d+ ` + key + ` demo: (scheduled|publishing) -> published \S`).MatchString(out) {
			t.Errorf("no change line for %s:\n%s", key, out)
		}
	}
	if strings.Contains(out, "\r") || strings.Contains(out, "[#") {
		t.Errorf("progress bar written to a non-terminal:\n%q", out)
	}

	// A published row edited in the file is a conflict: exit 1.
	file := writeFile(t, "soon.csv", csvPlan("a,"+at(soon)+",demo,Soon (edited)", "b,"+at(soon)+",demo,Soon too"))
	code, out, errs = runPlan(t, append([]string{"apply", file, "--workspace", "brand"}, tm.flags()...)...)
	if code != exitFail || !mustRe(`(?m)^2 +a +conflict`).MatchString(out) || !strings.Contains(errs, "1 conflict with published posts") {
		t.Errorf("conflict: exit %d\n%s%s", code, out, errs)
	}

	// On a terminal: the progress bar, then the final table.
	code, out, _ = runStatus(t, true, append([]string{"brand", "soon", "--wait"}, tm.flags()...)...)
	if code != exitOK || !strings.HasPrefix(out, "\r[####################] 2/2 done: 2 published\x1b[K\n") ||
		!mustRe(`(?m)^2 +a +demo +\S+ \S+ +published +1 +\S`).MatchString(out) {
		t.Errorf("terminal: exit %d\n%q", code, out)
	}

	// Without --wait: the table and the summary.
	code, out, _ = runStatus(t, false, append([]string{"brand", "soon"}, tm.flags()...)...)
	if code != exitOK || !strings.HasSuffix(out, "2 deliveries: 2 published\n") {
		t.Errorf("no --wait: exit %d\n%s", code, out)
	}
}

// A delivery the platform refuses makes status --wait exit 1.
func TestStatusWaitFailed(t *testing.T) {
	tm := planServer(t)
	fake := telegramfake.New(telegramfake.Options{})
	defer fake.Close()
	fake.Script(telegramfake.BadRequest("chat not found"))
	createTelegram(t, tm, "brand", "tg", "@brand", fake)
	body := csvPlan("a,"+at(herald.Now())+",tg,Refused", "b,"+at(herald.Now())+",demo,Fine")
	call(t, tm.URL, tm.Token, "PUT", "/api/v1/workspaces/brand/plans/p", "text/csv", body, 200, nil)

	code, out, errs := runStatus(t, false, append([]string{"brand", "p", "--wait"}, tm.flags()...)...)
	if code != exitFail || !strings.Contains(errs, "1 delivery failed, unknown or missed") {
		t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if !mustRe(`(?m)^row 2 a tg: .*failed .*chat not found`).MatchString(out) && !mustRe(`(?m)^2 +a +tg .* failed .*chat not found`).MatchString(out) {
		t.Errorf("the failure and its reason are not shown:\n%s", out)
	}
	if !strings.HasSuffix(out, "2 deliveries: 1 published, 1 failed\n") {
		t.Errorf("summary:\n%s", out)
	}
}

func TestStatusWaitTimeout(t *testing.T) {
	tm := planServer(t)
	body := csvPlan("a," + at(herald.Now().Add(time.Hour)) + ",demo,Later")
	call(t, tm.URL, tm.Token, "PUT", "/api/v1/workspaces/brand/plans/later", "text/csv", body, 200, nil)
	code, _, errs := runStatus(t, false, append([]string{"brand", "later", "--wait", "--timeout", "200ms"}, tm.flags()...)...)
	if code != exitFail || !strings.Contains(errs, "timed out after 200ms: 1 of 1 deliveries are not final yet") {
		t.Errorf("exit %d, %q", code, errs)
	}
	code, _, errs = runStatus(t, false, append([]string{"brand", "nope"}, tm.flags()...)...)
	if code != exitUsage || !strings.Contains(errs, "404") {
		t.Errorf("unknown plan: exit %d, %q", code, errs)
	}
}

func TestProgressLine(t *testing.T) {
	if got := progressBar(3, 10, 10); got != "[###-------]" {
		t.Errorf("progressBar(3, 10) = %q", got)
	}
	if got := progressBar(0, 0, 4); got != "[----]" {
		t.Errorf("progressBar(0, 0) = %q", got)
	}
}

// status of a deleted plan says it was deleted and lists its rows.
func TestStatusOfDeletedPlan(t *testing.T) {
	tm := planServer(t)
	body := csvPlan("a," + at(herald.Now().Add(time.Hour)) + ",demo,Later")
	call(t, tm.URL, tm.Token, "PUT", "/api/v1/workspaces/brand/plans/gone", "text/csv", body, 200, nil)
	call(t, tm.URL, tm.Token, "DELETE", "/api/v1/workspaces/brand/plans/gone", "", nil, 200, nil)
	code, out, errs := runStatus(t, false, append([]string{"brand", "gone"}, tm.flags()...)...)
	if code != exitOK || !mustRe(`^plan gone was deleted at \S+ \S+; its rows as they were then:\n`).MatchString(out) ||
		!mustRe(`(?m)^2 +a +demo .* cancelled`).MatchString(out) {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
}
