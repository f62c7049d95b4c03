package api_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/api"
)

func TestCheckChannel(t *testing.T) {
	var checked []string
	e := newEnv(t, func(c *api.Config) {
		c.CheckChannel = func(_ context.Context, ch *herald.Channel) error {
			checked = append(checked, ch.Name+":"+ch.Credentials["bot_token"])
			switch ch.Name {
			case "good":
				return nil
			case "revoked":
				return herald.Errorf(herald.EUNAUTHORIZED, "getMe: Unauthorized (the bot token was refused)")
			}
			return errors.New("dial tcp: connection refused")
		}
	})
	must(t, e.do("POST", "/api/v1/workspaces", map[string]any{"slug": "acme", "name": "Acme"}), 201)
	for _, name := range []string{"good", "revoked", "down"} {
		must(t, e.do("POST", "/api/v1/workspaces/acme/channels", map[string]any{"name": name, "platform": "telegram",
			"config": map[string]any{"chat_id": "@x"}, "credentials": map[string]string{"bot_token": "T-" + name}}), 201)
	}
	var ok struct {
		OK     bool   `json:"ok"`
		Code   string `json:"code"`
		Reason string `json:"reason"`
	}
	must(t, e.do("POST", "/api/v1/workspaces/acme/channels/good/check", nil), 200).decode(t, &ok)
	if !ok.OK || ok.Code != "" || ok.Reason != "" {
		t.Errorf("good channel: %+v", ok)
	}
	r := must(t, e.do("POST", "/api/v1/workspaces/acme/channels/revoked/check", nil), 200)
	r.decode(t, &ok)
	if ok.OK || ok.Code != herald.EUNAUTHORIZED || ok.Reason != "getMe: Unauthorized (the bot token was refused)" {
		t.Errorf("revoked channel: %s", r.body)
	}
	r = must(t, e.do("POST", "/api/v1/workspaces/acme/channels/down/check", nil), 502)
	if r.errorCode(t) != "bad_gateway" || strings.Contains(r.String(), "connection refused") {
		t.Errorf("check that could not run: %s", r.body)
	}
	must(t, e.do("POST", "/api/v1/workspaces/acme/channels/nope/check", nil), 404)
	if strings.Join(checked, ",") != "good:T-good,revoked:T-revoked,down:T-down" {
		t.Errorf("checked %v: want each channel with its decrypted credentials", checked)
	}
}

func TestCheckChannelNotConfigured(t *testing.T) {
	e := newEnv(t)
	e.setup("acme")
	must(t, e.do("POST", "/api/v1/workspaces/acme/channels/demo/check", nil), 500)
}

func TestPlatforms(t *testing.T) {
	type platform struct {
		Name       string `json:"name"`
		Idempotent bool   `json:"idempotent"`
	}
	e := newEnv(t, func(c *api.Config) {
		c.Platforms = func() any { return []platform{{"telegram", false}, {"vk", true}} }
	})
	var got struct{ Items []platform }
	must(t, e.do("GET", "/api/v1/platforms", nil), 200).decode(t, &got)
	if len(got.Items) != 2 || got.Items[1] != (platform{"vk", true}) {
		t.Errorf("platforms %+v", got.Items)
	}
	must(t, e.doAs("", "GET", "/api/v1/platforms", nil), 401)

	r := must(t, newEnv(t).do("GET", "/api/v1/platforms", nil), 200)
	if strings.TrimSpace(r.String()) != `{"items":[]}` {
		t.Errorf("no platforms configured: %s", r.body)
	}
}

// Channel views show the status and why; new credentials make it active.
func TestChannelStatusShown(t *testing.T) {
	e := newEnv(t)
	e.setup("acme")
	r := must(t, e.do("GET", "/api/v1/workspaces/acme/channels/demo", nil), 200)
	if !strings.Contains(r.String(), `"status":"active"`) || strings.Contains(r.String(), "status_reason") {
		t.Errorf("new channel: %s", r.body)
	}
	must(t, e.do("PUT", "/api/v1/workspaces/acme/plans/p", jsonPlan("hello")), 200)

	ctx := context.Background()
	due, err := time.Parse("2006-01-02 15:04", future+" 10:00")
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := e.db.ClaimDue(ctx, "w", due, time.Minute, 1)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("claim %v %v", jobs, err)
	}
	res := herald.Result{Outcome: herald.OutcomeReauth, Reason: "401 Unauthorized"}
	if err := e.db.Complete(ctx, "w", jobs[0], res, due, time.Time{}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/v1/workspaces/acme/channels/demo", "/api/v1/workspaces/acme/channels"} {
		r = must(t, e.do("GET", path, nil), 200)
		if !strings.Contains(r.String(), `"status":"needs_reauth","status_reason":"401 Unauthorized"`) {
			t.Errorf("GET %s: %s", path, r.body)
		}
	}
	r = must(t, e.do("PATCH", "/api/v1/workspaces/acme/channels/demo", map[string]any{"credentials": map[string]string{"token": "new"}}), 200)
	if !strings.Contains(r.String(), `"status":"active"`) || strings.Contains(r.String(), "status_reason") {
		t.Errorf("after new credentials: %s", r.body)
	}
}
