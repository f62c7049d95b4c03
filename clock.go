package herald

import "time"

// Now is the wall clock every component uses unless a test injects its own.
// It is time.Now, moved by ClockOffset: zero in every build but the test run
// with the build tag herald_clock_ahead (clock_ahead.go), which puts "now" a
// year ahead so that a test leaning on today's date fails today rather than
// on the day that date passes.
func Now() time.Time { return time.Now().Add(ClockOffset) }
