package publishers_test

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers"
	"github.com/heraldhq/herald/publishers/internal/testkit"
	"github.com/heraldhq/herald/publishers/mastodon"
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
			err := publishers.ValidateChannel(pubs, &tc.ch)
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
	if err := publishers.ValidateChannel(pubs, &herald.Channel{Platform: "myspace"}); !strings.Contains(herald.ErrorDetails(err)[0].Message, strings.Join(publishers.Names(pubs), ", ")) {
		t.Errorf("the message should list the platforms: %v", herald.ErrorDetails(err))
	}
}
