package contentplans

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// testNow is before every example post (December 2026).
var testNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// testChannels are the channels the examples are written for.
func testChannels() map[string]*herald.Channel {
	return map[string]*herald.Channel{
		"tg-main": {Name: "tg-main", Platform: "telegram", Config: map[string]any{"parse_mode": "HTML"}},
		"tg-raw":  {Name: "tg-raw", Platform: "telegram"},
		"masto":   {Name: "masto", Platform: "mastodon", Config: map[string]any{}},
		"masto-1k": {Name: "masto-1k", Platform: "mastodon",
			Config: map[string]any{"max_characters": float64(1000)}},
		"vk-group": {Name: "vk-group", Platform: "vk", Config: map[string]any{"owner_id": float64(-1)}},
		"demo":     {Name: "demo", Platform: "outbox"},
	}
}

func upload(format, body, tz string) herald.PlanUpload {
	return herald.PlanUpload{Key: "2026-12", Body: []byte(body), Format: format, Timezone: tz,
		Channels: testChannels(), Now: testNow}
}

// mustBuild builds an upload that must be valid.
func mustBuild(t *testing.T, up herald.PlanUpload) (herald.Plan, []herald.Post, []herald.Problem) {
	t.Helper()
	plan, posts, warnings, err := Build(up)
	if err != nil {
		t.Fatalf("Build: %v; problems:\n%s", err, problemList(herald.ErrorDetails(err)))
	}
	return plan, posts, warnings
}

// mustFail builds an upload that must be invalid and returns its problems.
func mustFail(t *testing.T, up herald.PlanUpload) []herald.Problem {
	t.Helper()
	_, posts, _, err := Build(up)
	var he *herald.Error
	if !errors.As(err, &he) || he.Code != herald.EVALIDATION {
		t.Fatalf("Build error = %v, want an EVALIDATION *herald.Error", err)
	}
	if len(he.Details) == 0 {
		t.Fatal("EVALIDATION error without problems")
	}
	if posts != nil {
		t.Errorf("posts returned with an error: %d", len(posts))
	}
	return he.Details
}

func problemList(ps []herald.Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString("  " + p.Code + " " + p.String() + "\n")
	}
	return b.String()
}

// findProblem returns the problem with code on row, if any.
func findProblem(ps []herald.Problem, row int, code string) (herald.Problem, bool) {
	for _, p := range ps {
		if p.Row == row && p.Code == code {
			return p, true
		}
	}
	return herald.Problem{}, false
}

// jsonPlan makes a plan JSON with the given posts.
func jsonPlan(t *testing.T, tz string, posts ...map[string]any) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"title": "t", "timezone": tz, "posts": posts})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
