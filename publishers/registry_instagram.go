package publishers

import "github.com/heraldhq/herald/publishers/instagram"

// Compile-time checks: the Instagram adapter is a Publisher and a Reconciler.
var (
	_ Publisher  = (*instagram.Publisher)(nil)
	_ Reconciler = (*instagram.Publisher)(nil)
)

func init() {
	Registry["instagram"] = func(o Options) Publisher {
		return instagram.New(instagram.Options{HTTPClient: o.HTTPClient, Logger: o.Logger, Now: o.Now,
			SaveDeliveryState: o.SaveDeliveryState})
	}
}
