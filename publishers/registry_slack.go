package publishers

import "github.com/heraldhq/herald/publishers/slack"

// Compile-time check: the Slack adapter is a Publisher.
var _ Publisher = (*slack.Publisher)(nil)

func init() {
	Registry["slack"] = func(o Options) Publisher {
		return slack.New(slack.Options{HTTPClient: o.HTTPClient, Logger: o.Logger, Now: o.Now})
	}
}
