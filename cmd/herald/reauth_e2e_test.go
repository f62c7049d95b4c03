package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"

	"github.com/heraldhq/herald/publishers/telegram/telegramfake"
)

type channelView struct {
	Name         string `json:"name"`
	Status       string `json:"status"`
	StatusReason string `json:"status_reason"`
}

type checkAnswer struct {
	OK     bool   `json:"ok"`
	Code   string `json:"code"`
	Reason string `json:"reason"`
}

// A token Telegram refuses (401) holds the channel's post instead of failing
// it, the channel and its check say why, and new credentials send the post.
func TestEndToEndReauthThenResume(t *testing.T) {
	fake := telegramfake.New(telegramfake.Options{})
	defer fake.Close()
	tm := mustRunMain(t, testConfig(t.TempDir()))
	tm.do(t, "POST", "/api/v1/workspaces", map[string]any{"slug": "brand", "name": "Brand"}, 201, nil)
	tm.do(t, "POST", "/api/v1/workspaces/brand/channels", map[string]any{
		"name": "tg", "platform": "telegram",
		"config":      map[string]any{"chat_id": "@brand", "base_url": fake.URL},
		"credentials": map[string]any{"bot_token": "999:REVOKED-token"},
	}, 201, nil)

	var chk checkAnswer
	tm.do(t, "POST", "/api/v1/workspaces/brand/channels/tg/check", nil, 200, &chk)
	if chk.OK || chk.Code != "unauthorized" || !strings.Contains(chk.Reason, "Unauthorized") {
		t.Errorf("check with a refused token: %+v", chk)
	}

	due := herald.Now().Truncate(time.Second).Add(time.Second)
	tm.do(t, "PUT", "/api/v1/workspaces/brand/plans/p", map[string]any{"posts": []map[string]any{
		{"key": "hello", "at": at(due), "channels": []string{"tg"}, "text": "Hello after reauth"},
	}}, 200, nil)

	var ch channelView
	eventually(t, 10*time.Second, func() string {
		tm.do(t, "GET", "/api/v1/workspaces/brand/channels/tg", nil, 200, &ch)
		if ch.Status != "needs_reauth" {
			return fmt.Sprintf("channel %+v, want needs_reauth", ch)
		}
		return ""
	})
	if !strings.Contains(ch.StatusReason, "Unauthorized") || strings.Contains(ch.StatusReason, "REVOKED") {
		t.Errorf("status reason %q: want Telegram's reason, never the token", ch.StatusReason)
	}
	r := tm.report(t, "brand", "p")
	if len(r.Rows) != 1 || r.Rows[0].Status != "scheduled" || r.Rows[0].Attempts != 1 || !strings.Contains(r.Rows[0].Error, "Unauthorized") {
		t.Fatalf("held delivery %+v, want scheduled after 1 attempt with the reason", r.Rows)
	}
	if msgs := fake.Messages(); len(msgs) != 0 {
		t.Fatalf("posted with a refused token: %+v", msgs)
	}

	ch = channelView{}
	tm.do(t, "PATCH", "/api/v1/workspaces/brand/channels/tg", map[string]any{
		"credentials": map[string]any{"bot_token": fake.Token},
	}, 200, &ch)
	if ch.Status != "active" || ch.StatusReason != "" {
		t.Errorf("channel after new credentials: %+v", ch)
	}
	msgs, err := fake.WaitMessages(1, 10*time.Second)
	if err != nil || msgs[0].Text != "Hello after reauth" {
		t.Fatalf("after new credentials the fake got %+v: %v", msgs, err)
	}
	r = tm.waitReport(t, "brand", "p", 10*time.Second, map[string]string{"hello/tg": "published"})
	if row := r.Rows[0]; row.Attempts != 2 || row.Error != "" || row.RemoteID == "" {
		t.Errorf("published row %+v", row)
	}
	tm.do(t, "POST", "/api/v1/workspaces/brand/channels/tg/check", nil, 200, &chk)
	if !chk.OK {
		t.Errorf("check with the good token: %+v", chk)
	}
}

// GET /api/v1/platforms lists every platform's rules with adapter and
// idempotency.
func TestEndToEndPlatforms(t *testing.T) {
	tm := mustRunMain(t, testConfig(t.TempDir()))
	var got struct {
		Items []struct {
			Platform   string `json:"platform"`
			MaxLength  int    `json:"max_length"`
			Unit       string `json:"unit"`
			MaxMedia   int    `json:"max_media"`
			Adapter    bool   `json:"adapter"`
			Idempotent bool   `json:"idempotent"`
		} `json:"items"`
	}
	tm.do(t, "GET", "/api/v1/platforms", nil, 200, &got)
	byName := map[string]int{}
	for i, p := range got.Items {
		byName[p.Platform] = i
		if i > 0 && got.Items[i-1].Platform >= p.Platform {
			t.Errorf("not sorted: %s before %s", got.Items[i-1].Platform, p.Platform)
		}
	}
	for _, name := range []string{"telegram", "mastodon", "outbox"} {
		i, ok := byName[name]
		if !ok || !got.Items[i].Adapter {
			t.Errorf("%s missing or without adapter: %+v", name, got.Items)
		}
	}
	if tg := got.Items[byName["telegram"]]; tg.MaxLength != 4096 || tg.Idempotent || tg.MaxMedia == 0 {
		t.Errorf("telegram %+v", tg)
	}
}
