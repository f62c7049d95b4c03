package publishers

import (
	"net/http"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/facebook"
	"github.com/heraldhq/herald/publishers/facebook/facebookfake"
	"github.com/heraldhq/herald/publishers/internal/conformance"
)

func init() {
	// Facebook names no pace, only waits (throttling codes, usage headers), which block the token.
	platforms = append(platforms, conformance.Entry{Name: "facebook", Start: startFacebook, Replica: newFacebook})
}

func startFacebook(t *testing.T, client *http.Client, clock conformance.Clock) (conformance.Platform, conformance.Publisher) {
	p := facebookPlatform{facebookfake.New(facebookfake.Options{Now: clock.Now})}
	return p, newFacebook(p, client, clock)
}

func newFacebook(_ conformance.Platform, client *http.Client, clock conformance.Clock) conformance.Publisher {
	return facebook.New(facebook.Options{HTTPClient: client, Now: clock.Now})
}

// facebookPlatform drives facebookfake for the conformance scenarios.
type facebookPlatform struct{ fake *facebookfake.Server }

func (p facebookPlatform) Name() string { return "facebook" }
func (p facebookPlatform) Close()       { p.fake.Close() }

func (p facebookPlatform) Channel() *herald.Channel {
	return &herald.Channel{ID: 1, Name: "fb-page", Platform: "facebook",
		Config:      map[string]any{"base_url": p.fake.URL, "page_id": p.fake.PageID},
		Credentials: map[string]string{"page_access_token": p.fake.Token}}
}

// SharedChannel is another Page posted to with the same token: a
// throttling code blocks the token ("facebook:token:<hash>").
func (p facebookPlatform) SharedChannel() *herald.Channel {
	ch := p.Channel()
	ch.ID, ch.Name = 2, "fb-page-2"
	ch.Config["page_id"] = p.fake.PageID + "2"
	return ch
}

// Script answers POST /feed as the Graph API documents each fault: 32 with
// X-Page-Usage, 2 is_transient with HTTP 500, 100, 190; a lost answer
// makes the post, then closes the connection.
func (p facebookPlatform) Script(f conformance.Fault) {
	switch f {
	case conformance.Throttle:
		p.fake.Script(facebookfake.PageRateLimited(5).On("feed"))
	case conformance.ServerError:
		p.fake.Script(facebookfake.Transient().On("feed"))
	case conformance.Permanent:
		p.fake.Script(facebookfake.InvalidParam("The parameter message is invalid").On("feed"))
	case conformance.Unauthorized:
		p.fake.Script(facebookfake.TokenExpired().On("feed"))
	case conformance.LostAnswer:
		p.fake.Script(facebookfake.DropAfterPost().On("feed"))
	}
}

// ScriptEarlyLoss posts two photos, whose first unpublished upload is made
// but its answer lost: nothing shows on the Page before /feed.
func (p facebookPlatform) ScriptEarlyLoss(req *herald.PublishRequest) {
	req.Message.Media = []string{"https://cdn.example.com/one.jpg", "https://cdn.example.com/two.jpg"}
	p.fake.Script(facebookfake.DropAfterPost().On("photos"))
}

// Posted lists the Page posts with their permalink_url.
func (p facebookPlatform) Posted() []conformance.Posted {
	var out []conformance.Posted
	for _, post := range p.fake.Posts() {
		out = append(out, conformance.Posted{ID: post.ID, URL: post.PermalinkURL, Text: post.Message, Media: len(post.Photos)})
	}
	return out
}
