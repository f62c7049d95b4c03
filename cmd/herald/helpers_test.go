package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/outbound"
)

// testMain runs Main on a temp data dir and port 0, as `herald serve` would.
type testMain struct {
	*Main
	Token string
	URL   string
}

// syncBuffer is a bytes.Buffer safe to write from the service's goroutines
// while a test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var tokenRe = regexp.MustCompile(`hrld_[A-Za-z0-9_-]+`)

func testConfig(dataDir string) Config {
	return Config{
		Addr:         "127.0.0.1:0",
		DataDir:      dataDir,
		LogLevel:     "warn",
		Workers:      100,
		MaxBodyBytes: 20 << 20,
		Lease:        5 * time.Minute,
		Shutdown:     5 * time.Second,
		RetryBase:    200 * time.Millisecond,
		// Fakes and their media listen on loopback, which outbound calls
		// reach only when allowed.
		AllowPrivateNetworks: outbound.Allow{Prefixes: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}},
	}
}

// mustRunMain starts a Main with cfg and returns it with the admin token it
// printed on its first start. It is closed when the test ends.
func mustRunMain(tb testing.TB, cfg Config) *testMain {
	tb.Helper()
	return mustRunMainAt(tb, cfg, nil)
}

// mustRunMainAt is mustRunMain with every component on the clock now (the
// real one when nil), for tests whose plans have fixed dates.
func mustRunMainAt(tb testing.TB, cfg Config, now func() time.Time) *testMain {
	tb.Helper()
	var stdout, stderr syncBuffer
	m := NewMain(cfg, &stdout, &stderr)
	if now != nil {
		m.Now = now
	}
	if err := m.Run(context.Background()); err != nil {
		tb.Fatalf("run: %v\n%s", err, stderr.String())
	}
	tb.Cleanup(func() {
		if err := m.Close(); err != nil {
			tb.Errorf("close: %v", err)
		}
	})
	tok := tokenRe.FindString(stdout.String())
	if tok == "" {
		tb.Fatalf("no admin token printed on first start; stdout:\n%s", stdout.String())
	}
	return &testMain{Main: m, Token: tok, URL: "http://" + m.Addr()}
}

// call does an API request and decodes a JSON answer into out (when not nil).
// It fails the test when the status is not want.
func call(tb testing.TB, base, token, method, path, contentType string, body any, want int, out any) []byte {
	tb.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			tb.Fatal(err)
		}
		rd = bytes.NewReader(buf)
		if contentType == "" {
			contentType = "application/json"
		}
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		tb.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		tb.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			tb.Fatalf("%s %s: decode %s: %v", method, path, data, err)
		}
	}
	return data
}

func (tm *testMain) do(tb testing.TB, method, path string, body any, want int, out any) []byte {
	tb.Helper()
	return call(tb, tm.URL, tm.Token, method, path, "", body, want, out)
}

