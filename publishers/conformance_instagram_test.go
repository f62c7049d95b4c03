package publishers

import (
	"net/http"
	"testing"

	"github.com/heraldhq/herald/publishers/instagram"
	"github.com/heraldhq/herald/publishers/instagram/instagramfake"
	"github.com/heraldhq/herald/publishers/internal/conformance"
)

func init() {
	platforms = append(platforms, conformance.Entry{Name: "instagram", Start: startInstagram, Replica: newInstagram, NeedsImage: true})
}

func startInstagram(t *testing.T, client *http.Client, clock conformance.Clock) (conformance.Platform, conformance.Publisher) {
	fake := instagramfake.New(instagramfake.Options{PollsToFinish: 1, Now: clock.Now})
	p := containerPlatform{fake: fake, name: "instagram", userKey: "ig_user_id", permanent: "caption contains too many hashtags"}
	return p, newInstagram(p, client, clock)
}

func newInstagram(_ conformance.Platform, client *http.Client, clock conformance.Clock) conformance.Publisher {
	return instagram.New(instagram.Options{HTTPClient: client, Now: clock.Now, Wait: noWait})
}
