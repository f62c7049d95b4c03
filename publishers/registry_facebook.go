package publishers

import "github.com/heraldhq/herald/publishers/facebook"

// Compile-time checks: the Facebook adapter is a Publisher and a Reconciler.
var (
	_ Publisher  = (*facebook.Publisher)(nil)
	_ Reconciler = (*facebook.Publisher)(nil)
)

func init() {
	Registry["facebook"] = func(o Options) Publisher {
		return facebook.New(facebook.Options{HTTPClient: o.HTTPClient, Logger: o.Logger, Now: o.Now})
	}
}
