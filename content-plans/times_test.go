package contentplans

import (
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

func TestTimes(t *testing.T) {
	utc := func(s string) time.Time {
		v, err := time.Parse("2006-01-02 15:04:05", s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name, tz, at string
		want         time.Time
		warning      string // code of the expected warning
	}{
		{"Moscow has no DST", "Europe/Moscow", "2026-12-01 10:00", utc("2026-12-01 07:00:00"), ""},
		{"Moscow in summer", "Europe/Moscow", "2026-07-01 10:00", utc("2026-07-01 07:00:00"), ""},
		{"T separator and seconds", "Europe/Moscow", "2026-12-01T10:00:30", utc("2026-12-01 07:00:30"), ""},
		{"Berlin winter", "Europe/Berlin", "2026-12-01 10:00", utc("2026-12-01 09:00:00"), ""},
		{"Berlin summer", "Europe/Berlin", "2026-07-01 10:00", utc("2026-07-01 08:00:00"), ""},
		{"Berlin fall-back takes the earlier", "Europe/Berlin", "2026-10-25 02:30", utc("2026-10-25 00:30:00"), "ambiguous_time"},
		{"New York fall-back takes the earlier", "America/New_York", "2026-11-01 01:30", utc("2026-11-01 05:30:00"), "ambiguous_time"},
		{"just after the Berlin overlap", "Europe/Berlin", "2026-10-25 03:00", utc("2026-10-25 02:00:00"), ""},
		{"RFC 3339 instant as is", "Europe/Berlin", "2026-03-29T02:30:00+05:00", utc("2026-03-28 21:30:00"), ""},
		{"RFC 3339 in Z", "America/New_York", "2026-12-01T10:00:00Z", utc("2026-12-01 10:00:00"), ""},
		{"past time is a warning", "Europe/Moscow", "2025-12-31 10:00", utc("2025-12-31 07:00:00"), "past_time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := jsonPlan(t, "", map[string]any{"key": "k", "at": tt.at, "channels": []string{"demo"}, "text": "x"})
			up := upload("json", body, tt.tz)
			up.Now = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			plan, posts, warnings := mustBuild(t, up)
			if plan.Timezone != tt.tz {
				t.Errorf("plan zone %q, want %q", plan.Timezone, tt.tz)
			}
			if !posts[0].DueAt.Equal(tt.want) || posts[0].DueAt.Location() != time.UTC || posts[0].At != tt.at {
				t.Errorf("due %v (at %q), want %v UTC", posts[0].DueAt, posts[0].At, tt.want)
			}
			switch {
			case tt.warning == "" && len(warnings) > 0:
				t.Errorf("unexpected warnings:\n%s", problemList(warnings))
			case tt.warning != "":
				if w, ok := findProblem(warnings, 1, tt.warning); !ok || w.Column != "at" || len(warnings) != 1 {
					t.Errorf("want one %s warning on row 1, column at; got:\n%s", tt.warning, problemList(warnings))
				}
			}
		})
	}
}

func TestAmbiguousTimeCSV(t *testing.T) {
	body := csvHeader + "k,2026-10-25,02:30,demo,x\n"
	up := upload("csv", body, "Europe/Berlin")
	up.Now = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	_, posts, warnings := mustBuild(t, up)
	if got := posts[0].DueAt.Format(time.RFC3339); got != "2026-10-25T00:30:00Z" {
		t.Errorf("due %s", got)
	}
	if len(warnings) != 1 || warnings[0].Row != 2 || warnings[0].Column != "time" || warnings[0].Code != "ambiguous_time" ||
		!strings.Contains(warnings[0].Message, "2026-10-25T02:30:00+02:00") {
		t.Errorf("warnings:\n%s", problemList(warnings))
	}
}

func TestTimeProblems(t *testing.T) {
	tests := []struct {
		name, planTZ, uploadTZ, at string
		row                        int
		col, code, mention         string
	}{
		{"Berlin spring-forward gap", "", "Europe/Berlin", "2026-03-29 02:30", 1, "at", "nonexistent_time", "forward 1h"},
		{"New York spring-forward gap", "America/New_York", "UTC", "2026-03-08 02:00", 1, "at", "nonexistent_time", "2026-03-08 02:00"},
		{"half-hour gap", "Australia/Lord_Howe", "UTC", "2026-10-04 02:15", 1, "at", "nonexistent_time", "forward 30m"},
		{"next needs a channel with slots", "", "Europe/Moscow", "next", 1, "channels", "no_slots", "channel demo has no posting slots"},
		{"not a time", "", "Europe/Moscow", "tomorrow", 1, "at", "invalid_time", "YYYY-MM-DD HH:MM"},
		{"no such day", "", "Europe/Moscow", "2026-02-30 10:00", 1, "at", "invalid_time", "2026-02-30"},
		{"missing", "", "Europe/Moscow", "", 1, "at", "required", "at is required"},
		{"unknown zone", "Mars/Olympus", "Europe/Moscow", "2026-12-01 10:00", 0, "timezone", "invalid_timezone", "Mars/Olympus"},
		{"zone abbreviation", "MSK", "UTC", "2026-12-01 10:00", 0, "timezone", "invalid_timezone", `unknown time zone "MSK"; did you mean "Europe/Moscow"?`},
		{"zone in the wrong case", "europe/berlin", "UTC", "2026-12-01 10:00", 0, "timezone", "invalid_timezone", `did you mean "Europe/Berlin"?`},
		{"zone as an offset", "UTC+3", "UTC", "2026-12-01 10:00", 0, "timezone", "invalid_timezone", `did you mean "Etc/GMT-3" or "Europe/Moscow"?`},
		{"no zone for a local time", "", "", "2026-12-01 10:00", 0, "timezone", "required", "time zone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := jsonPlan(t, tt.planTZ, map[string]any{"key": "k", "at": tt.at, "channels": []string{"demo"}, "text": "x"})
			ps := mustFail(t, upload("json", body, tt.uploadTZ))
			if len(ps) != 1 || ps[0].Row != tt.row || ps[0].Column != tt.col || ps[0].Code != tt.code || !strings.Contains(ps[0].Message, tt.mention) {
				t.Errorf("want %s on row %d, %s, mentioning %q; got:\n%s", tt.code, tt.row, tt.col, tt.mention, problemList(ps))
			}
		})
	}
}

