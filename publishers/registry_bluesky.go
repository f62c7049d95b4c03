package publishers

import "github.com/heraldhq/herald/publishers/bluesky"

// Compile-time checks: the Bluesky adapter is a Publisher and a Reconciler.
var (
	_ Publisher  = (*bluesky.Publisher)(nil)
	_ Reconciler = (*bluesky.Publisher)(nil)
)

func init() {
	Registry["bluesky"] = func(o Options) Publisher {
		return bluesky.New(bluesky.Options{HTTPClient: o.HTTPClient, Logger: o.Logger, Now: o.Now})
	}
}
