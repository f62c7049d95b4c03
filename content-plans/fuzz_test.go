package contentplans

import (
	"errors"
	"os"
	"testing"

	"github.com/heraldhq/herald"
)

// FuzzBuildCSV: any bytes as a CSV plan never panic; the answer is either
// valid posts or an EVALIDATION error listing at least one problem.
func FuzzBuildCSV(f *testing.F) {
	if b, err := os.ReadFile("examples/december.csv"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		up := herald.PlanUpload{Key: "fuzz", Body: body, Format: "csv", Timezone: "Europe/Berlin",
			Channels: testChannels(), Now: testNow}
		_, posts, _, err := Build(up)
		if err != nil {
			var he *herald.Error
			if !errors.As(err, &he) || he.Code != herald.EVALIDATION || len(he.Details) == 0 {
				t.Fatalf("error %v is not an EVALIDATION with problems", err)
			}
			for _, p := range he.Details {
				if p.Code == "" || p.Message == "" || p.Row < 0 {
					t.Fatalf("bad problem %+v", p)
				}
			}
			return
		}
		keys := map[string]bool{}
		for _, p := range posts {
			if p.Key == "" || keys[p.Key] || p.DueAt.IsZero() || len(p.Channels) == 0 || p.Text == "" || p.Row < 2 {
				t.Fatalf("invalid post accepted: %+v", p)
			}
			keys[p.Key] = true
		}
	})
}
