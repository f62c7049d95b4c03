package publishers

import (
	"net/http"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/discord"
	"github.com/heraldhq/herald/publishers/discord/discordfake"
	"github.com/heraldhq/herald/publishers/internal/conformance"
)

func init() {
	platforms = append(platforms, conformance.Entry{Name: "discord", Start: startDiscord, Replica: newDiscord,
		// 5 executes per 2 s per webhook; a 429 blocks the channel ("discord:<id>").
		Pace: discord.PaceEvery})
}

func startDiscord(t *testing.T, client *http.Client, clock conformance.Clock) (conformance.Platform, conformance.Publisher) {
	p := discordPlatform{discordfake.New(discordfake.Options{Now: clock.Now})}
	return p, newDiscord(p, client, clock)
}

func newDiscord(_ conformance.Platform, client *http.Client, clock conformance.Clock) conformance.Publisher {
	return discord.New(discord.Options{HTTPClient: client, Now: clock.Now})
}

// discordPlatform drives discordfake for the conformance scenarios. The
// channel names no guild_id, so the adapter reads it from the webhook object.
type discordPlatform struct{ fake *discordfake.Server }

func (p discordPlatform) Name() string { return "discord" }
func (p discordPlatform) Close()       { p.fake.Close() }

func (p discordPlatform) Channel() *herald.Channel {
	return &herald.Channel{ID: 1, Name: "discord-news", Platform: "discord",
		Credentials: map[string]string{"webhook_url": p.fake.WebhookURL}}
}

// Script answers the execute call as Discord documents each fault: 429
// with a float retry_after, 500, 403 Missing Permissions, 401 Invalid
// Webhook Token.
func (p discordPlatform) Script(f conformance.Fault) {
	switch f {
	case conformance.Throttle:
		p.fake.Script(discordfake.TooManyRequests(1.5))
	case conformance.ServerError:
		p.fake.Script(discordfake.ServerError())
	case conformance.Permanent:
		p.fake.Script(discordfake.MissingPermissions())
	case conformance.Unauthorized:
		p.fake.Script(discordfake.InvalidToken())
	case conformance.LostAnswer:
		p.fake.Script(discordfake.DropAfterPost())
	}
}

// Posted lists the messages, with the discord.com/channels URL convention.
func (p discordPlatform) Posted() []conformance.Posted {
	var out []conformance.Posted
	for _, m := range p.fake.Messages() {
		out = append(out, conformance.Posted{ID: m.ID, URL: m.URL, Text: m.Content, Media: len(m.Files)})
	}
	return out
}
