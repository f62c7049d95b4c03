package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"

	"github.com/heraldhq/herald/publishers/telegram/telegramfake"
)

func at(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func createTelegram(t *testing.T, tm *testMain, ws, name, chat string, fake *telegramfake.Server) {
	t.Helper()
	tm.do(t, "POST", "/api/v1/workspaces/"+ws+"/channels", map[string]any{
		"name": name, "platform": "telegram", "timezone": "Europe/Moscow",
		"config":      map[string]any{"chat_id": chat, "base_url": fake.URL},
		"credentials": map[string]any{"bot_token": fake.Token},
	}, 201, nil)
}

// A plan with posts due in a few seconds reaches a Telegram fake exactly
// once each, in order, on time, and the report shows the fake's ids and URLs.
func TestEndToEndTelegram(t *testing.T) {
	fake := telegramfake.New(telegramfake.Options{})
	defer fake.Close()
	tm := mustRunMain(t, testConfig(t.TempDir()))

	tm.do(t, "POST", "/api/v1/workspaces", map[string]any{"slug": "brand", "name": "Brand", "timezone": "Europe/Moscow"}, 201, nil)
	createTelegram(t, tm, "brand", "tg-main", "@brand", fake)

	// Whole seconds, so the plan's times are exact.
	base := herald.Now().Truncate(time.Second).Add(3 * time.Second)
	due := []time.Time{base, base.Add(time.Second), base.Add(2 * time.Second)}
	var posts []map[string]any
	for i, d := range due {
		posts = append(posts, map[string]any{
			"key": fmt.Sprintf("post-%d", i+1), "at": at(d), "channels": []string{"tg-main"},
			"text": fmt.Sprintf("Post number %d <b>bold</b>", i+1),
		})
	}
	var res planResult
	tm.do(t, "PUT", "/api/v1/workspaces/brand/plans/2026-12", map[string]any{"title": "Soon", "posts": posts}, 200, &res)
	if res.Created != 3 {
		t.Fatalf("created %d, want 3: %+v", res.Created, res)
	}

	msgs, err := fake.WaitMessages(3, 15*time.Second)
	if err != nil {
		t.Fatalf("fake got %d messages: %v", len(msgs), err)
	}
	for i, m := range msgs {
		want := fmt.Sprintf("Post number %d <b>bold</b>", i+1)
		if m.Text != want || m.ChatID != "@brand" || m.Method != "sendMessage" {
			t.Errorf("message %d = %s %s %q, want sendMessage @brand %q", i, m.Method, m.ChatID, m.Text, want)
		}
		if d := m.Received.Sub(due[i]); d < -1500*time.Millisecond || d > 1500*time.Millisecond {
			t.Errorf("message %d arrived %s from its due time", i, d)
		}
	}

	want := map[string]string{"post-1/tg-main": "published", "post-2/tg-main": "published", "post-3/tg-main": "published"}
	r := tm.waitReport(t, "brand", "2026-12", 10*time.Second, want)
	for i, row := range r.Rows {
		id := strconv.FormatInt(msgs[i].MessageID, 10)
		if row.Key != fmt.Sprintf("post-%d", i+1) || row.RemoteID != id || row.URL != "https://t.me/brand/"+id || row.Attempts != 1 || row.PublishedAt == nil {
			t.Errorf("report row %d = %+v, want remote id %s and URL https://t.me/brand/%s", i, row, id, id)
		}
	}
	// Exactly once: no call beyond the three, even a while later.
	if calls := fake.Calls(); len(calls) != 3 {
		t.Errorf("fake got %d calls, want 3: %+v", len(calls), calls)
	}
}

// Re-applying a plan: unchanged stays, an edit updates, a removed row is
// cancelled, a new row is created, a changed published row is a conflict
// and is neither changed nor re-published.
func TestEndToEndReapply(t *testing.T) {
	dir := t.TempDir()
	tm := mustRunMain(t, testConfig(dir))
	tm.do(t, "POST", "/api/v1/workspaces", map[string]any{"slug": "brand", "name": "Brand"}, 201, nil)
	tm.do(t, "POST", "/api/v1/workspaces/brand/channels", map[string]any{"name": "demo", "platform": "outbox"}, 201, nil)

	soon := at(herald.Now().Add(time.Second))
	later := at(herald.Now().Add(time.Hour))
	csv := func(rows ...string) string {
		s := "key,at,channels,text\n"
		for _, r := range rows {
			s += r + "\n"
		}
		return s
	}
	put := func(body string, dry bool) planResult {
		var res planResult
		path := "/api/v1/workspaces/brand/plans/dec"
		if dry {
			path += "?dry_run=true"
		}
		call(t, tm.URL, tm.Token, "PUT", path, "text/csv", body, 200, &res)
		return res
	}
	a := "a," + soon + ",demo,First post"
	b := "b," + later + ",demo,Second post"
	c := "c," + later + ",demo,Third post"
	if res := put(csv(a, b, c), false); res.Created != 3 {
		t.Fatalf("first apply: %+v", res)
	}
	first := tm.waitReport(t, "brand", "dec", 10*time.Second, map[string]string{"a/demo": "published", "b/demo": "scheduled", "c/demo": "scheduled"})
	ids := map[string]int64{}
	for _, row := range first.Rows {
		ids[row.Key] = row.DeliveryID
	}

	if res := put(csv(a, b, c), false); res.Unchanged != 3 || res.Created+res.Updated+res.Cancelled+res.Conflicts != 0 {
		t.Fatalf("re-apply of the same plan: %+v", res)
	}

	b2 := "b," + later + `,demo,"Second post, edited"`
	d := "d," + later + ",demo,Fourth post"
	body := csv(a, b2, d)
	dry := put(body, true)
	real := put(body, false)
	for _, res := range []planResult{dry, real} {
		if res.Created != 1 || res.Updated != 1 || res.Cancelled != 1 || res.Unchanged != 1 || res.Conflicts != 0 {
			t.Fatalf("edit/delete/add (dry_run=%v): %+v", res.DryRun, res)
		}
		want := map[string]string{"a": "unchanged", "b": "updated", "c": "cancelled", "d": "created"}
		for k, v := range want {
			if res.actions()[k] != v {
				t.Errorf("dry_run=%v: row %s action %q, want %q", res.DryRun, k, res.actions()[k], v)
			}
		}
	}
	r := tm.report(t, "brand", "dec")
	statuses := map[string]string{}
	for _, row := range r.Rows {
		statuses[row.Key] = row.Status
	}
	if statuses["b"] != "scheduled" || statuses["d"] != "scheduled" || statuses["a"] != "published" {
		t.Errorf("report after edit: %v", statuses)
	}
	var cd struct {
		Status string `json:"status"`
	}
	tm.do(t, "GET", fmt.Sprintf("/api/v1/workspaces/brand/deliveries/%d", ids["c"]), nil, 200, &cd)
	if cd.Status != "cancelled" {
		t.Errorf("removed row c's delivery is %q, want cancelled", cd.Status)
	}

	// Change the published row: a conflict, nothing re-published.
	a2 := "a," + soon + `,demo,"First post, rewritten"`
	body = csv(a2, b2, d)
	res := put(body, false)
	if res.Conflicts != 1 || res.actions()["a"] != "conflict" || res.Unchanged != 2 {
		t.Fatalf("changed published row: %+v", res)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "outbox", "brand", "demo", "*.json"))
	if len(files) != 1 {
		t.Fatalf("outbox has %d files, want 1: %v", len(files), files)
	}
	data, _ := os.ReadFile(files[0])
	if !strings.Contains(string(data), "First post") || strings.Contains(string(data), "rewritten") {
		t.Errorf("published file changed: %s", data)
	}
}

