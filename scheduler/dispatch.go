package scheduler

import (
	"context"
	"time"

	"github.com/heraldhq/herald"
)

// loop is the dispatch loop: it runs one dispatch round at start and on
// every wake-up (cron tick, Wake, a worker finishing, the next-due timer)
// until Shutdown closes quit.
func (s *Scheduler) loop() {
	defer close(s.loopDone)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		if wait, ok := s.dispatch(); ok {
			timer.Reset(wait)
		} else {
			timer.Stop()
		}
		select {
		case <-s.quit:
			return
		case <-s.wake:
		case <-timer.C:
		}
	}
}

// dispatch recovers expired leases (at most every recoverEvery), claims due
// jobs while workers are free and hands them to workers. It returns how long
// to wait before the next round when there is a future delivery to wait for
// (0 when one came due while the claim ran); ok is false when the loop can
// rely on a wake-up (a worker finishing, the tick) instead.
func (s *Scheduler) dispatch() (wait time.Duration, ok bool) {
	s.maybeRecover()
	var claimedAt time.Time // the now of the last claim
	for {
		free, stop := s.freeWorkers()
		if stop {
			return 0, false
		}
		if free == 0 {
			return 0, false // a finishing worker wakes the loop
		}
		claimedAt = s.cfg.Now()
		ctx, cancel := s.storeCtx()
		jobs, err := s.store.ClaimDue(ctx, s.cfg.Owner, claimedAt, s.cfg.Lease, free)
		cancel()
		if err != nil {
			s.log.Error().Err(err).Msg("claim due deliveries")
			return 0, false // the next tick tries again
		}
		for _, job := range jobs {
			s.startJob(job)
		}
		if len(jobs) < free {
			break // everything claimable now is claimed
		}
	}

	ctx, cancel := s.storeCtx()
	next, ok, err := s.store.NextDue(ctx)
	cancel()
	if err != nil {
		s.log.Error().Err(err).Msg("next due delivery")
		return 0, false
	}
	if !ok {
		return 0, false
	}
	wait = next.Sub(s.cfg.Now())
	if wait <= 0 {
		if next.After(claimedAt) {
			return 0, true // it came due while the claim ran: claim again at once
		}
		// Due but not claimable: its channel is publishing (a worker's
		// completion wakes us) or held by another process (the tick).
		return 0, false
	}
	return min(wait, maxTimerWait), true
}

// freeWorkers returns how many more jobs may run, and stop when the
// scheduler is shutting down.
func (s *Scheduler) freeWorkers() (free int, stop bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg.Workers - s.busy, s.stopping
}

// maybeRecover calls RecoverExpired when it has not run for recoverEvery
// (or a third of the lease, when shorter: a stopped process's claims are
// taken over within about a lease),
// on the process that holds the maintenance duty.
func (s *Scheduler) maybeRecover() {
	if !s.leader.Load() {
		return
	}
	now := s.cfg.Now()
	s.mu.Lock()
	due := now.Sub(s.lastRecover) >= min(recoverEvery, s.cfg.Lease/3)
	if due {
		s.lastRecover = now
	}
	s.mu.Unlock()
	if !due {
		return
	}
	ctx, cancel := s.storeCtx()
	defer cancel()
	n, err := s.store.RecoverExpired(ctx, now, s.idempotent)
	if err != nil {
		s.log.Error().Err(err).Msg("recover expired leases")
	} else if n > 0 {
		s.log.Warn().Int("count", n).Msg("recovered deliveries whose lease expired")
	}
}

// startJob records a claimed job and runs it on a worker goroutine.
func (s *Scheduler) startJob(job herald.Job) {
	ctx, cancel := context.WithCancel(s.pubCtx)
	s.mu.Lock()
	s.busy++
	s.unstarted[job.Delivery.ID] = job
	s.leases[job.Delivery.ID] = cancel
	s.mu.Unlock()
	s.wg.Add(1)
	go s.run(ctx, job)
}
