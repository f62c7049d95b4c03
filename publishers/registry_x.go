package publishers

import "github.com/heraldhq/herald/publishers/x"

func init() {
	Registry["x"] = func(o Options) Publisher {
		return x.New(x.Options{HTTPClient: o.HTTPClient, Logger: o.Logger, Now: o.Now, SaveCredentials: o.SaveCredentials})
	}
}
