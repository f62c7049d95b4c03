package outbox_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/outbox"
)

func request(id int64, text string) herald.PublishRequest {
	return herald.PublishRequest{
		Workspace: "acme", DeliveryID: id, IdempotencyKey: "herald-42-abc", Attempt: 1,
		Channel: herald.Channel{Name: "demo", Platform: "outbox"},
		Message: herald.Message{Text: text, Media: []string{"https://cdn.example/1.jpg"},
			Link: "https://brand.example/p", Tags: []string{"launch"}},
	}
}

func TestPublishWritesFile(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC)
	pub := outbox.New(outbox.Options{DataDir: dir, Now: func() time.Time { return now }})
	res := pub.Publish(context.Background(), request(42, "Hello"))
	if res.Outcome != herald.OutcomePublished {
		t.Fatalf("outcome %s: %s", res.Outcome, res.Reason)
	}
	path := filepath.Join(dir, "outbox", "acme", "demo", "42.json")
	if res.RemoteID != "42" || res.URL != "outbox/acme/demo/42.json" {
		t.Errorf("remote id %q url %q, want 42 and the path under the data directory", res.RemoteID, res.URL)
	}
	if strings.Contains(res.URL+res.Request+res.Response, dir) {
		t.Errorf("the result shows the server's absolute path: %+v", res)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"delivery_id": float64(42), "workspace": "acme", "channel": "demo",
		"text": "Hello\n\nhttps://brand.example/p", "link": "https://brand.example/p",
		"published_at": "2026-12-01T07:00:00Z", "idempotency_key": "herald-42-abc",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if m, _ := got["media"].([]any); len(m) != 1 || m[0] != "https://cdn.example/1.jpg" {
		t.Errorf("media = %v", got["media"])
	}
	if tags, _ := got["tags"].([]any); len(tags) != 1 || tags[0] != "launch" {
		t.Errorf("tags = %v", got["tags"])
	}
}

func TestRetryOverwritesSameFile(t *testing.T) {
	dir := t.TempDir()
	pub := outbox.New(outbox.Options{DataDir: dir})
	if !pub.Idempotent() {
		t.Error("the outbox must be idempotent")
	}
	first := pub.Publish(context.Background(), request(7, "first"))
	second := pub.Publish(context.Background(), request(7, "second"))
	if first.Outcome != herald.OutcomePublished || second.Outcome != herald.OutcomePublished || first.URL != second.URL {
		t.Fatalf("first %+v second %+v", first, second)
	}
	entries, err := os.ReadDir(filepath.Join(dir, "outbox", "acme", "demo"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "7.json" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("files %v, want only 7.json (no duplicate, no temporary file left)", names)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "outbox", "acme", "demo", "7.json"))
	if !strings.Contains(string(b), `"text": "second`) {
		t.Errorf("file not overwritten: %s", b)
	}
}

func TestBadNamesFail(t *testing.T) {
	pub := outbox.New(outbox.Options{DataDir: t.TempDir()})
	for _, ws := range []string{"", "../etc", "a/b"} {
		req := request(1, "x")
		req.Workspace = ws
		if res := pub.Publish(context.Background(), req); res.Outcome != herald.OutcomeFailed {
			t.Errorf("workspace %q: outcome %s, want failed", ws, res.Outcome)
		}
	}
}

func TestUnwritableDirFails(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root ignores directory permissions")
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o700)
	res := outbox.New(outbox.Options{DataDir: dir}).Publish(context.Background(), request(1, "x"))
	if res.Outcome != herald.OutcomeFailed {
		t.Errorf("outcome %s (%s), want failed on a permission error", res.Outcome, res.Reason)
	}
}

func TestValidateChannelAcceptsAnything(t *testing.T) {
	if err := outbox.New(outbox.Options{}).ValidateChannel(&herald.Channel{Name: "demo", Platform: "outbox"}); err != nil {
		t.Error(err)
	}
}
