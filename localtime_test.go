package herald_test

import (
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

func TestResolveLocal(t *testing.T) {
	wall := func(s string) time.Time {
		v, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name, zone, wall string
		want             string // RFC 3339 UTC; "" for a gap
		ambiguous        bool
		shift            time.Duration
	}{
		{"Moscow has no DST", "Europe/Moscow", "2026-03-29 02:30", "2026-03-28T23:30:00Z", false, 0},
		{"Moscow in autumn", "Europe/Moscow", "2026-10-25 02:30", "2026-10-24T23:30:00Z", false, 0},
		{"Berlin spring-forward gap", "Europe/Berlin", "2026-03-29 02:30", "", false, time.Hour},
		{"Berlin just after the gap", "Europe/Berlin", "2026-03-29 03:00", "2026-03-29T01:00:00Z", false, 0},
		{"Berlin fall-back overlap", "Europe/Berlin", "2026-10-25 02:30", "2026-10-25T00:30:00Z", true, time.Hour},
		{"New York spring-forward gap", "America/New_York", "2026-03-08 02:15", "", false, time.Hour},
		{"New York fall-back overlap", "America/New_York", "2026-11-01 01:30", "2026-11-01T05:30:00Z", true, time.Hour},
		{"New York ordinary day", "America/New_York", "2026-11-02 01:30", "2026-11-02T06:30:00Z", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc, err := herald.LoadLocation(tt.zone)
			if err != nil {
				t.Fatal(err)
			}
			got := herald.ResolveLocal(wall(tt.wall), loc)
			if tt.want == "" {
				if !got.Gap || !got.At.IsZero() || got.Shift != tt.shift {
					t.Fatalf("want a gap of %s, got %+v", tt.shift, got)
				}
				return
			}
			if got.Gap || got.At.Format(time.RFC3339) != tt.want || got.At.Location() != time.UTC ||
				got.Ambiguous != tt.ambiguous || got.Shift != tt.shift {
				t.Fatalf("got %+v, want %s (ambiguous %v, shift %s)", got, tt.want, tt.ambiguous, tt.shift)
			}
		})
	}
}

func TestStartOfDay(t *testing.T) {
	for _, tc := range []struct {
		zone  string
		day   string
		want  string
		about string
	}{
		{"Europe/Moscow", "2026-12-01", "2026-11-30T21:00:00Z", "an ordinary midnight"},
		{"UTC", "2026-12-31", "2026-12-31T00:00:00Z", "UTC"},
		{"America/Santiago", "2026-09-06", "2026-09-06T04:00:00Z", "the clocks jump from 00:00 to 01:00: the day starts at 01:00"},
		{"America/Havana", "2026-11-01", "2026-11-01T04:00:00Z", "midnight happens twice: the earlier"},
	} {
		loc, err := time.LoadLocation(tc.zone)
		if err != nil {
			t.Fatal(err)
		}
		d, _ := time.Parse(time.DateOnly, tc.day)
		if got := herald.StartOfDay(d.Year(), d.Month(), d.Day(), loc).Format(time.RFC3339); got != tc.want {
			t.Errorf("%s %s (%s): %s, want %s", tc.zone, tc.day, tc.about, got, tc.want)
		}
	}
}
