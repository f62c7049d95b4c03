package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/heraldhq/herald/publishers/mastodon/mastodonfake"
	"github.com/heraldhq/herald/publishers/outbound"
	"github.com/heraldhq/herald/publishers/telegram/telegramfake"
)

// attacker is a loopback server that records every request it gets.
type attacker struct {
	*httptest.Server
	mu   sync.Mutex
	seen []string // method, path and Authorization of each request
}

func newAttacker(t *testing.T) *attacker {
	a := &attacker{}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.seen = append(a.seen, r.Method+" "+r.URL.Path+" "+r.Header.Get("Authorization"))
		a.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"ok":true,"result":{"id":1},"id":"1"}`))
	}))
	t.Cleanup(a.Close)
	return a
}

func (a *attacker) requests() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.seen...)
}

// Changing where a channel's credentials go takes the credentials again:
// a PATCH of the endpoint alone is refused, and a check afterwards still
// talks to the real platform, so the attacker's server never gets the
// Mastodon token nor the Telegram bot token (which travels in the path).
func TestPatchedEndpointNeverGetsTheStoredToken(t *testing.T) {
	masto := mastodonfake.New(mastodonfake.Options{Token: "MASTOTOKEN-0123456789"})
	defer masto.Close()
	tg := telegramfake.New(telegramfake.Options{Token: "4242:TELEGRAM-BOT-TOKEN"})
	defer tg.Close()
	evil := newAttacker(t)
	tm := mustRunMain(t, testConfig(t.TempDir()))
	tm.do(t, "POST", "/api/v1/workspaces", map[string]any{"slug": "brand", "name": "Brand"}, 201, nil)
	tm.do(t, "POST", "/api/v1/workspaces/brand/channels", map[string]any{"name": "masto", "platform": "mastodon",
		"config": map[string]any{"instance_url": masto.URL}, "credentials": map[string]string{"access_token": masto.Token}}, 201, nil)
	createTelegram(t, tm, "brand", "tg", "@brand", tg)

	for name, config := range map[string]map[string]any{
		"masto": {"instance_url": evil.URL},
		"tg":    {"chat_id": "@brand", "base_url": evil.URL},
	} {
		body := tm.do(t, "PATCH", "/api/v1/workspaces/brand/channels/"+name, map[string]any{"config": config}, 422, nil)
		if !strings.Contains(string(body), "credentials_required") || !strings.Contains(string(body), "send the credentials again") {
			t.Errorf("%s: %s", name, body)
		}
		var check checkAnswer
		tm.do(t, "POST", "/api/v1/workspaces/brand/channels/"+name+"/check", nil, 200, &check)
		if !check.OK {
			t.Errorf("%s: the check after a refused PATCH failed: %+v", name, check)
		}
	}
	if got := evil.requests(); len(got) != 0 {
		t.Fatalf("the attacker's server got %d requests: %q", len(got), got)
	}
	// Sending the credentials with the new endpoint is a deliberate move:
	// only what was sent goes there.
	tm.do(t, "PATCH", "/api/v1/workspaces/brand/channels/masto", map[string]any{"config": map[string]any{"instance_url": evil.URL},
		"credentials": map[string]string{"access_token": "NEW-TOKEN-FOR-THE-NEW-HOST"}}, 200, nil)
	tm.do(t, "POST", "/api/v1/workspaces/brand/channels/masto/check", nil, 200, nil)
	for _, r := range evil.requests() {
		if strings.Contains(r, masto.Token) || !strings.Contains(r, "NEW-TOKEN-FOR-THE-NEW-HOST") {
			t.Errorf("the new host got %q", r)
		}
	}
}

// By default a channel endpoint at a literal loopback, metadata or
// private address is refused when it is configured, naming the key; with
// HERALD_ALLOW_PRIVATE_NETWORKS covering it, it is accepted.
func TestChannelEndpointAtAPrivateAddressIsRefused(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.AllowPrivateNetworks = outbound.Allow{}
	tm := mustRunMain(t, cfg)
	tm.do(t, "POST", "/api/v1/workspaces", map[string]any{"slug": "brand", "name": "Brand"}, 201, nil)
	for _, u := range []string{"http://127.0.0.1:3000", "http://localhost", "http://[::1]:3000", "http://169.254.169.254",
		"http://0.0.0.0", "http://2130706433", "http://[::ffff:127.0.0.1]", "http://192.168.1.10"} {
		body := tm.do(t, "POST", "/api/v1/workspaces/brand/channels", map[string]any{"name": "masto", "platform": "mastodon",
			"config": map[string]any{"instance_url": u}, "credentials": map[string]string{"access_token": "T0KEN"}}, 422, nil)
		if !strings.Contains(string(body), `"column":"config.instance_url"`) || !strings.Contains(string(body), "address_refused") ||
			!strings.Contains(string(body), "HERALD_ALLOW_PRIVATE_NETWORKS") {
			t.Errorf("%s: %s", u, body)
		}
	}
	body := tm.do(t, "POST", "/api/v1/workspaces/brand/channels", map[string]any{"name": "hook", "platform": "discord",
		"credentials": map[string]string{"webhook_url": "http://10.0.0.1/api/webhooks/1/SECRET-WEBHOOK"}}, 422, nil)
	if !strings.Contains(string(body), `"column":"credentials.webhook_url"`) || strings.Contains(string(body), "SECRET-WEBHOOK") {
		t.Errorf("discord: %s", body)
	}

	cfg = testConfig(t.TempDir())
	cfg.AllowPrivateNetworks, _ = outbound.ParseAllow("192.168.1.0/24")
	tm = mustRunMain(t, cfg)
	tm.do(t, "POST", "/api/v1/workspaces", map[string]any{"slug": "brand", "name": "Brand"}, 201, nil)
	tm.do(t, "POST", "/api/v1/workspaces/brand/channels", map[string]any{"name": "masto", "platform": "mastodon",
		"config": map[string]any{"instance_url": "http://192.168.1.10"}, "credentials": map[string]string{"access_token": "T0KEN"}}, 201, nil)
}
