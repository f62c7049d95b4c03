package scheduler

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// BenchmarkBurst makes 1,000 deliveries due at one instant over 100 channels
// whose platform answers after 50 ms, and reports the makespan (due instant →
// last answer) as a multiple of the floor (the longest per-channel chain,
// 10 × 50 ms), plus the worst lateness of a channel's first post. Deliveries
// are created post by post, each to every channel, as a plan upload does.
func BenchmarkBurst(b *testing.B) {
	for _, workers := range []int{DefaultWorkers, 100} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			const channels, perChannel, latency = 100, 10, 50 * time.Millisecond
			floor := perChannel * latency
			var ratio, firstLate float64
			for b.Loop() {
				r, fl := burst(b, workers, channels, perChannel, latency)
				ratio += r.Seconds() / floor.Seconds()
				firstLate += fl.Seconds() * 1000
			}
			b.ReportMetric(ratio/float64(b.N), "makespan/floor")
			b.ReportMetric(firstLate/float64(b.N), "first-post-late-ms")
		})
	}
}

// burst runs one burst and returns its makespan and the worst lateness of a
// channel's first publish.
func burst(b *testing.B, workers, channels, perChannel int, latency time.Duration) (makespan, firstLate time.Duration) {
	st := newStore(b, nil)
	names := make([]string, channels)
	for c := range channels {
		names[c] = fmt.Sprintf("ch-%03d", c)
		st.channel(names[c], "fake")
	}
	pub := newFakePublisher(latency)
	due := herald.Now().Add(200 * time.Millisecond).Truncate(time.Millisecond) // as the store keeps it
	posts := make([]herald.Post, perChannel)
	for k := range posts {
		posts[k] = herald.Post{DueAt: due, Channels: names, Text: fmt.Sprintf("post %d", k)}
	}
	ids := st.apply(posts...)
	if len(ids) != channels*perChannel {
		b.Fatalf("%d deliveries, want %d", len(ids), channels*perChannel)
	}
	if late := herald.Now().Sub(due); late > 0 {
		b.Fatalf("the plan took until %s after the due instant to apply", late)
	}
	s := New(st.DB, map[string]Publisher{"fake": pub}, Config{Workers: workers, Tick: never})
	if err := s.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	finished := func() int {
		pub.mu.Lock()
		defer pub.mu.Unlock()
		return len(pub.finished)
	}
	// The store is read only once every publish has returned.
	eventually(b, func() bool { return finished() == len(ids) && st.count(herald.StatusPublished) == len(ids) },
		30*time.Second, "the burst published")
	if err := s.Shutdown(context.Background()); err != nil {
		b.Fatal(err)
	}
	if err := st.Close(); err != nil { // at once, not when the benchmark ends
		b.Fatal(err)
	}

	pub.mu.Lock()
	defer pub.mu.Unlock()
	if len(pub.overlaps) > 0 {
		b.Fatalf("concurrent publishes on one channel: %v", pub.overlaps[:1])
	}
	var last time.Time
	for _, id := range ids {
		if n := pub.calls[id]; n != 1 {
			b.Fatalf("delivery %d published %d times", id, n)
		}
		if f := pub.finished[id]; f.After(last) {
			last = f
		}
	}
	for _, order := range pub.order {
		firstLate = max(firstLate, pub.started[order[0]].Sub(due))
	}
	return last.Sub(due), firstLate
}
