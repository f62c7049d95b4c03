package scheduler

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"time"

	"github.com/heraldhq/herald"
)

// run publishes claimed jobs one after the other on one worker slot: the
// job it was given, then each delivery the store claimed together with the
// last result (CompleteAndClaimNext: the earliest due, often the same
// channel's next post), so that a burst needs no round through the claim
// loop for every post. With no
// next job it frees its slot and wakes the loop. When the scheduler is
// stopping before a publish begins, that job stays in unstarted for
// Shutdown to release.
func (s *Scheduler) run(ctx context.Context, job herald.Job) {
	defer s.wg.Done()
	for {
		if s.beforeRun != nil {
			s.beforeRun(job)
		}
		s.mu.Lock()
		if s.stopping {
			s.mu.Unlock()
			return
		}
		delete(s.unstarted, job.Delivery.ID)
		s.mu.Unlock()

		next := s.runOne(ctx, job)

		s.mu.Lock()
		if stop, ok := s.leases[job.Delivery.ID]; ok {
			stop()
			delete(s.leases, job.Delivery.ID)
		}
		if next == nil {
			s.busy--
			s.mu.Unlock()
			s.Wake()
			return
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(s.pubCtx)
		s.unstarted[next.Delivery.ID] = *next
		s.leases[next.Delivery.ID] = cancel
		s.mu.Unlock()
		job = *next
	}
}

// runOne publishes one job and records its result; it returns the channel's
// next job when the store claimed one with it.
func (s *Scheduler) runOne(ctx context.Context, job herald.Job) *herald.Job {
	d := job.Delivery
	log := s.log.With().Int64("delivery", d.ID).Str("workspace", d.Workspace).
		Str("channel", job.Channel.Name).Str("platform", job.Channel.Platform).
		Int("attempt", job.Attempt).Logger()

	start := time.Now()
	res := s.publish(ctx, job)
	latency := time.Since(start)
	finished := s.cfg.Now()

	var retryAt time.Time
	switch res.Outcome {
	case herald.OutcomePublished, herald.OutcomeFailed, herald.OutcomeUnknown, herald.OutcomeReauth:
	case herald.OutcomeRetry:
		if res.Throttled {
			// Rate limited: wait as asked, without counting or growing backoff.
			retryAt = finished.Add(s.throttleDelay(res.RetryAfter))
		} else if n := s.countedAttempts(job); n >= s.cfg.MaxAttempts {
			res.Outcome = herald.OutcomeFailed
			res.Reason = fmt.Sprintf("gave up after %d attempts: %s", n, res.Reason)
		} else {
			retryAt = finished.Add(s.retryDelay(n, res.RetryAfter))
		}
	default:
		res.Reason = fmt.Sprintf("publisher returned no valid outcome (%q): %s", res.Outcome, res.Reason)
		res.Outcome = herald.OutcomeUnknown
	}

	ev := log.Info()
	if res.Outcome != herald.OutcomePublished {
		ev = log.Warn().Str("reason", truncate(res.Reason, logReasonMax))
	}
	ev = ev.Str("outcome", string(res.Outcome)).Dur("latency", latency)
	if res.RemoteID != "" {
		ev = ev.Str("remote_id", res.RemoteID)
	}
	if !retryAt.IsZero() {
		ev = ev.Time("retry_at", retryAt)
	}
	ev.Msg("delivery attempt finished")

	return s.complete(job, res, finished, retryAt)
}

// publish calls the platform's publisher under PublishTimeout. A missing
// publisher fails the delivery; a panic is recorded as unknown, since the
// call may have reached the platform.
func (s *Scheduler) publish(parent context.Context, job herald.Job) (res herald.Result) {
	pub, ok := s.pubs[job.Channel.Platform]
	if !ok || pub == nil {
		return herald.Result{Outcome: herald.OutcomeFailed, Reason: fmt.Sprintf("no publisher for platform %s", job.Channel.Platform)}
	}
	ctx, cancel := context.WithTimeout(parent, s.cfg.PublishTimeout)
	defer cancel()
	defer func() {
		if v := recover(); v != nil {
			s.log.Error().Int64("delivery", job.Delivery.ID).Str("platform", job.Channel.Platform).
				Str("panic", fmt.Sprint(v)).Bytes("stack", debug.Stack()).Msg("publisher panicked")
			res = herald.Result{Outcome: herald.OutcomeUnknown, Reason: fmt.Sprintf("publisher panicked: %v", v)}
		}
	}()
	return pub.Publish(ctx, request(job))
}

// request is the PublishRequest of a job.
func request(job herald.Job) herald.PublishRequest {
	return herald.PublishRequest{
		Workspace:      job.Delivery.Workspace,
		DeliveryID:     job.Delivery.ID,
		IdempotencyKey: job.Delivery.IdempotencyKey,
		Attempt:        job.Attempt,
		Channel:        job.Channel,
		Message:        job.Message,
		State:          job.Delivery.PlatformState,
		Blocks:         job.Blocks,
	}
}

// complete records the result, retrying on store errors. A lost lease
// (ECONFLICT) is logged and not retried: another process owns the delivery.
// When every try fails the delivery stays publishing until its lease expires
// and RecoverExpired resolves it.
func (s *Scheduler) complete(job herald.Job, res herald.Result, finished, retryAt time.Time) *herald.Job {
	wait := completeBackoff
	for try := 1; ; try++ {
		ctx, cancel := s.storeCtx()
		lease := s.cfg.Lease
		s.mu.Lock()
		if s.stopping {
			lease = 0 // nothing more is claimed
		}
		s.mu.Unlock()
		var next *herald.Job
		var err error
		if lease > 0 {
			next, err = s.store.CompleteAndClaimNext(ctx, s.cfg.Owner, job, res, finished, retryAt, lease)
		} else {
			err = s.store.Complete(ctx, s.cfg.Owner, job, res, finished, retryAt)
		}
		cancel()
		if err == nil {
			return next
		}
		if herald.ErrorCode(err) == herald.ECONFLICT {
			s.log.Error().Err(err).Int64("delivery", job.Delivery.ID).Str("outcome", string(res.Outcome)).
				Msg("lease lost before the result was recorded; another process owns the delivery")
			return nil
		}
		if try == completeTries {
			s.log.Error().Err(err).Int64("delivery", job.Delivery.ID).Str("outcome", string(res.Outcome)).
				Msg("could not record the result; the lease will expire and the delivery be recovered")
			return nil
		}
		s.log.Warn().Err(err).Int64("delivery", job.Delivery.ID).Int("try", try).Msg("record result failed; retrying")
		time.Sleep(wait)
		wait *= 2
	}
}

// retryDelay is how long to wait before the next attempt after a retryable
// outcome of attempt: min(MaxBackoff, BaseBackoff·2^(attempt-1)) with ±20 %
// jitter, and never less than retryAfter.
func (s *Scheduler) retryDelay(attempt int, retryAfter time.Duration) time.Duration {
	backoff := s.cfg.MaxBackoff
	if attempt < 1 {
		attempt = 1
	}
	if shift := attempt - 1; shift < 62 {
		if b := s.cfg.BaseBackoff << shift; b>>shift == s.cfg.BaseBackoff && b < backoff {
			backoff = b
		}
	}
	jittered := time.Duration(float64(backoff) * (0.8 + 0.4*rand.Float64()))
	return max(jittered, retryAfter)
}

// throttleDelay is the wait after a throttled attempt: the platform's (or
// the limiter's) retryAfter, or BaseBackoff with ±20 % jitter when it gave none.
func (s *Scheduler) throttleDelay(retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return retryAfter
	}
	return time.Duration(float64(s.cfg.BaseBackoff) * (0.8 + 0.4*rand.Float64()))
}

// countedAttempts is the job's attempt number less its earlier throttled
// attempts: what MaxAttempts and the backoff count. When the store cannot
// tell, it is kept below MaxAttempts so that a store error never gives up
// on a delivery.
func (s *Scheduler) countedAttempts(job herald.Job) int {
	if job.Attempt <= 1 {
		return job.Attempt
	}
	ctx, cancel := s.storeCtx()
	defer cancel()
	n, err := s.store.ThrottledAttempts(ctx, job.Delivery.ID)
	if err != nil {
		s.log.Error().Err(err).Int64("delivery", job.Delivery.ID).Msg("count throttled attempts")
		return min(job.Attempt, s.cfg.MaxAttempts-1)
	}
	return max(1, job.Attempt-n)
}

// truncate shortens s to at most n runes, marking the cut.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
