package publishers

import "github.com/heraldhq/herald/publishers/threads"

// Compile-time checks: the Threads adapter is a Publisher and a Reconciler.
var (
	_ Publisher  = (*threads.Publisher)(nil)
	_ Reconciler = (*threads.Publisher)(nil)
)

func init() {
	Registry["threads"] = func(o Options) Publisher {
		return threads.New(threads.Options{HTTPClient: o.HTTPClient, Logger: o.Logger, Now: o.Now,
			SaveDeliveryState: o.SaveDeliveryState})
	}
}
