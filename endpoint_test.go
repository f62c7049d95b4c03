package herald

import (
	"strings"
	"testing"
)

func TestEndpointChanges(t *testing.T) {
	old := &Channel{Config: map[string]any{"instance_url": "https://mastodon.social", "visibility": "public", "avatar_url": "https://cdn/a.png"},
		Credentials: map[string]string{"access_token": "T"}}
	endpoints := []string{"config.instance_url"}
	tests := []struct {
		config map[string]any
		want   string
	}{
		{map[string]any{"instance_url": "https://mastodon.social", "visibility": "unlisted", "avatar_url": "https://cdn/a.png"}, ""},
		{map[string]any{"instance_url": "https://mastodon.social/", "visibility": "public", "avatar_url": "https://cdn/a.png"}, "config.instance_url"},
		{map[string]any{"instance_url": "https://attacker.example", "visibility": "public", "avatar_url": "https://cdn/a.png"}, "config.instance_url"},
		{map[string]any{"visibility": "public", "avatar_url": "https://cdn/a.png"}, "config.instance_url"},
		// Undeclared URL-valued keys count too: added, changed or removed.
		{map[string]any{"instance_url": "https://mastodon.social", "visibility": "public", "avatar_url": "https://cdn/b.png"}, "config.avatar_url"},
		{map[string]any{"instance_url": "https://mastodon.social", "avatar_url": "https://cdn/a.png", "base_url": "http://evil"}, "config.base_url"},
		{map[string]any{"instance_url": "https://mastodon.social"}, "config.avatar_url"},
		{map[string]any{"instance_url": "http://x", "avatar_url": "https://cdn/b.png"}, "config.avatar_url,config.instance_url"},
	}
	for _, tc := range tests {
		next := &Channel{Config: tc.config, Credentials: old.Credentials}
		if got := strings.Join(old.EndpointChanges(next, endpoints), ","); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.config, got, tc.want)
		}
	}
	hook := &Channel{Credentials: map[string]string{"webhook_url": "https://discord.com/api/webhooks/1/a"}}
	moved := &Channel{Credentials: map[string]string{"webhook_url": "https://evil.example/api/webhooks/1/a"}}
	if got := hook.EndpointChanges(moved, []string{"credentials.webhook_url"}); len(got) != 1 {
		t.Errorf("webhook_url: %v", got)
	}
}
