package publishers_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers"
	"github.com/heraldhq/herald/publishers/internal/testkit"
	"github.com/heraldhq/herald/publishers/mastodon"
	"github.com/heraldhq/herald/publishers/outbound"
	"github.com/heraldhq/herald/publishers/outbox"
	"github.com/heraldhq/herald/publishers/telegram"
)

// The adapters implement Publisher (asserted here: the sub-packages cannot
// import publishers without a cycle).
var (
	_ publishers.Publisher = (*outbox.Publisher)(nil)
	_ publishers.Publisher = (*telegram.Publisher)(nil)
	_ publishers.Publisher = (*mastodon.Publisher)(nil)
)

func TestNew(t *testing.T) {
	pubs := publishers.New(publishers.Options{DataDir: t.TempDir(), Network: testkit.AllowLoopback})
	if len(pubs) != len(publishers.Registry) {
		t.Fatalf("%d publishers for %d registered platforms", len(pubs), len(publishers.Registry))
	}
	if names := publishers.Names(pubs); !sort.StringsAreSorted(names) {
		t.Errorf("names not sorted: %v", names)
	}
	for name, want := range map[string]bool{"outbox": true, "telegram": false, "mastodon": true} {
		if pubs[name].Idempotent() != want {
			t.Errorf("%s.Idempotent() = %v, want %v", name, !want, want)
		}
	}
}

func TestNewOutboxUsesDataDir(t *testing.T) {
	dir := t.TempDir()
	pubs := publishers.New(publishers.Options{DataDir: dir})
	res := pubs["outbox"].Publish(context.Background(), herald.PublishRequest{
		Workspace: "acme", DeliveryID: 1, Channel: herald.Channel{Name: "demo", Platform: "outbox"},
		Message: herald.Message{Text: "hi"}})
	if res.Outcome != herald.OutcomePublished || res.URL != "outbox/acme/demo/1.json" {
		t.Errorf("got %s %q", res.Outcome, res.URL)
	}
}

func TestValidateChannel(t *testing.T) {
	pubs := publishers.New(publishers.Options{DataDir: t.TempDir(), Network: testkit.AllowLoopback})
	tests := []struct {
		name  string
		ch    herald.Channel
		cols  string // columns of the problems, "" when valid
		codes string
	}{
		{"outbox", herald.Channel{Name: "demo", Platform: "outbox"}, "", ""},
		{"outbox standing in for vk", herald.Channel{Name: "vk-group", Platform: "outbox", Config: map[string]any{"as": "vk"}}, "", ""},
		{"outbox standing in for nothing known", herald.Channel{Name: "x", Platform: "outbox", Config: map[string]any{"as": "myspace"}}, "config.as", "unknown_platform"},
		{"outbox standing in for outbox", herald.Channel{Name: "x", Platform: "outbox", Config: map[string]any{"as": "outbox"}}, "config.as", "unknown_platform"},
		{"unknown platform", herald.Channel{Name: "x", Platform: "myspace"}, "platform", "unknown_platform"},
		{"no platform", herald.Channel{Name: "x"}, "platform", "required"},
		{"telegram without config", herald.Channel{Name: "tg", Platform: "telegram"},
			"config.chat_id,credentials.bot_token", "required,required"},
		{"telegram ok", herald.Channel{Name: "tg", Platform: "telegram", Config: map[string]any{"chat_id": "@brand"},
			Credentials: map[string]string{"bot_token": "1:A"}}, "", ""},
		{"mastodon without config", herald.Channel{Name: "m", Platform: "mastodon"},
			"config.instance_url,credentials.access_token", "required,required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := publishers.ValidateChannel(pubs, &tc.ch, outbound.Allow{})
			var cols, codes []string
			for _, p := range herald.ErrorDetails(err) {
				cols, codes = append(cols, p.Column), append(codes, p.Code)
			}
			if strings.Join(cols, ",") != tc.cols || strings.Join(codes, ",") != tc.codes {
				t.Errorf("problems %v %v, want %s %s (err %v)", cols, codes, tc.cols, tc.codes, err)
			}
			if wantCode := map[bool]string{true: "", false: herald.EVALIDATION}[tc.cols == ""]; herald.ErrorCode(err) != wantCode {
				t.Errorf("code %q, want %q", herald.ErrorCode(err), wantCode)
			}
		})
	}
	if err := publishers.ValidateChannel(pubs, &herald.Channel{Platform: "myspace"}, outbound.Allow{}); !strings.Contains(herald.ErrorDetails(err)[0].Message, strings.Join(publishers.Names(pubs), ", ")) {
		t.Errorf("the message should list the platforms: %v", herald.ErrorDetails(err))
	}
}

