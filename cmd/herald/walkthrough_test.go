package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// TestWalkthrough follows the README's walkthrough on the real clock: the
// demo plan, a post a moment away going out to the outbox, then the CI
// section's workspace, stand-in channels and every example file through the
// command line. Every example must apply with nothing in the past and
// nothing missed — run a year ahead too (-tags herald_clock_ahead), so the
// examples stay valid whatever the day.
func TestWalkthrough(t *testing.T) {
	noServer(t)
	dir := t.TempDir()
	tm := mustRunMain(t, testConfig(dir))
	slots := []map[string]string{{"day": "mon", "time": "10:00"}, {"day": "thu", "time": "18:30"}}

	// The demo: a workspace, an outbox channel with two weekly slots, the demo plan.
	tm.do(t, "POST", "/api/v1/workspaces", map[string]any{"slug": "brand", "name": "Brand", "timezone": "Europe/Moscow"}, 201, nil)
	tm.do(t, "POST", "/api/v1/workspaces/brand/channels", map[string]any{"name": "demo", "platform": "outbox", "slots": slots}, 201, nil)
	demo, err := os.ReadFile(example("demo.json"))
	if err != nil {
		t.Fatal(err)
	}
	var res planResult
	call(t, tm.URL, tm.Token, "PUT", "/api/v1/workspaces/brand/plans/demo?dry_run=true", "application/json", demo, 200, &res)
	if !res.DryRun || res.Created != 3 {
		t.Fatalf("demo dry run: %+v", res)
	}
	call(t, tm.URL, tm.Token, "PUT", "/api/v1/workspaces/brand/plans/demo", "application/json", demo, 200, &res)
	if res.DryRun || res.Created != 3 {
		t.Fatalf("demo apply: %+v", res)
	}
	assertAhead(t, tm.report(t, "brand", "demo"), 3)

	// A post due in a moment goes out as a file, and the report says so.
	now := "key,at,channels,text\nhello," + at(herald.Now().Add(time.Second)) + ",demo,Hello from Herald\n"
	call(t, tm.URL, tm.Token, "PUT", "/api/v1/workspaces/brand/plans/now", "text/csv", now, 200, &res)
	rep := tm.waitReport(t, "brand", "now", 15*time.Second, map[string]string{"hello/demo": "published"})
	var file struct{ Text string }
	if b, err := os.ReadFile(filepath.Join(dir, "outbox", "brand", "demo", fmt.Sprint(rep.Rows[0].DeliveryID)+".json")); err != nil || json.Unmarshal(b, &file) != nil || file.Text != "Hello from Herald" {
		t.Errorf("outbox file: %v %+v", err, file)
	}

	// The CI section: workspace zerno, outbox channels standing in for
	// Telegram, VK and Mastodon, and demo.
	tm.do(t, "POST", "/api/v1/workspaces", map[string]any{"slug": "zerno", "name": "Зерно", "timezone": "Europe/Moscow"}, 201, nil)
	for name, as := range map[string]string{"tg-main": "telegram", "vk-group": "vk", "masto": "mastodon"} {
		tm.do(t, "POST", "/api/v1/workspaces/zerno/channels", map[string]any{"name": name, "platform": "outbox",
			"config": map[string]any{"as": as}, "slots": slots}, 201, nil)
	}
	tm.do(t, "POST", "/api/v1/workspaces/zerno/channels", map[string]any{"name": "demo", "platform": "outbox", "slots": slots}, 201, nil)

	lint := []string{"lint", example("december.xlsx"), "--timezone", "Europe/Moscow", "--channels", exampleChannels}
	if code, out, errs := runPlanNow(t, lint...); code != exitOK || out != "" {
		t.Errorf("lint december.xlsx: exit %d\n%s%s", code, out, errs)
	}
	for _, c := range []struct {
		file, ws string
		args     []string
		key      string
		rows     int
	}{
		{"december.csv", "zerno", nil, "december", 20},
		// The same month as JSON and XLSX: the same posts, so nothing changes.
		{"december.json", "zerno", []string{"--key", "december"}, "december", 20},
		{"december.xlsx", "zerno", []string{"--key", "december"}, "december", 20},
		// Exports of other tools, onto the demo channel.
		{"publer.csv", "brand", []string{"--channels", "demo"}, "publer", 10},
		{"hootsuite.csv", "brand", []string{"--channels", "demo"}, "hootsuite", 10},
	} {
		args := append([]string{"apply", example(c.file), "--workspace", c.ws}, c.args...)
		code, out, errs := runPlanNow(t, append(args, tm.flags()...)...)
		if code != exitOK || strings.Contains(strings.ReplaceAll(out, "key: warning", ""), "warning") || c.file != "december.csv" && strings.Contains(out, " 0 unchanged") == (c.key == "december") {
			t.Errorf("apply %s: exit %d\n%s%s", c.file, code, out, errs)
			continue
		}
		assertAhead(t, tm.report(t, c.ws, c.key), c.rows)
		if code, out, errs := runPlanNow(t, append([]string{"status", c.ws, c.key}, tm.flags()...)...); code != exitOK {
			t.Errorf("status %s %s: exit %d\n%s%s", c.ws, c.key, code, out, errs)
		}
	}
	// Each stand-in takes its platform's variant: the report and the calendar show what goes out.
	for _, row := range tm.report(t, "zerno", "december").Rows {
		if row.Key == "dec-01-advent" && row.Channel == "masto" && !strings.HasPrefix(row.Text, "December is here!") {
			t.Errorf("report row of masto: %+v", row)
		}
	}
	var cal struct {
		Items []struct{ Key, Channel, Text string } `json:"items"`
	}
	tm.do(t, "GET", "/api/v1/workspaces/zerno/posts?limit=200", nil, 200, &cal)
	texts := map[string]string{}
	for _, p := range cal.Items {
		if p.Key == "dec-01-advent" {
			texts[p.Channel] = p.Text
		}
	}
	if !strings.HasPrefix(texts["masto"], "December is here!") || !strings.HasPrefix(texts["tg-main"], "Открываем декабрь!") || !strings.HasSuffix(texts["vk-group"], "#адвент_календарь") {
		t.Errorf("dec-01-advent as each channel publishes it: %q", texts)
	}
}

// runPlanNow runs `herald plan ARGS…` on the wall clock, as a person would.
func runPlanNow(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb syncBuffer
	p := newPlanCmd(&out, &errb)
	code = p.run(t.Context(), args)
	return code, out.String(), errb.String()
}

// assertAhead checks that a plan's report has deliveries for at least
// rows rows, each scheduled and due after now: nothing of an example is
// in the past or missed.
func assertAhead(t *testing.T, rep report, rows int) {
	t.Helper()
	keys := map[string]bool{}
	now := herald.Now()
	for _, r := range rep.Rows {
		keys[r.Key] = true
		if r.Status != "scheduled" || !r.DueAt.After(now) {
			t.Errorf("plan %s row %d (%s on %s): %s, due %v (now %v)", rep.Plan, r.Row, r.Key, r.Channel, r.Status, r.DueAt, now)
		}
	}
	if len(keys) != rows {
		t.Errorf("plan %s: %d rows in the report, want %d", rep.Plan, len(keys), rows)
	}
}
