package publishers

import (
	"net/http"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/conformance"
	"github.com/heraldhq/herald/publishers/slack"
	"github.com/heraldhq/herald/publishers/slack/slackfake"
)

func init() {
	platforms = append(platforms, conformance.Entry{Name: "slack", Start: startSlack, Replica: newSlack,
		// About one message a second per webhook; a 429 blocks the channel ("slack:<id>").
		Pace: slack.PaceEvery})
}

func startSlack(t *testing.T, client *http.Client, clock conformance.Clock) (conformance.Platform, conformance.Publisher) {
	p := slackPlatform{slackfake.New(slackfake.Options{Now: clock.Now})}
	return p, newSlack(p, client, clock)
}

func newSlack(_ conformance.Platform, client *http.Client, clock conformance.Clock) conformance.Publisher {
	return slack.New(slack.Options{HTTPClient: client, Now: clock.Now})
}

// slackPlatform drives slackfake for the conformance scenarios. Slack
// answers no id or URL, so Posted has neither.
type slackPlatform struct{ fake *slackfake.Server }

func (p slackPlatform) Name() string { return "slack" }
func (p slackPlatform) Close()       { p.fake.Close() }

func (p slackPlatform) Channel() *herald.Channel {
	return &herald.Channel{ID: 1, Name: "slack-news", Platform: "slack",
		Credentials: map[string]string{"webhook_url": p.fake.WebhookURL}}
}

// Script answers as Slack documents each fault, in plain text: 429 with
// Retry-After, 500 rollup_error, 404 channel_not_found, 403 invalid_token.
func (p slackPlatform) Script(f conformance.Fault) {
	switch f {
	case conformance.Throttle:
		p.fake.Script(slackfake.TooManyRequests(1))
	case conformance.ServerError:
		p.fake.Script(slackfake.RollupError())
	case conformance.Permanent:
		p.fake.Script(slackfake.ChannelNotFound())
	case conformance.Unauthorized:
		p.fake.Script(slackfake.InvalidToken())
	case conformance.LostAnswer:
		p.fake.Script(slackfake.DropAfterPost())
	}
}

// Posted lists the messages as Slack shows them.
func (p slackPlatform) Posted() []conformance.Posted {
	var out []conformance.Posted
	for _, m := range p.fake.Messages() {
		out = append(out, conformance.Posted{Text: m.Shown, Media: len(m.Images)})
	}
	return out
}
