package herald_test

import (
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// An unknown time zone's error suggests the IANA name meant.
func TestLoadLocationSuggests(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"europe/moscow", `unknown time zone "europe/moscow"; did you mean "Europe/Moscow"? (zone names are case-sensitive)`},
		{"EUROPE/BERLIN", `did you mean "Europe/Berlin"?`},
		{"utc", `did you mean "UTC"?`},
		{" Europe/Moscow", `did you mean "Europe/Moscow"? (without the spaces around it)`},
		{"MSK", `unknown time zone "MSK"; did you mean "Europe/Moscow"? (an abbreviation`},
		{"PST", `did you mean "America/Los_Angeles"?`},
		{"IST", `did you mean "Asia/Kolkata", "Asia/Jerusalem" or "Europe/Dublin"?`},
		{"Moscow", `did you mean "Europe/Moscow"?`},
		{"moskow", `did you mean "Europe/Moscow"?`},
		{"Europe/Moskow", `did you mean "Europe/Moscow"?`},
		{"New York", `did you mean "America/New_York"?`},
		{"Buenos Aires", `did you mean "America/Argentina/Buenos_Aires"?`},
		{"Москва", `did you mean "Europe/Moscow"?`},
		{"Saint Petersburg", `did you mean "Europe/Moscow"?`},
		{"UTC+3", `unknown time zone "UTC+3"; did you mean "Etc/GMT-3" or "Europe/Moscow"? (IANA's Etc zones invert the sign: Etc/GMT-3 is UTC+3, all year`},
		{"GMT+03:00", `did you mean "Etc/GMT-3" or "Europe/Moscow"?`},
		{"UTC-5", `did you mean "Etc/GMT+5" or "America/Bogota"?`},
		{"+05:30", `did you mean "Asia/Kolkata"? (no Etc zone has a UTC+5:30 offset`},
		{"UTC+0", `did you mean "UTC"?`},
		{"Mars/Olympus", `unknown time zone "Mars/Olympus"; use an IANA zone name such as Europe/Moscow`},
	} {
		_, err := herald.LoadLocation(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("LoadLocation(%q) = %v, want an error containing %q", tc.in, err, tc.want)
		}
	}
	for _, ok := range []string{"Europe/Moscow", "UTC", "America/Argentina/Buenos_Aires", "Etc/GMT-3", "CET"} {
		if _, err := herald.LoadLocation(ok); err != nil {
			t.Errorf("LoadLocation(%q): %v", ok, err)
		}
	}
}

// The suggestions come from a list of IANA names that this build loads.
func TestSuggestedZonesLoad(t *testing.T) {
	for _, in := range []string{"MSK", "CST", "IST", "UTC+3", "UTC-10", "UTC+14", "UTC+5:45", "Москва", "Kiev"} {
		zones, _ := herald.SuggestZones(in)
		if len(zones) == 0 {
			t.Errorf("%q: no suggestion", in)
		}
		for _, z := range zones {
			if _, err := time.LoadLocation(z); err != nil {
				t.Errorf("%q: suggested %q does not load: %v", in, z, err)
			}
		}
	}
}

// Workspaces and channels say which zone was meant.
func TestValidateSuggestsZone(t *testing.T) {
	ws := herald.Workspace{Slug: "brand", Name: "Brand", Timezone: "MSK"}
	ch := herald.Channel{Name: "tg", Platform: "telegram", Timezone: "europe/moscow"}
	for _, err := range []error{ws.Validate(), ch.Validate()} {
		ps := herald.ErrorDetails(err)
		if len(ps) != 1 || ps[0].Code != "invalid_timezone" || !strings.Contains(ps[0].Message, `did you mean "Europe/Moscow"?`) {
			t.Errorf("problems %+v", ps)
		}
	}
}
