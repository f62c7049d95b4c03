package api_test

import (
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/api"
)

// planNow pins the API's clock for tests whose plans have fixed dates.
var planNow = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)

func pinnedClock(c *api.Config) { c.Now = func() time.Time { return planNow } }

// The calendar takes dates as well as instants: from=2026-12-01 is the start
// of that day in the workspace's time zone, to=2026-12-31 takes in the whole
// of the 31st.
func TestCalendarDates(t *testing.T) {
	e := newEnv(t, pinnedClock)
	must(t, e.do("POST", "/api/v1/workspaces", map[string]any{"slug": "msk", "name": "Moscow", "timezone": "Europe/Moscow"}), 201)
	must(t, e.do("POST", "/api/v1/workspaces/msk/channels", map[string]any{"name": "demo", "platform": "outbox"}), 201)
	post := func(key, at string) map[string]any {
		return map[string]any{"key": key, "at": at, "channels": []string{"demo"}, "text": key}
	}
	e.putPlan("/api/v1/workspaces/msk/plans/dec", map[string]any{"timezone": "Europe/Moscow", "posts": []any{
		post("nov-30-late", "2026-11-30 23:30"),  // 20:30Z on the 30th
		post("dec-01-early", "2026-12-01 00:30"), // 21:30Z on Nov 30
		post("dec-31-late", "2026-12-31 23:30"),  // 20:30Z on the 31st
		post("jan-01-early", "2027-01-01 00:30"), // 21:30Z on Dec 31
	}}, 200)
	keys := func(query string) string {
		t.Helper()
		var p struct {
			Items []herald.CalendarEntry `json:"items"`
		}
		must(t, e.do("GET", "/api/v1/workspaces/msk/posts?"+query, nil), 200).decode(t, &p)
		var ks []string
		for _, it := range p.Items {
			ks = append(ks, it.Key)
		}
		return strings.Join(ks, " ")
	}
	for query, want := range map[string]string{
		"from=2026-12-01&to=2026-12-31":                     "dec-01-early dec-31-late",
		"from=2026-12-01":                                   "dec-01-early dec-31-late jan-01-early",
		"to=2026-12-31":                                     "nov-30-late dec-01-early dec-31-late",
		"from=2026-12-31&to=2026-12-31":                     "dec-31-late",
		"from=2026-12-01&to=2026-12-31T21:00:00Z":           "dec-01-early dec-31-late",
		"from=2026-12-01T00:00:00Z&to=2027-01-01T00:00:00Z": "dec-31-late jan-01-early",
	} {
		if got := keys(query); got != want {
			t.Errorf("%s: %q, want %q", query, got, want)
		}
	}
	for _, q := range []string{"from=2026-12-32", "to=01.12.2026", "from=2026-12-01T10:00"} {
		if r := must(t, e.do("GET", "/api/v1/workspaces/msk/posts?"+q, nil), 400); !strings.Contains(r.String(), "a date such as 2026-12-01") {
			t.Errorf("%s: %s", q, r.body)
		}
	}
}
