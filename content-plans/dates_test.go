package contentplans

import (
	"strings"
	"testing"
	"time"
)

// Dates and times as people type them, in date and time cells and in "at"
// (CSV and JSON), read in Moscow (UTC+3 all year).
func TestDatesAndTimesAsTyped(t *testing.T) {
	for _, tc := range []struct {
		name, date, clock, order string
		want                     string // local wall time
	}{
		{"ISO", "2027-12-01", "10:00", "", "2027-12-01 10:00"},
		{"ISO without leading zeros", "2027-12-1", "9:30", "", "2027-12-01 09:30"},
		{"ISO with slashes", "2027/12/01", "10:00", "", "2027-12-01 10:00"},
		{"dots without leading zeros", "1.12.2027", "10:00", "", "2027-12-01 10:00"},
		{"dots with a two-digit year", "01.12.27", "10:00", "", "2027-12-01 10:00"},
		{"dots are day first even with mdy", "1.12.2027", "10:00", "mdy", "2027-12-01 10:00"},
		{"time with a dot", "2027-12-01", "10.00", "", "2027-12-01 10:00"},
		{"time with seconds", "2027-12-01", "10:00:30", "", "2027-12-01 10:00:30"},
		{"time pm", "2027-12-01", "9:30 pm", "", "2027-12-01 21:30"},
		{"time 12 am", "2027-12-01", "12:00 AM", "", "2027-12-01 00:00"},
		{"time p.m. without minutes", "2027-12-01", "9 p.m.", "", "2027-12-01 21:00"},
		{"slash date only day first", "25/12/2027", "10:00", "", "2027-12-25 10:00"},
		{"slash date only month first", "12/25/2027", "10:00", "", "2027-12-25 10:00"},
		{"slash date the same both ways", "5/5/2027", "10:00", "", "2027-05-05 10:00"},
		{"slash date day first by date order", "12/4/2027", "10:00", "dmy", "2027-04-12 10:00"},
		{"slash date month first by date order", "12/4/2027", "10:00", "mdy", "2027-12-04 10:00"},
		{"dashes before the year", "12-25-27", "10:00", "", "2027-12-25 10:00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, err := time.ParseInLocation("2006-01-02 15:04:05", tc.want+strings.Repeat(":00", 2-strings.Count(tc.want, ":")), moscow(t))
			if err != nil {
				t.Fatal(err)
			}
			check := func(format, body string) {
				t.Helper()
				up := upload(format, body, "Europe/Moscow")
				up.DateOrder = tc.order
				_, posts, _ := mustBuild(t, up)
				if len(posts) != 1 || !posts[0].DueAt.Equal(want) {
					t.Errorf("%s: due %v, want %v", format, posts[0].DueAt, want.UTC())
				}
			}
			check("csv", csvHeader+"a,"+tc.date+","+tc.clock+",demo,x\n")
			check("csv", "key,at,channels,text\na,"+tc.date+" "+tc.clock+",demo,x\n")
			check("json", jsonPlan(t, "", map[string]any{"key": "a", "at": tc.date + " " + tc.clock, "channels": []string{"demo"}, "text": "x"}))
		})
	}
}

func moscow(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// A date Herald cannot read, or could read two ways, is a problem saying
// which forms are accepted, or naming both readings and the option.
func TestDateAndTimeProblems(t *testing.T) {
	for _, tc := range []struct {
		name, date, clock string
		col, code         string
		mentions          []string
	}{
		{"no date", "tomorrow", "10:00", "date", "invalid_date", []string{`"tomorrow"`, "2027-12-01, 1.12.2027, 01.12.27 or 25/12/2027"}},
		{"no such day", "31.02.2027", "10:00", "date", "invalid_date", []string{`"31.02.2027" is not a date read day.month.year`}},
		{"no such month", "2027-13-01", "10:00", "date", "invalid_date", []string{"year-month-day"}},
		{"neither way", "13/13/2027", "10:00", "date", "invalid_date", []string{"either day first or month first"}},
		{"no time", "2027-12-01", "25:00", "time", "invalid_time", []string{`"25:00"`, "10:00, 9:30, 10.00 or 9:30 pm"}},
		{"13 pm", "2027-12-01", "13:00 pm", "time", "invalid_time", []string{"9:30 pm"}},
		{"both ways", "12/4/2027", "10:00", "date", "ambiguous_date_order", []string{
			`date "12/4/2027" can be read day first (12 April 2027) or month first (4 December 2027)`, "?date_order=dmy or ?date_order=mdy"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps := mustFail(t, upload("csv", csvHeader+"a,"+tc.date+","+tc.clock+",demo,x\n", "Europe/Moscow"))
			if len(ps) != 1 || ps[0].Row != 2 || ps[0].Column != tc.col || ps[0].Code != tc.code {
				t.Fatalf("want one %s on row 2, %s; got:\n%s", tc.code, tc.col, problemList(ps))
			}
			for _, m := range tc.mentions {
				if !strings.Contains(ps[0].Message, m) {
					t.Errorf("message %q does not mention %q", ps[0].Message, m)
				}
			}
		})
	}
	// "at" lists the forms too, and dates that read both ways are one
	// problem, on the first, counting the others.
	ps := mustFail(t, upload("json", jsonPlan(t, "", map[string]any{"key": "a", "at": "soon", "channels": []string{"demo"}, "text": "x"}), "Europe/Moscow"))
	if len(ps) != 1 || ps[0].Code != "invalid_time" || !strings.Contains(ps[0].Message, "1.12.2027, 01.12.27 or 25/12/2027") {
		t.Errorf("got:\n%s", problemList(ps))
	}
	body := "key,at,channels,text\na,12/4/2027 10:00,demo,x\nb,25/12/2027 10:00,demo,y\nc,1/2/2028 10:00,demo,z\nd,3/4/2028 10:00,demo,w\n"
	ps = mustFail(t, upload("csv", body, "Europe/Moscow"))
	if len(ps) != 1 || ps[0].Row != 2 || ps[0].Column != "at" || ps[0].Code != "ambiguous_date_order" ||
		!strings.Contains(ps[0].Message, "(rows 4, 5 can be read both ways too)") {
		t.Errorf("got:\n%s", problemList(ps))
	}
	up := upload("csv", body, "Europe/Moscow")
	up.DateOrder = "dmy"
	if _, posts, _ := mustBuild(t, up); len(posts) != 4 || posts[2].DueAt.Month() != time.February {
		t.Errorf("with dmy: %+v", posts)
	}
}
