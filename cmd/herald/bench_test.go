package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/outbound"
	"github.com/heraldhq/herald/publishers/webhook"
	"github.com/heraldhq/herald/publishers/webhook/webhookfake"
	"github.com/rs/zerolog"
)

// BenchmarkBurst: 1,000 deliveries due at one instant over 100 channels
// whose platform answers after 50 ms, through the whole service (SQLite
// storage, scheduler, the signed-webhook adapter, its fake receiver). The
// webhook adapter is used because it does no pacing of its own: Telegram's
// adapter rightly holds a chat to about one message a second, which would
// measure Telegram's limits rather than Herald's. The floor is the
// longest per-channel chain, 10 × 50 ms. Reported: the makespan (due
// instant → last answer) as a multiple of the floor, and the lateness of
// each channel's first post (median and worst).
//
//	go test -run '^$' -bench Burst -benchtime 3x ./cmd/herald/
func BenchmarkBurst(b *testing.B) {
	// The brand burst: 1,000 deliveries over 100 channels, 100 workers (the
	// default); the agency burst: 10,000 over 1,000 channels, 1,000 workers
	// (in all, shared by the replicas), on SQLite and, when
	// HERALD_TEST_POSTGRES_URL is set, on PostgreSQL with 1 and 3 replicas.
	b.Run("brand", func(b *testing.B) { benchBurst(b, 100, 100, 0) })
	b.Run("agency/sqlite", func(b *testing.B) { benchBurst(b, 1000, 1000, 0) })
	b.Run("agency/http-only", func(b *testing.B) { benchBurstHTTP(b, 1000) })
	for _, n := range []int{1, 3} {
		b.Run(fmt.Sprintf("agency/postgres/replicas=%d", n), func(b *testing.B) { benchBurst(b, 1000, 1000, n) })
	}
}

// benchBurst runs the burst on SQLite (replicas 0) or on that many replicas
// sharing one PostgreSQL schema.
func benchBurst(b *testing.B, channels, workers, replicas int) {
	const (
		perChan = 10
		latency = 50 * time.Millisecond
	)
	floor := time.Duration(perChan) * latency
	var ratios, firstMedian, firstWorst, shares, cpus []float64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		fake := webhookfake.New(webhookfake.Options{Latency: latency})
		cfg := testConfig(b.TempDir())
		cfg.LogLevel = "error"
		cfg.Workers = workers
		var admin *sql.DB
		var schema string
		if replicas > 0 {
			cfg.DatabaseURL, schema, admin = postgresSchema(b)
			cfg.Workers = (workers + replicas - 1) / replicas
			cfg.Node = "replica-1"
		}
		tm := mustRunMain(b, cfg)
		mains := []*Main{tm.Main}
		for r := 2; r <= replicas; r++ {
			rc := cfg
			rc.Node = fmt.Sprintf("replica-%d", r)
			m := NewMain(rc, io.Discard, io.Discard)
			if err := m.Run(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { m.Close() })
			mains = append(mains, m)
		}
		ctx := context.Background()
		ws := &herald.Workspace{Slug: "bench", Name: "Bench", Timezone: "UTC"}
		if err := tm.DB.CreateWorkspace(ctx, ws); err != nil {
			b.Fatal(err)
		}
		names := make([]string, channels)
		for c := range names {
			names[c] = fmt.Sprintf("ch-%03d", c)
			ch := &herald.Channel{WorkspaceID: ws.ID, Name: names[c], Platform: "webhook",
				Config:      map[string]any{"url": fake.URL},
				Credentials: map[string]string{"secret": fake.Secret}}
			if err := tm.DB.CreateChannel(ctx, ch); err != nil {
				b.Fatal(err)
			}
		}
		due := herald.Now().Add(2 * time.Second).Truncate(time.Millisecond)
		posts := make([]herald.Post, perChan)
		for p := range posts {
			posts[p] = herald.Post{Key: fmt.Sprintf("p%02d", p), Row: p + 2, At: due.Format(time.RFC3339Nano),
				DueAt: due, Channels: names, Text: fmt.Sprintf("Burst post %d", p)}
		}
		if _, err := tm.DB.ApplyPlan(ctx, ws.ID, herald.Plan{Key: "burst", Timezone: "UTC"}, posts, false); err != nil {
			b.Fatal(err)
		}
		for _, m := range mains {
			m.Scheduler.Wake()
		}
		time.Sleep(due.Sub(herald.Now())) // setup ends at the due instant: ns/op is due → all answered
		cpu0 := cpuTime(b)
		b.StartTimer()

		msgs, err := fake.WaitDeliveries(channels*perChan, 60*time.Second)
		b.StopTimer()
		cpus = append(cpus, cpuFloors(cpuTime(b)-cpu0, floor))
		if err != nil {
			b.Fatalf("%d of %d messages: %v", len(msgs), channels*perChan, err)
		}
		// No duplicate, none lost: each chat got each post exactly once.
		seen := map[string]bool{}
		first := map[string]time.Time{}
		var last time.Time
		for _, m := range msgs {
			k := m.Payload.Channel + "|" + m.Payload.Text
			if seen[k] {
				b.Fatalf("duplicate: %s", k)
			}
			seen[k] = true
			if f, ok := first[m.Payload.Channel]; !ok || m.Received.Before(f) {
				first[m.Payload.Channel] = m.Received
			}
			if m.Received.After(last) {
				last = m.Received
			}
		}
		if len(seen) != channels*perChan {
			b.Fatalf("%d distinct messages, want %d", len(seen), channels*perChan)
		}
		// Once every delivery is recorded published, no call can follow.
		eventually(b, 30*time.Second, func() string {
			rows, err := tm.DB.PlanReport(ctx, ws.ID, "burst")
			if err != nil {
				return err.Error()
			}
			for _, r := range rows {
				if r.Status != herald.StatusPublished || r.Attempts != 1 {
					return fmt.Sprintf("%s/%s is %s after %d attempts", r.Key, r.Channel, r.Status, r.Attempts)
				}
			}
			return ""
		})
		if n := len(fake.Calls()); n != channels*perChan {
			b.Fatalf("%d calls, want %d", n, channels*perChan)
		}
		makespan := last.Add(latency).Sub(due) // the last answer leaves latency after the request arrives
		ratios = append(ratios, float64(makespan)/float64(floor))
		var late []float64
		for _, f := range first {
			late = append(late, float64(f.Sub(due))/float64(time.Millisecond))
		}
		sort.Float64s(late)
		firstMedian = append(firstMedian, late[len(late)/2])
		firstWorst = append(firstWorst, late[len(late)-1])
		if replicas > 1 { // each replica's share of the attempts
			rows, err := admin.Query(`SELECT node, COUNT(*) FROM ` + schema + `.attempts GROUP BY node`)
			if err != nil {
				b.Fatal(err)
			}
			least := 1.0
			for rows.Next() {
				var node string
				var n int
				if err := rows.Scan(&node, &n); err != nil {
					b.Fatal(err)
				}
				least = min(least, float64(n)/float64(channels*perChan))
			}
			rows.Close()
			shares = append(shares, least)
		}
		fake.Close()
	}
	b.ReportMetric(mean(ratios), "makespan/floor")
	b.ReportMetric(mean(cpus), "cpu/floor")
	b.ReportMetric(mean(firstMedian), "first-post-median-ms")
	b.ReportMetric(mean(firstWorst), "first-post-worst-ms")
	if len(shares) > 0 {
		b.ReportMetric(mean(shares), "least-replica-share")
	}
}

