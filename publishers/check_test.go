package publishers_test

import (
	"context"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers"
	"github.com/heraldhq/herald/publishers/internal/testkit"
	"github.com/heraldhq/herald/publishers/mastodon"
	"github.com/heraldhq/herald/publishers/mastodon/mastodonfake"
	"github.com/heraldhq/herald/publishers/telegram/telegramfake"
)

// Mastodon can list the account's statuses.
var _ publishers.Reconciler = (*mastodon.Publisher)(nil)

func TestCheck(t *testing.T) {
	tg := telegramfake.New(telegramfake.Options{})
	defer tg.Close()
	masto := mastodonfake.New(mastodonfake.Options{})
	defer masto.Close()
	pubs := publishers.New(publishers.Options{DataDir: t.TempDir(), Network: testkit.AllowLoopback})
	tgChannel := func(token string) *herald.Channel {
		return &herald.Channel{Name: "tg", Platform: "telegram",
			Config: map[string]any{"chat_id": "@brand", "base_url": tg.URL}, Credentials: map[string]string{"bot_token": token}}
	}
	tests := []struct {
		name string
		ch   *herald.Channel
		code string
	}{
		{"nil channel", nil, herald.EINVALID},
		{"unknown platform", &herald.Channel{Name: "a", Platform: "myspace"}, herald.EINVALID},
		{"incomplete channel", &herald.Channel{Name: "tg", Platform: "telegram", Config: map[string]any{}}, herald.EINVALID},
		{"telegram ok", tgChannel(tg.Token), ""},
		{"telegram refused token", tgChannel("1:wrong"), herald.EUNAUTHORIZED},
		{"mastodon ok", &herald.Channel{Name: "m", Platform: "mastodon", Config: map[string]any{"instance_url": masto.URL},
			Credentials: map[string]string{"access_token": masto.Token}}, ""},
		{"outbox", &herald.Channel{Name: "files", Platform: "outbox"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := publishers.Check(context.Background(), pubs, tc.ch)
			if got := herald.ErrorCode(err); got != tc.code {
				t.Fatalf("Check: %v (code %q), want code %q", err, got, tc.code)
			}
			if tc.name == "incomplete channel" && !strings.Contains(herald.ErrorMessage(err), "config.chat_id is required") {
				t.Errorf("message %q should name the problems", herald.ErrorMessage(err))
			}
		})
	}
	if n := len(tg.Messages()) + len(masto.Statuses()); n != 0 {
		t.Errorf("Check posted %d times", n)
	}
}
