package scheduler

import (
	"context"
	"time"
)

// maintenance is the duty one process at a time holds: recovering expired
// leases and reconciling unknown deliveries. Missed-marking is part of every
// claim (so that nothing late is ever claimed) and each delivery is marked,
// and logged, once.
const maintenance = "maintenance"

// renewLoop renews, every Lease/3, the leases of the jobs this scheduler
// has claimed and not finished, until Shutdown has seen them all finish. A
// lease found lost (another process recovered the delivery while this one
// was stalled: paused, cut from the database) is logged, and its publish is
// cancelled; its result, if it comes, is refused by the store.
func (s *Scheduler) renewLoop() {
	defer close(s.renewDone)
	t := time.NewTicker(s.cfg.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-s.renewStop:
			return
		case <-t.C:
			s.beat(context.Background())
			s.renew()
		}
	}
}

// beat heartbeats and runs the maintenance election: the holder keeps its
// term (one lease) while it beats; when it stops, another takes the duty
// within a lease.
func (s *Scheduler) beat(parent context.Context) {
	ctx, cancel := context.WithTimeout(s.acting(parent), storeTimeout)
	defer cancel()
	now := s.cfg.Now()
	if err := s.store.Heartbeat(ctx, now); err != nil {
		s.log.Error().Err(err).Msg("heartbeat")
	}
	lead, err := s.store.Elect(ctx, maintenance, now, s.cfg.Lease)
	if err != nil {
		s.log.Error().Err(err).Msg("maintenance election")
		lead = false // not knowing is not leading: another process may hold it
	}
	if was := s.leader.Swap(lead); was != lead {
		if lead {
			s.log.Info().Msg("this process now runs maintenance (lease recovery, reconciliation)")
		} else {
			s.log.Info().Msg("another process runs maintenance now")
		}
	}
}

func (s *Scheduler) renew() {
	s.mu.Lock()
	ids := make([]int64, 0, len(s.leases))
	for id := range s.leases {
		ids = append(ids, id)
	}
	s.mu.Unlock()
	if len(ids) == 0 {
		return
	}
	ctx, cancel := s.storeCtx()
	defer cancel()
	lost, err := s.store.RenewLeases(ctx, s.cfg.Owner, ids, s.cfg.Now().Add(s.cfg.Lease))
	if err != nil {
		s.log.Error().Err(err).Int("count", len(ids)).Msg("renew leases; another process may recover these deliveries when their leases end")
		return
	}
	for _, id := range lost {
		s.mu.Lock()
		stop, ok := s.leases[id]
		s.mu.Unlock()
		if !ok {
			continue // finished meanwhile
		}
		s.log.Error().Int64("delivery", id).Msg("lease lost: another process took the delivery over; its publish here is cancelled")
		stop()
	}
}
