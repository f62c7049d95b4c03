package publishers

import (
	"context"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/instagram"
	"github.com/heraldhq/herald/publishers/instagram/instagramfake"
	"github.com/heraldhq/herald/publishers/internal/conformance"
	"github.com/heraldhq/herald/publishers/internal/container/containerfake"
)

func init() {
	platforms = append(platforms, conformance.Entry{Name: "instagram", Start: startInstagram})
}

// conformanceImage is the image instagramWithImage adds: Instagram posts
// need one, and the harness's text post has none.
const conformanceImage = "https://cdn.example.com/conformance.jpg"

func startInstagram(t *testing.T) (conformance.Platform, conformance.Publisher) {
	fake := instagramfake.New(instagramfake.Options{PollsToFinish: 1})
	pub := instagram.New(instagram.Options{Wait: func(context.Context, time.Duration) error { return nil }})
	return instagramPlatform{fake}, instagramWithImage{pub}
}

// instagramWithImage gives the harness's text-only requests one image, the
// least an Instagram post carries; instagramPlatform.Posted does not count it.
type instagramWithImage struct{ *instagram.Publisher }

func (p instagramWithImage) Publish(ctx context.Context, req herald.PublishRequest) herald.Result {
	if len(req.Message.Media) == 0 {
		req.Message.Media = []string{conformanceImage}
	}
	return p.Publisher.Publish(ctx, req)
}

// instagramPlatform drives instagramfake for the conformance scenarios.
type instagramPlatform struct{ fake *instagramfake.Server }

func (p instagramPlatform) Name() string { return "instagram" }
func (p instagramPlatform) Close()       { p.fake.Close() }

func (p instagramPlatform) Channel() *herald.Channel {
	return &herald.Channel{ID: 1, Name: "ig", Platform: "instagram",
		Config:      map[string]any{"base_url": p.fake.URL, "ig_user_id": p.fake.UserID()},
		Credentials: map[string]string{"access_token": p.fake.Token}}
}

// Script answers the container creation as the Graph API documents each
// fault: 4 with X-Business-Use-Case-Usage, 2 with HTTP 500, 100, 190.
func (p instagramPlatform) Script(f conformance.Fault) {
	switch f {
	case conformance.Throttle:
		p.fake.Script(containerfake.Throttled(4, 5).On(containerfake.StepCreate))
	case conformance.ServerError:
		p.fake.Script(containerfake.ServiceUnavailable().On(containerfake.StepCreate))
	case conformance.Permanent:
		p.fake.Script(containerfake.InvalidParam("caption contains too many hashtags").On(containerfake.StepCreate))
	case conformance.Unauthorized:
		p.fake.Script(containerfake.InvalidToken().On(containerfake.StepCreate))
	}
}

// Posted lists the published posts with their permalinks, not counting
// the image instagramWithImage adds.
func (p instagramPlatform) Posted() []conformance.Posted {
	var out []conformance.Posted
	for _, post := range p.fake.Posts() {
		n := post.Media
		if n == 1 {
			n = 0
		}
		out = append(out, conformance.Posted{ID: post.ID, URL: post.Permalink, Text: post.Text, Media: n})
	}
	return out
}
