package publishers

import "github.com/heraldhq/herald/publishers/discord"

// Compile-time check: the Discord adapter is a Publisher.
var _ Publisher = (*discord.Publisher)(nil)

func init() {
	Registry["discord"] = func(o Options) Publisher {
		return discord.New(discord.Options{HTTPClient: o.HTTPClient, Logger: o.Logger, Now: o.Now})
	}
}
