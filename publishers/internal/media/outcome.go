package media

import (
	"errors"

	"github.com/heraldhq/herald"
)

// Outcome is how a publish ends when fetching one of its media files
// failed with err: failed when the file can never be used (ErrPermanent),
// a retry otherwise.
func Outcome(err error) herald.Outcome {
	if errors.Is(err, ErrPermanent) {
		return herald.OutcomeFailed
	}
	return herald.OutcomeRetry
}
