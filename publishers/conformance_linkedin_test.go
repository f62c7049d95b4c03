package publishers

import (
	"net/http"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/conformance"
	"github.com/heraldhq/herald/publishers/linkedin"
	"github.com/heraldhq/herald/publishers/linkedin/linkedinfake"
)

func init() {
	// LinkedIn names no pace, only 429s (daily limits), which block the channel ("linkedin:<id>").
	platforms = append(platforms, conformance.Entry{Name: "linkedin", Start: startLinkedIn, Replica: newLinkedIn})
}

func startLinkedIn(t *testing.T, client *http.Client, clock conformance.Clock) (conformance.Platform, conformance.Publisher) {
	p := linkedinPlatform{linkedinfake.New(linkedinfake.Options{})}
	return p, newLinkedIn(p, client, clock)
}

func newLinkedIn(_ conformance.Platform, client *http.Client, clock conformance.Clock) conformance.Publisher {
	return linkedin.New(linkedin.Options{HTTPClient: client, Now: clock.Now})
}

// linkedinPlatform drives linkedinfake for the conformance scenarios, as a member.
type linkedinPlatform struct{ fake *linkedinfake.Server }

func (p linkedinPlatform) Name() string { return "linkedin" }
func (p linkedinPlatform) Close()       { p.fake.Close() }

func (p linkedinPlatform) Channel() *herald.Channel {
	return &herald.Channel{ID: 1, Name: "linkedin", Platform: "linkedin",
		Config:      map[string]any{"author": p.fake.Author, "base_url": p.fake.URL},
		Credentials: map[string]string{"access_token": p.fake.Token}}
}

// Script answers POST /rest/posts as LinkedIn documents each fault: 429
// (no reset header), 500, a 422 validation refusal, 401
// EXPIRED_ACCESS_TOKEN; a lost answer makes the post, then closes the
// connection.
func (p linkedinPlatform) Script(f conformance.Fault) {
	switch f {
	case conformance.Throttle:
		p.fake.Script(linkedinfake.Throttled().On(linkedinfake.OpPosts))
	case conformance.ServerError:
		p.fake.Script(linkedinfake.ServerError().On(linkedinfake.OpPosts))
	case conformance.Permanent:
		p.fake.Script(linkedinfake.Unprocessable("ERROR :: /commentary :: length 3001 exceeds maximum length 3000").On(linkedinfake.OpPosts))
	case conformance.Unauthorized:
		p.fake.Script(linkedinfake.Unauthorized().On(linkedinfake.OpPosts))
	case conformance.LostAnswer:
		p.fake.Script(linkedinfake.DropAfterPost().On(linkedinfake.OpPosts))
	}
}

// Posted lists the posts, with the text as LinkedIn shows it.
func (p linkedinPlatform) Posted() []conformance.Posted {
	var out []conformance.Posted
	for _, post := range p.fake.Posts() {
		out = append(out, conformance.Posted{ID: post.URN, URL: post.URL, Text: post.Text, Media: len(post.Images)})
	}
	return out
}
