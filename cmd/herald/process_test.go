package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/heraldhq/herald"

	"github.com/heraldhq/herald/publishers/mastodon/mastodonfake"
	"github.com/heraldhq/herald/publishers/telegram/telegramfake"
	"github.com/heraldhq/herald/scheduler"
)

// TestMain lets the test binary act as the herald command, so tests can run
// it as a real process and kill it.
func TestMain(m *testing.M) {
	if os.Getenv("HERALD_TEST_CHILD") == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := run(ctx, strings.Split(os.Getenv("HERALD_TEST_ARGS"), "\x1f"), os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// child is `herald serve` running as its own process.
type child struct {
	cmd  *exec.Cmd
	URL  string
	logs *syncBuffer
	done chan error
}

// startChild runs `herald serve` on dataDir with the given extra environment
// and waits until it listens.
func startChild(t *testing.T, dataDir string, env ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(),
		"HERALD_TEST_CHILD=1", "HERALD_TEST_ARGS=serve",
		"HERALD_ADDR=127.0.0.1:0", "HERALD_DATA_DIR="+dataDir, "HERALD_LOG_LEVEL=info",
		"HERALD_LEASE=2s", "HERALD_RETRY_BACKOFF=200ms",
		"HERALD_ALLOW_PRIVATE_NETWORKS=127.0.0.0/8") // the fakes listen on loopback
	cmd.Env = append(cmd.Env, env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, logs: &syncBuffer{}, done: make(chan error, 1)}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(c.logs, line)
			var entry struct {
				Message string `json:"message"`
				Addr    string `json:"addr"`
			}
			if json.Unmarshal([]byte(line), &entry) == nil && entry.Message == "herald is serving" {
				addr <- entry.Addr
			}
		}
		c.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-c.done
		}
	})
	select {
	case a := <-addr:
		c.URL = a
	case err := <-c.done:
		t.Fatalf("herald exited before serving: %v\n%s", err, c.logs)
	case <-time.After(30 * time.Second):
		t.Fatalf("herald did not start within 30s\n%s", c.logs)
	}
	return c
}

// wait waits for the process to exit and returns its exit code.
func (c *child) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case <-c.done:
		return c.cmd.ProcessState.ExitCode()
	case <-time.After(timeout):
		t.Fatalf("herald did not exit within %s\n%s", timeout, c.logs)
		return -1
	}
}

func createToken(t *testing.T, dataDir string) string {
	t.Helper()
	var out, errb syncBuffer
	if code := run(context.Background(), []string{"token", "create", "--name", "e2e", "--data-dir", dataDir}, &out, &errb); code != 0 {
		t.Fatalf("token create exited %d: %s", code, errb.String())
	}
	return strings.TrimSpace(out.String())
}