// benchBurstHTTP is the agency burst's calls alone: the same adapter and
// receiver, one goroutine a channel publishing its 10 posts one after the
// other, with no storage or scheduler — what this machine's cores can do
// for the HTTP of a burst (client and receiver share them), the floor any
// scheduler meets here.
func benchBurstHTTP(b *testing.B, channels int) {
	const (
		perChan = 10
		latency = 50 * time.Millisecond
	)
	floor := time.Duration(perChan) * latency
	cfg := testConfig(b.TempDir())
	pub := webhook.New(webhook.Options{HTTPClient: outbound.New(outbound.Options{Allow: cfg.network(), Concurrency: channels}), Logger: zerolog.Nop()})
	var ratios, cpus []float64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		fake := webhookfake.New(webhookfake.Options{Latency: latency})
		var wg sync.WaitGroup
		var failed atomic.Int64
		start := make(chan struct{})
		for c := 0; c < channels; c++ {
			ch := herald.Channel{ID: int64(c + 1), Name: fmt.Sprintf("ch-%03d", c), Platform: "webhook",
				Config: map[string]any{"url": fake.URL}, Credentials: map[string]string{"secret": fake.Secret}}
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				for p := 0; p < perChan; p++ {
					res := pub.Publish(context.Background(), herald.PublishRequest{Workspace: "bench", DeliveryID: int64(c*perChan + p + 1),
						IdempotencyKey: fmt.Sprintf("k-%d-%d", c, p), Attempt: 1, Channel: ch,
						Message: herald.Message{Text: fmt.Sprintf("Burst post %d", p)}})
					if res.Outcome != herald.OutcomePublished {
						failed.Add(1)
					}
				}
			}()
		}
		began, cpu0 := time.Now(), cpuTime(b)
		b.StartTimer()
		close(start)
		wg.Wait()
		b.StopTimer()
		if n := failed.Load(); n > 0 {
			b.Fatalf("%d publishes not published", n)
		}
		ratios = append(ratios, float64(time.Since(began))/float64(floor))
		cpus = append(cpus, cpuFloors(cpuTime(b)-cpu0, floor))
		fake.Close()
	}
	b.ReportMetric(mean(ratios), "makespan/floor")
	b.ReportMetric(mean(cpus), "cpu/floor")
}

// cpuTime is the CPU time this process has used (user and system, every
// thread): the test process holds Herald, its scheduler and the fake
// receiver, not PostgreSQL's server.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuFloors is the CPU time cpu spread over every core, in floors: the
// makespan/floor no scheduler can beat on this machine for that much work
// (1.0 = the cores were busy for the whole floor).
func cpuFloors(cpu, floor time.Duration) float64 {
	return float64(cpu) / float64(runtime.GOMAXPROCS(0)) / float64(floor)
}

func mean(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}
