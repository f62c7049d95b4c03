package scheduler

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/heraldhq/herald"
)

const (
	reconcileBatch    = 100       // unknown deliveries looked up per pass
	reconcileLookback = time.Hour // posts are looked for from due_at − this
)

// reconciles reports whether any publisher can look up recent posts.
func (s *Scheduler) reconciles() bool {
	for _, p := range s.pubs {
		if _, ok := p.(Reconciler); ok {
			return true
		}
	}
	return false
}

// reconcileLoop runs a reconcile pass at once and then every ReconcileEvery
// until ctx is cancelled (Shutdown), on the process that holds the
// maintenance duty.
func (s *Scheduler) reconcileLoop(ctx context.Context) {
	defer close(s.reconcileDone)
	t := time.NewTicker(s.cfg.ReconcileEvery)
	defer t.Stop()
	for {
		if s.leader.Load() { // else another process reconciles
			if n, err := s.Reconcile(ctx); err != nil && ctx.Err() == nil {
				s.log.Error().Err(err).Msg("reconcile unknown deliveries")
			} else if n > 0 {
				s.log.Info().Int("count", n).Msg("reconciled unknown deliveries")
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Reconcile runs one reconcile pass: each unknown delivery (the store's
// newest within its window, up to a bound) whose platform's publisher is a Reconciler is
// looked for among the channel's posts published since its due time less
// an hour; when found it is marked published with the found id and URL,
// otherwise it is left unknown for a person. It returns how many it
// resolved, and the store's error when the unknown deliveries cannot be
// read; failed lookups and lost races (ECONFLICT: a person acted first) are
// logged and skipped.
func (s *Scheduler) Reconcile(ctx context.Context) (resolved int, err error) {
	if !s.reconciles() {
		return 0, nil
	}
	sctx, cancel := context.WithTimeout(ctx, storeTimeout)
	jobs, err := s.store.UnknownDeliveries(sctx, reconcileBatch)
	cancel()
	if err != nil {
		return 0, fmt.Errorf("scheduler: unknown deliveries: %w", err)
	}
	for _, job := range jobs {
		if ctx.Err() != nil {
			return resolved, nil
		}
		rec, ok := s.pubs[job.Channel.Platform].(Reconciler)
		if !ok {
			continue
		}
		log := s.log.With().Int64("delivery", job.Delivery.ID).Str("workspace", job.Delivery.Workspace).
			Str("channel", job.Channel.Name).Str("platform", job.Channel.Platform).Logger()
		res, found, err := s.lookup(ctx, rec, job)
		if err != nil {
			log.Warn().Str("reason", truncate(err.Error(), logReasonMax)).Msg("reconcile lookup failed")
			continue
		}
		if !found {
			continue
		}
		res.Outcome = herald.OutcomePublished
		sctx, cancel := context.WithTimeout(ctx, storeTimeout)
		err = s.store.ResolveUnknown(sctx, job.Delivery.ID, res, s.cfg.Now())
		cancel()
		switch {
		case herald.ErrorCode(err) == herald.ECONFLICT:
			log.Info().Err(err).Msg("unknown delivery changed before it was reconciled")
		case err != nil:
			log.Error().Err(err).Msg("record reconciled delivery")
		default:
			resolved++
			log.Info().Str("remote_id", res.RemoteID).Msg("unknown delivery found on the platform: published")
		}
	}
	return resolved, nil
}

// lookup calls the reconciler under PublishTimeout; a panic is an error.
func (s *Scheduler) lookup(ctx context.Context, rec Reconciler, job herald.Job) (res herald.Result, found bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.PublishTimeout)
	defer cancel()
	defer func() {
		if v := recover(); v != nil {
			s.log.Error().Int64("delivery", job.Delivery.ID).Str("panic", fmt.Sprint(v)).
				Bytes("stack", debug.Stack()).Msg("reconciler panicked")
			res, found, err = herald.Result{}, false, fmt.Errorf("reconciler panicked: %v", v)
		}
	}()
	return rec.Reconcile(ctx, request(job), job.Delivery.DueAt.Add(-reconcileLookback))
}
