package publishers

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/conformance"
	"github.com/heraldhq/herald/publishers/vk"
	"github.com/heraldhq/herald/publishers/vk/vkfake"
)

func init() {
	platforms = append(platforms, conformance.Entry{Name: "vk", Start: startVK, Replica: newVK,
		// Calls are paced per token (3 a second); a text post is one call.
		Pace: vk.DefaultRateEvery})
}

func startVK(t *testing.T, client *http.Client, clock conformance.Clock) (conformance.Platform, conformance.Publisher) {
	p := vkPlatform{vkfake.New(vkfake.Options{Now: clock.Now})}
	return p, newVK(p, client, clock)
}

func newVK(_ conformance.Platform, client *http.Client, clock conformance.Clock) conformance.Publisher {
	return vk.New(vk.Options{HTTPClient: client, Now: clock.Now, Wait: clock.Wait})
}

// vkPlatform drives vkfake for the conformance scenarios, on a community wall.
type vkPlatform struct{ fake *vkfake.Server }

const vkOwner = -4242

func (p vkPlatform) Name() string { return "vk" }
func (p vkPlatform) Close()       { p.fake.Close() }

func (p vkPlatform) Channel() *herald.Channel {
	return &herald.Channel{ID: 1, Name: "vk-club", Platform: "vk",
		Config:      map[string]any{"base_url": p.fake.URL, "owner_id": float64(vkOwner)},
		Credentials: map[string]string{"access_token": p.fake.Token}}
}

// SharedChannel is another community's wall posted to with the same
// token: VK's throttling codes block the token ("vk:token:<hash>").
func (p vkPlatform) SharedChannel() *herald.Channel {
	ch := p.Channel()
	ch.ID, ch.Name = 2, "vk-club-2"
	ch.Config["owner_id"] = float64(vkOwner - 1)
	return ch
}

// Script answers wall.post as VK documents each fault: error codes with
// HTTP 200 (6, 10, 100, 5), and a dropped connection after posting.
func (p vkPlatform) Script(f conformance.Fault) {
	switch f {
	case conformance.Throttle:
		p.fake.Script(vkfake.TooManyRequests().On("wall.post"))
	case conformance.ServerError:
		p.fake.Script(vkfake.InternalError().On("wall.post"))
	case conformance.Permanent:
		p.fake.Script(vkfake.InvalidParam("message is empty or invalid").On("wall.post"))
	case conformance.Unauthorized:
		p.fake.Script(vkfake.AuthFailed().On("wall.post"))
	case conformance.LostAnswer:
		p.fake.Script(vkfake.DropAfterPost().On("wall.post"))
	}
}

// Posted lists the wall posts, with VK's wall URL convention.
func (p vkPlatform) Posted() []conformance.Posted {
	var out []conformance.Posted
	for _, post := range p.fake.Posts() {
		out = append(out, conformance.Posted{ID: strconv.FormatInt(post.ID, 10), URL: post.URL,
			Text: post.Text, Media: post.Photos})
	}
	return out
}
