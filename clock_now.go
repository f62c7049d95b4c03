//go:build !herald_clock_ahead

package herald

// ClockOffset is how far Now is moved from the real clock: not at all.
const ClockOffset = 0
