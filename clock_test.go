package herald_test

import (
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// Now is the real clock moved by ClockOffset: a year ahead under the
// herald_clock_ahead tag, so that run really is "next year".
func TestNowFollowsClockOffset(t *testing.T) {
	before := time.Now()
	got := herald.Now()
	after := time.Now()
	if got.Before(before.Add(herald.ClockOffset)) || got.After(after.Add(herald.ClockOffset)) {
		t.Fatalf("Now() = %v, want between %v and %v (offset %v)", got, before.Add(herald.ClockOffset), after.Add(herald.ClockOffset), time.Duration(herald.ClockOffset))
	}
}
