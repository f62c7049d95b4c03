package publishers

import "github.com/heraldhq/herald/publishers/vk"

// Compile-time checks: the VK adapter is a Publisher and a Reconciler.
var (
	_ Publisher  = (*vk.Publisher)(nil)
	_ Reconciler = (*vk.Publisher)(nil)
)

func init() {
	Registry["vk"] = func(o Options) Publisher {
		return vk.New(vk.Options{HTTPClient: o.HTTPClient, Logger: o.Logger, Now: o.Now})
	}
}