// The plan's own zone wins over the upload's; instants need no zone.
func TestPlanZone(t *testing.T) {
	body := jsonPlan(t, "Asia/Tokyo", map[string]any{"key": "k", "at": "2026-12-01 10:00", "channels": []string{"demo"}, "text": "x"})
	plan, posts, _ := mustBuild(t, upload("json", body, "Europe/Moscow"))
	if plan.Timezone != "Asia/Tokyo" || posts[0].DueAt.Hour() != 1 {
		t.Errorf("zone %s, due %v", plan.Timezone, posts[0].DueAt)
	}
	body = jsonPlan(t, "", map[string]any{"key": "k", "at": "2026-12-01T10:00:00+03:00", "channels": []string{"demo"}, "text": "x"})
	up := upload("json", body, "")
	up.Now = time.Time{}
	if _, _, _, err := Build(up); err != nil {
		t.Errorf("instant without a zone: %v %v", err, herald.ErrorDetails(err))
	}
}

// A CSV row in a spring-forward gap is an error naming its row and the time
// column; the rows around it are fine.
func TestGapTimeCSV(t *testing.T) {
	for _, tt := range []struct{ zone, date, clock string }{
		{"Europe/Berlin", "2026-03-29", "02:30"},
		{"America/New_York", "08.03.2026", "02:59"},
	} {
		body := csvHeader + "a,2026-03-01,10:00,demo,x\nb," + tt.date + "," + tt.clock + ",demo,y\nc,2026-04-01,10:00,demo,z\n"
		ps := mustFail(t, upload("csv", body, tt.zone))
		if len(ps) != 1 || ps[0].Row != 3 || ps[0].Column != "time" || ps[0].Code != "nonexistent_time" ||
			!strings.Contains(ps[0].Message, tt.zone) || !strings.Contains(ps[0].Message, "forward 1h") {
			t.Errorf("%s: problems:\n%s", tt.zone, problemList(ps))
		}
	}
}