// Every endpoint an adapter declares is checked when a channel is
// configured: a 422 problem naming the key for a literal loopback,
// metadata or private address (unless allowed), another scheme or user
// info; the URL itself is never repeated (a webhook URL is a secret).
func TestValidateChannelEndpoints(t *testing.T) {
	pubs := publishers.New(publishers.Options{DataDir: t.TempDir()})
	lan, _ := outbound.ParseAllow("10.0.0.0/8")
	tests := []struct {
		ch    herald.Channel
		allow outbound.Allow
		col   string // "" when valid
		code  string
	}{
		{herald.Channel{Platform: "mastodon", Config: map[string]any{"instance_url": "https://mastodon.social"}}, outbound.Allow{}, "", ""},
		{herald.Channel{Platform: "mastodon", Config: map[string]any{"instance_url": "http://127.0.0.1:3000"}}, outbound.Allow{}, "config.instance_url", "address_refused"},
		{herald.Channel{Platform: "mastodon", Config: map[string]any{"instance_url": "http://localhost:3000"}}, outbound.Allow{}, "config.instance_url", "address_refused"},
		{herald.Channel{Platform: "mastodon", Config: map[string]any{"instance_url": "http://[::1]/"}}, outbound.Allow{}, "config.instance_url", "address_refused"},
		{herald.Channel{Platform: "mastodon", Config: map[string]any{"instance_url": "http://2130706433/"}}, outbound.Allow{}, "config.instance_url", "address_refused"},
		{herald.Channel{Platform: "mastodon", Config: map[string]any{"instance_url": "http://[::ffff:127.0.0.1]/"}}, outbound.Allow{}, "config.instance_url", "address_refused"},
		{herald.Channel{Platform: "mastodon", Config: map[string]any{"instance_url": "http://0.0.0.0/"}}, outbound.Allow{}, "config.instance_url", "address_refused"},
		{herald.Channel{Platform: "mastodon", Config: map[string]any{"instance_url": "http://10.1.2.3/"}}, lan, "", ""},
		{herald.Channel{Platform: "mastodon", Config: map[string]any{"instance_url": "https://u:p@mastodon.social"}}, outbound.Allow{}, "config.instance_url", "invalid_url"},
		{herald.Channel{Platform: "telegram", Config: map[string]any{"chat_id": "@b", "base_url": "http://169.254.169.254/latest"}}, outbound.Allow{}, "config.base_url", "address_refused"},
		{herald.Channel{Platform: "telegram", Config: map[string]any{"chat_id": "@b", "base_url": "http://169.254.169.254/latest"}}, outbound.AllowAll, "", ""},
		{herald.Channel{Platform: "bluesky", Config: map[string]any{"handle": "b.bsky.social", "pds_url": "http://192.168.1.1"}}, outbound.Allow{}, "config.pds_url", "address_refused"},
		{herald.Channel{Platform: "webhook", Config: map[string]any{"url": "http://100.64.0.1/hook"}}, outbound.Allow{}, "config.url", "address_refused"},
		{herald.Channel{Platform: "x", Config: map[string]any{"upload_base_url": "http://[fd00::1]"}}, outbound.Allow{}, "config.upload_base_url", "address_refused"},
		{herald.Channel{Platform: "discord", Credentials: map[string]string{"webhook_url": "http://127.0.0.1/api/webhooks/1/SECRETTOKEN"}}, outbound.Allow{}, "credentials.webhook_url", "address_refused"},
		{herald.Channel{Platform: "slack", Credentials: map[string]string{"webhook_url": "http://127.0.0.1/services/T1/B1/SECRETTOKEN"}}, outbound.Allow{}, "credentials.webhook_url", "address_refused"},
	}
	for _, tc := range tests {
		ch := tc.ch
		ch.Name = "c"
		err := publishers.ValidateChannel(pubs, &ch, tc.allow)
		var got *herald.Problem
		for _, p := range herald.ErrorDetails(err) {
			if strings.HasPrefix(p.Column, "config.") && strings.Contains(p.Column, "url") || p.Column == "credentials.webhook_url" && p.Code != "required" {
				got = &p
			}
		}
		switch {
		case tc.col == "" && got != nil:
			t.Errorf("%s %v: %+v, want the endpoint accepted", ch.Platform, ch.Config, *got)
		case tc.col != "" && (got == nil || got.Column != tc.col || got.Code != tc.code || !strings.HasPrefix(got.Message, tc.col)):
			t.Errorf("%s %v: %+v, want %s %s (all: %v)", ch.Platform, ch.Config, got, tc.col, tc.code, herald.ErrorDetails(err))
		}
		if strings.Contains(fmt.Sprint(herald.ErrorDetails(err)), "SECRETTOKEN") {
			t.Errorf("a problem repeats the webhook URL: %v", herald.ErrorDetails(err))
		}
	}
}