// eventually polls cond until it returns "" or the deadline passes, then
// fails with cond's last explanation.
func eventually(tb testing.TB, timeout time.Duration, cond func() string) {
	tb.Helper()
	deadline := herald.Now().Add(timeout)
	for {
		why := cond()
		if why == "" {
			return
		}
		if herald.Now().After(deadline) {
			tb.Fatalf("condition not met within %s: %s", timeout, why)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type reportRow struct {
	Key         string     `json:"key"`
	Row         int        `json:"row"`
	Channel     string     `json:"channel"`
	Platform    string     `json:"platform"`
	DueAt       time.Time  `json:"due_at"`
	Status      string     `json:"status"`
	RemoteID    string     `json:"remote_id"`
	URL         string     `json:"url"`
	PublishedAt *time.Time `json:"published_at"`
	Attempts    int        `json:"attempts"`
	Error       string     `json:"error"`
	DeliveryID  int64      `json:"delivery_id"`
	Text        string     `json:"text"`
}

type report struct {
	Plan string      `json:"plan"`
	Rows []reportRow `json:"rows"`
}

func (tm *testMain) report(tb testing.TB, ws, plan string) report {
	tb.Helper()
	var r report
	tm.do(tb, "GET", fmt.Sprintf("/api/v1/workspaces/%s/plans/%s/report", ws, plan), nil, 200, &r)
	return r
}

// waitStatuses waits until every report row of the plan has a final status
// for which accept returns true, and returns the report.
func (tm *testMain) waitReport(tb testing.TB, ws, plan string, timeout time.Duration, want map[string]string) report {
	tb.Helper()
	var r report
	eventually(tb, timeout, func() string {
		r = tm.report(tb, ws, plan)
		got := map[string]string{}
		for _, row := range r.Rows {
			got[row.Key+"/"+row.Channel] = row.Status
		}
		for k, v := range want {
			if got[k] != v {
				return fmt.Sprintf("%s is %q, want %q (report %v)", k, got[k], v, got)
			}
		}
		return ""
	})
	return r
}

type planResult struct {
	Plan      string `json:"plan"`
	DryRun    bool   `json:"dry_run"`
	Created   int    `json:"created"`
	Updated   int    `json:"updated"`
	Unchanged int    `json:"unchanged"`
	Cancelled int    `json:"cancelled"`
	Conflicts int    `json:"conflicts"`
	Rows      []struct {
		Key     string `json:"key"`
		Row     int    `json:"row"`
		Action  string `json:"action"`
		Message string `json:"message"`
	} `json:"rows"`
}

func (p planResult) actions() map[string]string {
	m := map[string]string{}
	for _, r := range p.Rows {
		m[r.Key] = r.Action
	}
	return m
}

// auditActions reads the audit log through the API, as tm's token, and
// returns it oldest first as "action target by kind:id (name)" lines (plan
// changes with their counts: "plan.applied plan dec (3 created) by …"): the
// workspace ws's log, or with ws "" the instance-level entries of the
// instance log (tokens, users, failed sign-ins). It follows next_cursor in
// small pages, so that the tests read the log as a client pages through it.
func auditActions(tb testing.TB, tm *testMain, ws string) []string {
	tb.Helper()
	var lines []string
	for _, e := range auditEntries(tb, tm, ws) {
		if ws == "" && e.Workspace != "" {
			continue
		}
		lines = append(lines, auditLine(e))
	}
	return lines
}

// auditEntries is every entry of ws's audit log (the instance log when ws
// is ""), oldest first.
func auditEntries(tb testing.TB, tm *testMain, ws string) []herald.AuditEntry {
	tb.Helper()
	path := "/api/v1/audit"
	if ws != "" {
		path = "/api/v1/workspaces/" + ws + "/audit"
	}
	var all []herald.AuditEntry
	cursor := ""
	for {
		var p struct {
			Items      []herald.AuditEntry `json:"items"`
			NextCursor string              `json:"next_cursor"`
		}
		q := path + "?limit=7"
		if cursor != "" {
			q += "&cursor=" + cursor
		}
		tm.do(tb, "GET", q, nil, 200, &p)
		if len(p.Items) == 0 {
			break
		}
		// The log is read newest first; a cursor that does not move back
		// would loop forever.
		if n := len(all); n > 0 && p.Items[0].ID >= all[n-1].ID {
			tb.Fatalf("%s: page at cursor %s starts at entry %d, not before %d", path, cursor, p.Items[0].ID, all[n-1].ID)
		}
		all = append(all, p.Items...)
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
	}
	slices.Reverse(all)
	return all
}

// auditLine is e as auditActions lists it.
func auditLine(e herald.AuditEntry) string {
	line := e.Action + " " + e.Target
	if strings.HasPrefix(e.Action, "plan.") {
		var counts []string
		for _, k := range []string{"created", "updated", "unchanged", "cancelled", "conflicts"} {
			if n, _ := e.Details[k].(float64); n != 0 {
				counts = append(counts, fmt.Sprintf("%v %s", n, k))
			}
		}
		if len(counts) > 0 {
			line += " (" + strings.Join(counts, ", ") + ")"
		}
	}
	line += " by " + e.Actor.Kind
	if e.Actor.ID != "" {
		line += ":" + e.Actor.ID
	}
	if e.Actor.Name != "" {
		line += " (" + e.Actor.Name + ")"
	}
	return line
}

// wantAudit fails the test unless got, auditActions' lines, are want.
func wantAudit(tb testing.TB, what string, got []string, want ...string) {
	tb.Helper()
	if !slices.Equal(got, want) {
		tb.Errorf("%s:\n\t%s\nwant:\n\t%s", what, strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}
