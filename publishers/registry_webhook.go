package publishers

import "github.com/heraldhq/herald/publishers/webhook"

// Compile-time check: the Webhook adapter is a Publisher.
var _ Publisher = (*webhook.Publisher)(nil)

func init() {
	Registry["webhook"] = func(o Options) Publisher {
		return webhook.New(webhook.Options{HTTPClient: o.HTTPClient, Logger: o.Logger, Now: o.Now})
	}
}