// Throttling and server errors are retried (honouring retry_after); a
// permanent error fails the delivery with the platform's reason.
func TestEndToEndRetries(t *testing.T) {
	throttled := telegramfake.New(telegramfake.Options{})
	defer throttled.Close()
	throttled.Script(telegramfake.TooManyRequests(2))
	flaky := telegramfake.New(telegramfake.Options{})
	defer flaky.Close()
	flaky.Script(telegramfake.ServerError())
	refusing := telegramfake.New(telegramfake.Options{})
	defer refusing.Close()
	refusing.Script(telegramfake.BadRequest("chat not found"))

	tm := mustRunMain(t, testConfig(t.TempDir()))
	tm.do(t, "POST", "/api/v1/workspaces", map[string]any{"slug": "brand", "name": "Brand"}, 201, nil)
	createTelegram(t, tm, "brand", "throttled", "@throttled", throttled)
	createTelegram(t, tm, "brand", "flaky", "@flaky", flaky)
	createTelegram(t, tm, "brand", "refusing", "@refusing", refusing)

	plan := map[string]any{"posts": []map[string]any{{
		"key": "p", "at": at(herald.Now()), "channels": []string{"throttled", "flaky", "refusing"}, "text": "Hello",
	}}}
	tm.do(t, "PUT", "/api/v1/workspaces/brand/plans/p", plan, 200, nil)

	r := tm.waitReport(t, "brand", "p", 20*time.Second, map[string]string{
		"p/throttled": "published", "p/flaky": "published", "p/refusing": "failed"})
	for _, row := range r.Rows {
		switch row.Channel {
		case "throttled", "flaky":
			if row.Attempts != 2 || row.RemoteID == "" {
				t.Errorf("%s: %+v, want published on the 2nd attempt", row.Channel, row)
			}
		case "refusing":
			if row.Attempts != 1 || !strings.Contains(row.Error, "chat not found") {
				t.Errorf("refusing: %+v, want failed after 1 attempt with the platform's reason", row)
			}
		}
	}
	calls := throttled.Calls()
	if len(calls) != 2 {
		t.Fatalf("throttled fake got %d calls, want 2", len(calls))
	}
	if gap := calls[1].Received.Sub(calls[0].Received); gap < 2*time.Second {
		t.Errorf("retried %s after a 429 with retry_after 2, want at least 2s", gap)
	}
	if n := len(throttled.Messages()) + len(flaky.Messages()); n != 2 {
		t.Errorf("%d messages posted, want 2 (one per channel)", n)
	}
	if n := len(refusing.Messages()); n != 0 {
		t.Errorf("refused channel got %d messages", n)
	}

	// The delivery's attempts record what the platform answered each time.
	var d struct {
		Status   string `json:"status"`
		Attempts []struct {
			Number   int    `json:"number"`
			Outcome  string `json:"outcome"`
			Response string `json:"response"`
		} `json:"attempts"`
	}
	for _, row := range r.Rows {
		if row.Channel != "throttled" {
			continue
		}
		tm.do(t, "GET", fmt.Sprintf("/api/v1/workspaces/brand/deliveries/%d", row.DeliveryID), nil, 200, &d)
		if len(d.Attempts) != 2 || d.Attempts[0].Outcome != "retry" || d.Attempts[1].Outcome != "published" || !strings.Contains(d.Attempts[0].Response, "429") && !strings.Contains(d.Attempts[0].Response, "Too Many Requests") {
			t.Errorf("throttled delivery attempts: %+v", d.Attempts)
		}
	}
}
