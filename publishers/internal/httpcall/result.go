package httpcall

import (
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/heraldhq/herald"
)

// Finish readies a Result for the attempt record: Request, Response and
// Reason are passed through redact, and only then cut — Request to twice
// MaxRecorded, Response to MaxRecorded, Reason to MaxReason — so that no
// secret is cut in two before it could be recognised.
func Finish(res *herald.Result, redact func(string) string) {
	res.Request = Truncate(redact(res.Request), 2*MaxRecorded)
	res.Response = Truncate(redact(res.Response), MaxRecorded)
	res.Reason = Truncate(redact(res.Reason), MaxReason)
}

// LogPublish writes the debug line an adapter's Publish ends with: the
// delivery, its outcome and how long it took since start.
func LogPublish(log *zerolog.Logger, platform string, req herald.PublishRequest, res herald.Result, start time.Time) {
	log.Debug().Str("platform", platform).Str("workspace", req.Workspace).
		Str("channel", req.Channel.Name).Int64("delivery", req.DeliveryID).Int("attempt", req.Attempt).
		Str("outcome", string(res.Outcome)).Str("remote_id", res.RemoteID).Str("reason", res.Reason).
		Dur("took", time.Since(start)).Msg(platform + " publish")
}

// Unanswered is the outcome of a call that got no usable answer (err from
// Do): failed when Stopped (a refused address, a redirect: a retry would
// do the same), else a retry.
func Unanswered(err error) herald.Outcome {
	if Stopped(err) {
		return herald.OutcomeFailed
	}
	return herald.OutcomeRetry
}

// CheckError is the *herald.Error a Check returns for a failed call's
// outcome: EUNAUTHORIZED when the platform refused the credentials,
// EUNAVAILABLE when it throttled, failed or did not answer (a retry or an
// unknown outcome), EINVALID otherwise. reason must already be redacted;
// it is cut to MaxReason.
func CheckError(o herald.Outcome, reason string) error {
	code := herald.EINVALID
	switch o {
	case herald.OutcomeReauth:
		code = herald.EUNAUTHORIZED
	case herald.OutcomeRetry, herald.OutcomeUnknown:
		code = herald.EUNAVAILABLE
	}
	return herald.Errorf(code, "%s", Truncate(reason, MaxReason))
}

// NewResult builds a Result carrying a conversation so far: the summaries
// of its calls, one a line, and the last answer.
func NewResult(o herald.Outcome, reason string, calls []string, last *Response) herald.Result {
	return herald.Result{Outcome: o, Reason: reason, Request: strings.Join(calls, "\n"), Response: Answer(last)}
}
