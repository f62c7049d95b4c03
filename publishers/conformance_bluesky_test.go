package publishers

import (
	"net/http"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/bluesky"
	"github.com/heraldhq/herald/publishers/bluesky/blueskyfake"
	"github.com/heraldhq/herald/publishers/internal/conformance"
)

func init() {
	platforms = append(platforms, conformance.Entry{Name: "bluesky", Start: startBluesky, Replica: newBluesky,
		// 35,000 write points a day, 3 a post (the hourly 5,000 allow more); a 429 blocks the channel ("bluesky:<id>").
		Pace: 24 * time.Hour / bluesky.WritesPerDay})
}

func startBluesky(t *testing.T, client *http.Client, clock conformance.Clock) (conformance.Platform, conformance.Publisher) {
	p := blueskyPlatform{blueskyfake.New(blueskyfake.Options{Now: clock.Now})}
	return p, newBluesky(p, client, clock)
}

func newBluesky(_ conformance.Platform, client *http.Client, clock conformance.Clock) conformance.Publisher {
	return Registry["bluesky"](Options{HTTPClient: client, Now: clock.Now})
}

// blueskyPlatform drives blueskyfake for the conformance scenarios.
type blueskyPlatform struct{ fake *blueskyfake.Server }

func (p blueskyPlatform) Name() string { return "bluesky" }
func (p blueskyPlatform) Close()       { p.fake.Close() }

func (p blueskyPlatform) Channel() *herald.Channel {
	return &herald.Channel{ID: 1, Name: "bsky", Platform: "bluesky",
		Config:      map[string]any{"pds_url": p.fake.URL, "handle": p.fake.Handle},
		Credentials: map[string]string{"app_password": p.fake.AppPassword}}
}

func (p blueskyPlatform) Script(f conformance.Fault) {
	const put = "com.atproto.repo.putRecord"
	switch f {
	case conformance.Throttle:
		p.fake.Script(blueskyfake.RateLimited(30 * time.Second).On(put))
	case conformance.ServerError:
		p.fake.Script(blueskyfake.ServerError().On(put))
	case conformance.Permanent:
		p.fake.Script(blueskyfake.InvalidRequest("Invalid app.bsky.feed.post record: Record/text must not be longer than 300 graphemes").On(put))
	case conformance.Unauthorized:
		// A fresh publisher opens a session first: the PDS refuses the app password.
		p.fake.Script(blueskyfake.AuthenticationRequired().On("com.atproto.server.createSession"))
	case conformance.LostAnswer:
		p.fake.Script(blueskyfake.DropAfterPost().On(put))
	}
}

// Posted lists the post records, with the documented bsky.app URL convention.
func (p blueskyPlatform) Posted() []conformance.Posted {
	var out []conformance.Posted
	for _, post := range p.fake.Posts() {
		out = append(out, conformance.Posted{ID: post.URI, Text: post.Text, Media: len(post.Images),
			URL: bluesky.AppURL + "/profile/" + p.fake.Handle + "/post/" + post.Rkey})
	}
	return out
}
