package publishers

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/conformance"
	"github.com/heraldhq/herald/publishers/x"
	"github.com/heraldhq/herald/publishers/x/xfake"
)

func init() {
	platforms = append(platforms, conformance.Entry{Name: "x", Start: startX, Replica: newX,
		// 100 posts per user in 15 minutes; a 429 blocks the channel ("x:<id>") until x-rate-limit-reset.
		Pace: x.DefaultTweetEvery})
}

func startX(t *testing.T, client *http.Client, clock conformance.Clock) (conformance.Platform, conformance.Publisher) {
	p := xPlatform{xfake.New(xfake.Options{Now: clock.Now})}
	return p, newX(p, client, clock)
}

func newX(_ conformance.Platform, client *http.Client, clock conformance.Clock) conformance.Publisher {
	// A store that keeps nothing: the Unauthorized scenario refreshes first.
	save := func(context.Context, int64, map[string]string) error { return nil }
	return x.New(x.Options{HTTPClient: client, Now: clock.Now, SaveCredentials: save})
}

// xPlatform drives xfake for the conformance scenarios.
type xPlatform struct{ fake *xfake.Server }

func (p xPlatform) Name() string { return "x" }
func (p xPlatform) Close()       { p.fake.Close() }

func (p xPlatform) Channel() *herald.Channel {
	return &herald.Channel{ID: 1, Name: "x", Platform: "x",
		Config:      map[string]any{"username": p.fake.Username(), "base_url": p.fake.URL},
		Credentials: p.fake.Credentials()}
}

func (p xPlatform) Script(f conformance.Fault) {
	switch f {
	case conformance.Throttle:
		p.fake.Script(xfake.TooManyRequests(30 * time.Second))
	case conformance.ServerError:
		p.fake.Script(xfake.ServerError())
	case conformance.Permanent:
		p.fake.Script(xfake.Duplicate())
	case conformance.Unauthorized:
		// The user revoked the app: the token answers 401 and the refresh invalid_grant.
		p.fake.Revoke()
	case conformance.LostAnswer:
		p.fake.Script(xfake.DropAfterPost())
	}
}

// Posted lists the tweets, with the https://x.com/<username>/status/<id> convention.
func (p xPlatform) Posted() []conformance.Posted {
	var out []conformance.Posted
	for _, tw := range p.fake.Tweets() {
		out = append(out, conformance.Posted{ID: tw.ID, URL: tw.URL, Text: tw.Text, Media: len(tw.MediaIDs)})
	}
	return out
}
