package publishers

import (
	"net/http"
	"testing"

	"github.com/heraldhq/herald/publishers/instagram"
	"github.com/heraldhq/herald/publishers/instagram/instagramfake"
	"github.com/heraldhq/herald/publishers/internal/conformance"
)

func init() {
	platforms = append(platforms, conformance.Entry{Name: "instagram", Start: startInstagram, NeedsImage: true})
}

func startInstagram(t *testing.T, client *http.Client) (conformance.Platform, conformance.Publisher) {
	fake := instagramfake.New(instagramfake.Options{PollsToFinish: 1})
	return containerPlatform{fake: fake, name: "instagram", userKey: "ig_user_id", permanent: "caption contains too many hashtags"},
		instagram.New(instagram.Options{HTTPClient: client, Wait: noWait})
}
