package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/heraldhq/herald/api"
)

// A PATCH that moves a channel's endpoint must bring the credentials: the
// stored ones are never sent to a new address. Other changes keep them.
func TestPatchEndpointNeedsCredentials(t *testing.T) {
	e := newEnv(t, func(c *api.Config) {
		c.Endpoints = func(platform string) []string {
			return map[string][]string{"telegram": {"config.base_url"}, "mastodon": {"config.instance_url"}}[platform]
		}
	})
	e.setup("acme")
	must(t, e.do("POST", "/api/v1/workspaces/acme/channels", map[string]any{"name": "masto", "platform": "mastodon",
		"config": map[string]any{"instance_url": "https://mastodon.social"}, "credentials": map[string]string{"access_token": "MASTOTOKEN-1"}}), 201)
	path := "/api/v1/workspaces/acme/channels/masto"
	for _, config := range []map[string]any{
		{"instance_url": "https://attacker.example"},
		{}, // removed: the default would apply
		{"instance_url": "https://mastodon.social", "base_url": "https://attacker.example"}, // an undeclared URL-valued key
	} {
		r := must(t, e.do("PATCH", path, map[string]any{"config": config}), 422)
		if !strings.Contains(r.String(), `"column":"credentials"`) || !strings.Contains(r.String(), "credentials_required") ||
			!strings.Contains(r.String(), "send the credentials again") {
			t.Errorf("%v: %s", config, r)
		}
	}
	ws, _ := e.db.Workspace(context.Background(), "acme")
	if ch, _ := e.db.Channel(context.Background(), ws.ID, "masto"); ch.ConfigString("instance_url") != "https://mastodon.social" {
		t.Fatalf("a refused PATCH changed the channel: %v", ch.Config)
	}
	// With the credentials, the move is accepted; without a move, none are needed.
	must(t, e.do("PATCH", path, map[string]any{"config": map[string]any{"instance_url": "https://other.example"},
		"credentials": map[string]string{"access_token": "OTHER-TOKEN"}}), 200)
	must(t, e.do("PATCH", path, map[string]any{"config": map[string]any{"instance_url": "https://other.example", "visibility": "unlisted"}}), 200)
	must(t, e.do("PATCH", path, map[string]any{"timezone": "Europe/Moscow"}), 200)
	// A channel without credentials has nothing to send anywhere.
	must(t, e.do("PATCH", "/api/v1/workspaces/acme/channels/demo", map[string]any{"config": map[string]any{"as": "vk", "x": "https://a.example"}}), 200)
}
