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
	f.Fuzz(func(t *testing.T, body []byte) { checkBuild(t, fuzzUpload("csv", body)) })
}

// FuzzBuildJSON: the same for any bytes as a JSON plan.
func FuzzBuildJSON(f *testing.F) {
	if b, err := os.ReadFile("examples/december.json"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"posts":[{"key":"a","at":"2099-12-01 10:00","channels":["tg-main"],"text":"x"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) { checkBuild(t, fuzzUpload("json", body)) })
}

// fuzzUpload is body as a plan of format for the fuzzers.
func fuzzUpload(format string, body []byte) herald.PlanUpload {
	return herald.PlanUpload{Key: "fuzz", Body: body, Format: format, Timezone: "Europe/Berlin",
		Channels: testChannels(), Now: testNow}
}

// checkBuild builds up and fails unless the answer is valid posts, an
// EVALIDATION error whose problems (at most MaxProblems and a count) are
// each well formed, or EUNSUPPORTED.
func checkBuild(t *testing.T, up herald.PlanUpload) {
	t.Helper()
	_, posts, _, err := Build(up)
	if err != nil {
		var he *herald.Error
		if !errors.As(err, &he) || !(he.Code == herald.EVALIDATION && len(he.Details) > 0 || he.Code == herald.EUNSUPPORTED) {
			t.Fatalf("error %v is not an EVALIDATION with problems", err)
		}
		if len(he.Details) > MaxProblems+1 {
			t.Fatalf("%d problems listed, more than %d", len(he.Details), MaxProblems+1)
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
		if p.Key == "" || keys[p.Key] || p.DueAt.IsZero() && !p.NextSlot || len(p.Channels) == 0 || p.Text == "" || p.Row < 1 {
			t.Fatalf("invalid post accepted: %+v", p)
		}
		keys[p.Key] = true
	}
}
