//go:build herald_clock_ahead

package herald

import "time"

// ClockOffset moves Now a year (and a day) ahead: `go test -tags
// herald_clock_ahead ./...` runs the whole suite as if it were next year.
const ClockOffset = 366 * 24 * time.Hour
