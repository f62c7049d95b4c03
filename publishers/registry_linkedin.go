package publishers

import "github.com/heraldhq/herald/publishers/linkedin"

// Compile-time check: the LinkedIn adapter is a Publisher.
var _ Publisher = (*linkedin.Publisher)(nil)

func init() {
	Registry["linkedin"] = func(o Options) Publisher {
		return linkedin.New(linkedin.Options{HTTPClient: o.HTTPClient, Logger: o.Logger, Now: o.Now})
	}
}
