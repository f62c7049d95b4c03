package storage

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// BenchmarkClaimComplete measures the store's side of the burst the issue
// cares about: 1,000 deliveries due at one instant over 100 channels.
//
//   - concurrent: one dispatcher (ClaimDue with limit = free workers) and a
//     pool of 64 workers that Complete concurrently with a publisher that
//     answers at once; one op is one delivery claimed and completed, so
//     ns/op is the store's cost per delivery under contention. µs/claim and
//     µs/complete are what callers wait, queueing for the writer included.
//   - sequential: the same burst claimed (limit 64) and completed one call
//     at a time; µs/claim and µs/complete are each call's own cost.
//   - fake=50ms: the publisher answers after 50 ms; one op is one burst and
//     x-floor is its makespan over the floor (10 deliveries × 50 ms).
func BenchmarkClaimComplete(b *testing.B) {
	b.Run("concurrent", func(b *testing.B) {
		db, names := benchDB(b)
		var st burstStats
		for burst := 0; st.completed < b.N; burst++ {
			b.StopTimer()
			due := loadBurst(b, db, names, burst)
			b.StartTimer()
			st.add(drain(b, db, due, 64, 0))
		}
		st.report(b)
	})
	b.Run("sequential", func(b *testing.B) {
		db, names := benchDB(b)
		var st burstStats
		for burst := 0; st.completed < b.N; burst++ {
			b.StopTimer()
			due := loadBurst(b, db, names, burst)
			b.StartTimer()
			for {
				start := time.Now()
				jobs, err := db.ClaimDue(ctx, "w", due, time.Minute, 64)
				st.claimTime += time.Since(start)
				st.claims++
				if err != nil {
					b.Fatal(err)
				}
				if len(jobs) == 0 {
					break
				}
				for _, j := range jobs {
					start := time.Now()
					if err := db.Complete(ctx, "w", j, herald.Result{Outcome: herald.OutcomePublished, RemoteID: "1"}, due, time.Time{}); err != nil {
						b.Fatal(err)
					}
					st.completeTime += time.Since(start)
					st.completed++
				}
			}
		}
		st.report(b)
	})
	for _, workers := range []int{64, 100} {
		b.Run(fmt.Sprintf("fake=50ms/workers=%d", workers), func(b *testing.B) {
			db, names := benchDB(b)
			var makespan time.Duration
			for burst := range b.N {
				b.StopTimer()
				due := loadBurst(b, db, names, burst)
				b.StartTimer()
				start := time.Now()
				if st := drain(b, db, due, workers, 50*time.Millisecond); st.completed != benchChannels*benchPerChannel {
					b.Fatalf("published %d", st.completed)
				}
				makespan += time.Since(start)
			}
			b.ReportMetric(float64(makespan)/float64(b.N)/float64(benchPerChannel*50*time.Millisecond), "x-floor")
		})
	}
}

const (
	benchChannels   = 100
	benchPerChannel = 10
)

func benchDB(b *testing.B) (*DB, []string) {
	db := MustOpenDB(b)
	ws := mustWorkspace(b, db, "bench")
	names := make([]string, benchChannels)
	for i := range names {
		names[i] = fmt.Sprintf("ch%03d", i)
		mustChannel(b, db, ws.ID, names[i], "outbox")
	}
	return db, names
}

// loadBurst applies a plan of 1,000 posts due at one instant, 10 per channel.
func loadBurst(b *testing.B, db *DB, names []string, burst int) time.Time {
	ws, err := db.Workspace(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	due := t0.Add(time.Duration(burst) * time.Hour)
	posts := make([]herald.Post, 0, benchChannels*benchPerChannel)
	for i := range benchChannels * benchPerChannel {
		posts = append(posts, mkPost(fmt.Sprintf("b%d-%04d", burst, i), i+2, due, "burst", names[i%benchChannels]))
	}
	mustApply(b, db, ws.ID, fmt.Sprintf("burst-%d", burst), posts)
	return due
}

type burstStats struct {
	completed, claims       int
	claimTime, completeTime time.Duration
}

func (s *burstStats) add(o burstStats) {
	s.completed += o.completed
	s.claims += o.claims
	s.claimTime += o.claimTime
	s.completeTime += o.completeTime
}

func (s *burstStats) report(b *testing.B) {
	b.ReportMetric(float64(s.claimTime.Microseconds())/float64(s.claims), "µs/claim")
	b.ReportMetric(float64(s.completeTime.Microseconds())/float64(s.completed), "µs/complete")
}

// drain publishes every delivery due at now with a pool of workers, the
// publisher answering after fake.
func drain(b *testing.B, db *DB, now time.Time, workers int, fake time.Duration) burstStats {
	jobs := make(chan herald.Job, workers)
	finished := make(chan time.Duration, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for j := range jobs {
				if fake > 0 {
					time.Sleep(fake) // the fake platform's answer time
				}
				start := time.Now()
				res := herald.Result{Outcome: herald.OutcomePublished, RemoteID: "1"}
				if err := db.Complete(ctx, j.Delivery.LeaseOwner, j, res, now, time.Time{}); err != nil {
					b.Error(err)
				}
				finished <- time.Since(start)
			}
		})
	}
	var st burstStats
	inflight, total := 0, benchChannels*benchPerChannel
	for st.completed < total {
		if free := workers - inflight; free > 0 {
			start := time.Now()
			got, err := db.ClaimDue(ctx, "dispatcher", now, time.Minute, free)
			st.claimTime += time.Since(start)
			st.claims++
			if err != nil {
				b.Fatal(err)
			}
			for _, j := range got {
				inflight++
				jobs <- j
			}
			if len(got) > 0 {
				continue
			}
		}
		st.completeTime += <-finished
		st.completed++
		inflight--
	drained:
		for { // take every completion already there before claiming again
			select {
			case d := <-finished:
				st.completeTime += d
				st.completed++
				inflight--
			default:
				break drained
			}
		}
	}
	close(jobs)
	wg.Wait()
	return st
}