// The process is killed while both platforms hold its call; each platform
// posts anyway, and the answer is lost. After a restart with the default
// lease (5 minutes) the Mastodon delivery is retried at once with the same
// Idempotency-Key (one status, not two), the Telegram one (no idempotency)
// becomes unknown, never re-sent, and each channel's next post goes out: on
// SQLite the restarted process holds the database alone, so what was left
// publishing is its dead predecessor's.
func TestCrashMidPublish(t *testing.T) {
	tg := telegramfake.New(telegramfake.Options{})
	defer tg.Close()
	tg.Script(telegramfake.Hang())
	ms := mastodonfake.New(mastodonfake.Options{})
	defer ms.Close()
	ms.Script(mastodonfake.Hang())

	dir := t.TempDir()
	token := createToken(t, dir)
	defaults := "HERALD_LEASE=" + scheduler.DefaultLease.String()
	c := startChild(t, dir, defaults)
	api := func(method, path string, body any, want int, out any) {
		t.Helper()
		call(t, c.URL, token, method, path, "", body, want, out)
	}
	api("POST", "/api/v1/workspaces", map[string]any{"slug": "brand", "name": "Brand"}, 201, nil)
	api("POST", "/api/v1/workspaces/brand/channels", map[string]any{"name": "tg", "platform": "telegram",
		"config": map[string]any{"chat_id": "@brand", "base_url": tg.URL}, "credentials": map[string]any{"bot_token": tg.Token}}, 201, nil)
	api("POST", "/api/v1/workspaces/brand/channels", map[string]any{"name": "masto", "platform": "mastodon",
		"config": map[string]any{"instance_url": ms.URL}, "credentials": map[string]any{"access_token": ms.Token}}, 201, nil)
	api("PUT", "/api/v1/workspaces/brand/plans/p", map[string]any{"posts": []map[string]any{
		{"key": "launch", "at": at(herald.Now()), "channels": []string{"tg", "masto"}, "text": "We are live"},
		{"key": "next", "at": at(herald.Now()), "channels": []string{"tg", "masto"}, "text": "And here is why"}}}, 200, nil)

	eventually(t, 15*time.Second, func() string {
		if tg.Held() != 1 || ms.Held() != 1 {
			return fmt.Sprintf("held calls: telegram %d, mastodon %d", tg.Held(), ms.Held())
		}
		return ""
	})
	if err := c.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	c.wait(t, 10*time.Second)
	tg.Release()
	ms.Release()
	if _, err := tg.WaitMessages(1, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := ms.WaitStatuses(1, 5*time.Second); err != nil {
		t.Fatal(err)
	}

	c2 := startChild(t, dir, defaults)
	tm := &testMain{Token: token, URL: c2.URL}
	r := tm.waitReport(t, "brand", "p", 45*time.Second, map[string]string{"launch/tg": "unknown", "launch/masto": "published",
		"next/tg": "published", "next/masto": "published"})

	statuses := ms.Statuses()
	if len(statuses) != 2 || statuses[0].Text == statuses[1].Text {
		t.Fatalf("mastodon has %d statuses, want the launch once and the next post", len(statuses))
	}
	var posts []mastodonfake.Call
	for _, cl := range ms.Calls() {
		if cl.Method == "POST" && cl.Path == "/api/v1/statuses" {
			posts = append(posts, cl)
		}
	}
	if len(posts) != 3 || posts[0].IdempotencyKey == "" || posts[0].IdempotencyKey != posts[1].IdempotencyKey {
		t.Errorf("status calls %+v: want the launch twice with the same Idempotency-Key, then the next post", posts)
	}
	for _, row := range r.Rows {
		if row.Key != "launch" {
			continue
		}
		switch row.Channel {
		case "masto":
			if row.RemoteID != statuses[0].ID || row.URL != statuses[0].URL {
				t.Errorf("masto row %+v, want the original status %s %s", row, statuses[0].ID, statuses[0].URL)
			}
		case "tg":
			if !strings.Contains(row.Error, "may or may not") {
				t.Errorf("telegram row error %q should say the outcome is unknown", row.Error)
			}
		}
	}
	if n := len(tg.Calls()); n != 2 {
		t.Errorf("telegram got %d calls, want 2 (the launch once, the next post): an unknown delivery is never re-sent by itself", n)
	}
}

// A second herald serve on the SQLite database another one is serving
// refuses to start, saying why, and changes nothing: two processes never
// claim from one SQLite file.
func TestSecondServeOnOneSQLiteFileRefuses(t *testing.T) {
	dir := t.TempDir()
	createToken(t, dir)
	first := startChild(t, dir)
	var out, errb syncBuffer
	code := run(context.Background(), []string{"serve", "--data-dir", dir, "--addr", "127.0.0.1:0"}, &out, &errb)
	if code == 0 {
		t.Fatalf("second serve exited 0; want a refusal\n%s", errb.String())
	}
	msg := errb.String()
	if !strings.Contains(msg, "already serving") || !strings.Contains(msg, fmt.Sprintf("pid %d", first.cmd.Process.Pid)) ||
		!strings.Contains(msg, "PostgreSQL") {
		t.Errorf("refusal %q should name the running process and say what to do", msg)
	}
	// The first one still serves.
	var list struct{ Items []any }
	call(t, first.URL, createToken(t, dir), "GET", "/api/v1/workspaces", "", nil, 200, &list)
}

// SIGTERM while a publish is in flight: the process stops claiming, lets the
// call finish and records it, then exits 0. Nothing is sent twice after a restart.
func TestGracefulShutdown(t *testing.T) {
	tg := telegramfake.New(telegramfake.Options{Latency: 1500 * time.Millisecond})
	defer tg.Close()
	dir := t.TempDir()
	token := createToken(t, dir)
	c := startChild(t, dir, "HERALD_LEASE=30s")
	tm := &testMain{Token: token, URL: c.URL}
	tm.do(t, "POST", "/api/v1/workspaces", map[string]any{"slug": "brand", "name": "Brand"}, 201, nil)
	tm.do(t, "POST", "/api/v1/workspaces/brand/channels", map[string]any{"name": "tg", "platform": "telegram",
		"config": map[string]any{"chat_id": "@brand", "base_url": tg.URL}, "credentials": map[string]any{"bot_token": tg.Token}}, 201, nil)
	tm.do(t, "PUT", "/api/v1/workspaces/brand/plans/p", map[string]any{"posts": []map[string]any{
		{"key": "now", "at": at(herald.Now()), "channels": []string{"tg"}, "text": "Now"},
		{"key": "later", "at": at(herald.Now().Add(time.Hour)), "channels": []string{"tg"}, "text": "Later"},
	}}, 200, nil)

	if _, err := tg.WaitCalls(1, 15*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := c.wait(t, 20*time.Second); code != 0 {
		t.Fatalf("exit code %d after SIGTERM\n%s", code, c.logs)
	}

	c2 := startChild(t, dir, "HERALD_LEASE=30s")
	tm.URL = c2.URL
	r := tm.report(t, "brand", "p")
	for _, row := range r.Rows {
		want := map[string]string{"now": "published", "later": "scheduled"}[row.Key]
		if row.Status != want {
			t.Errorf("%s is %s after a graceful restart, want %s (%+v)", row.Key, row.Status, want, row)
		}
	}
	if n := len(tg.Calls()); n != 1 {
		t.Errorf("telegram got %d calls, want 1", n)
	}
}
