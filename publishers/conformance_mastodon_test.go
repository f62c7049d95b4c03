package publishers

import (
	"net/http"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/conformance"
	"github.com/heraldhq/herald/publishers/mastodon"
	"github.com/heraldhq/herald/publishers/mastodon/mastodonfake"
)

func init() {
	platforms = append(platforms, conformance.Entry{Name: "mastodon", Start: startMastodon, Replica: newMastodon,
		// 300 statuses per account in 3 hours; a 429 blocks the channel ("mastodon:<id>").
		Pace: mastodon.StatusEvery})
}

func startMastodon(t *testing.T, client *http.Client, clock conformance.Clock) (conformance.Platform, conformance.Publisher) {
	p := mastodonPlatform{mastodonfake.New(mastodonfake.Options{Now: clock.Now})}
	return p, newMastodon(p, client, clock)
}

func newMastodon(_ conformance.Platform, client *http.Client, clock conformance.Clock) conformance.Publisher {
	return mastodon.New(mastodon.Options{HTTPClient: client, Now: clock.Now, PollInterval: time.Millisecond})
}

// mastodonPlatform drives mastodonfake for the conformance scenarios.
type mastodonPlatform struct{ fake *mastodonfake.Server }

func (p mastodonPlatform) Name() string { return "mastodon" }
func (p mastodonPlatform) Close()       { p.fake.Close() }

func (p mastodonPlatform) Channel() *herald.Channel {
	return &herald.Channel{ID: 1, Name: "masto", Platform: "mastodon",
		Config:      map[string]any{"instance_url": p.fake.URL},
		Credentials: map[string]string{"access_token": p.fake.Token}}
}

// Script answers POST /api/v1/statuses as Mastodon documents each fault.
func (p mastodonPlatform) Script(f conformance.Fault) {
	const statuses = "/api/v1/statuses"
	switch f {
	case conformance.Throttle:
		p.fake.Script(mastodonfake.TooManyRequests(time.Minute).On(statuses))
	case conformance.ServerError:
		p.fake.Script(mastodonfake.ServerError().On(statuses))
	case conformance.Permanent:
		p.fake.Script(mastodonfake.Unprocessable("Validation failed: Text character limit of 500 exceeded").On(statuses))
	case conformance.Unauthorized:
		p.fake.Script(mastodonfake.Unauthorized().On(statuses))
	case conformance.LostAnswer:
		p.fake.Script(mastodonfake.DropAfterPost().On(statuses))
	}
}

// Posted lists the statuses.
func (p mastodonPlatform) Posted() []conformance.Posted {
	var out []conformance.Posted
	for _, s := range p.fake.Statuses() {
		out = append(out, conformance.Posted{ID: s.ID, URL: s.URL, Text: s.Text, Media: len(s.MediaIDs)})
	}
	return out
}
