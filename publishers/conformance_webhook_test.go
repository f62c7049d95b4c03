package publishers

import (
	"net/http"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/conformance"
	"github.com/heraldhq/herald/publishers/webhook"
	"github.com/heraldhq/herald/publishers/webhook/webhookfake"
)

func init() {
	// A receiver names no pace, only 429s with Retry-After, which block the channel ("webhook:<id>").
	platforms = append(platforms, conformance.Entry{Name: "webhook", Start: startWebhook, Replica: newWebhook})
}

func startWebhook(t *testing.T, client *http.Client, clock conformance.Clock) (conformance.Platform, conformance.Publisher) {
	p := webhookPlatform{webhookfake.New(webhookfake.Options{Now: clock.Now})}
	return p, newWebhook(p, client, clock)
}

func newWebhook(_ conformance.Platform, client *http.Client, clock conformance.Clock) conformance.Publisher {
	return webhook.New(webhook.Options{HTTPClient: client, Now: clock.Now})
}

// webhookPlatform drives webhookfake for the conformance scenarios; the
// receiver answers {"id": "evt_N"}.
type webhookPlatform struct{ fake *webhookfake.Server }

func (p webhookPlatform) Name() string { return "webhook" }
func (p webhookPlatform) Close()       { p.fake.Close() }

func (p webhookPlatform) Channel() *herald.Channel {
	return &herald.Channel{ID: 1, Name: "hook", Platform: "webhook",
		Config: map[string]any{"url": p.fake.URL}, Credentials: map[string]string{"secret": p.fake.Secret}}
}

// Script answers as a receiver would: 429 with Retry-After, 503, 422, 401
// for a refused signature.
func (p webhookPlatform) Script(f conformance.Fault) {
	switch f {
	case conformance.Throttle:
		p.fake.Script(webhookfake.TooManyRequests(2))
	case conformance.ServerError:
		p.fake.Script(webhookfake.ServerError())
	case conformance.Permanent:
		p.fake.Script(webhookfake.Unprocessable("text is required"))
	case conformance.Unauthorized:
		p.fake.Script(webhookfake.Unauthorized())
	case conformance.LostAnswer:
		p.fake.Script(webhookfake.DropAfterPost())
	}
}

// Posted lists the accepted deliveries: the receiver's id, the body text.
func (p webhookPlatform) Posted() []conformance.Posted {
	var out []conformance.Posted
	for _, d := range p.fake.Deliveries() {
		out = append(out, conformance.Posted{ID: d.ID, Text: d.Payload.Body, Media: len(d.Payload.Media)})
	}
	return out
}
