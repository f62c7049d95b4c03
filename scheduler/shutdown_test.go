package scheduler

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/rs/zerolog"
)

func (s *Scheduler) isStopping() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopping
}

func TestShutdownReleasesUnstartedWaitsInFlightStopsClaiming(t *testing.T) {
	st := newStore(t, nil)
	now := herald.Now()
	inFlight := st.add("a", "fake", now, "post")
	unstarted := st.add("b", "fake", now, "post")
	waiting := st.add("c", "fake", now.Add(time.Millisecond), "post") // no free worker for it
	pub := newFakePublisher(200 * time.Millisecond)
	s := New(st.DB, map[string]Publisher{"fake": pub}, Config{Workers: 2, Tick: never})
	claimedB := make(chan struct{})
	s.beforeRun = func(job herald.Job) {
		if job.Delivery.ID != unstarted {
			return
		}
		close(claimedB)
		// Hold this worker until Shutdown has begun: its job was claimed but
		// never started.
		eventually(t, s.isStopping, 5*time.Second, "shutdown to begin")
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-claimedB
	eventually(t, func() bool { return pub.callsOf(inFlight) == 1 }, 2*time.Second, "a publishing")

	begin := time.Now()
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if d := st.get(inFlight); d.Status != herald.StatusPublished {
		t.Errorf("in-flight delivery: %s, want published (Shutdown waits for it)", d.Status)
	}
	if took := time.Since(begin); took > 2*time.Second {
		t.Errorf("Shutdown took %s", took)
	}
	d := st.get(unstarted)
	if d.Status != herald.StatusScheduled || d.Attempts != 0 || d.LeaseOwner != "" || pub.callsOf(unstarted) != 0 {
		t.Errorf("unstarted delivery after Shutdown = %s attempts %d owner %q calls %d, want released", d.Status, d.Attempts, d.LeaseOwner, pub.callsOf(unstarted))
	}
	if st.status(waiting) != herald.StatusScheduled || pub.callsOf(waiting) != 0 {
		t.Errorf("a delivery was claimed after Shutdown began: %s", st.status(waiting))
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}
	if err := s.Start(context.Background()); herald.ErrorCode(err) != herald.ECONFLICT {
		t.Errorf("Start after Shutdown = %v, want ECONFLICT", err)
	}
}

func TestShutdownCancelsInFlightAfterGraceOrContext(t *testing.T) {
	for name, tc := range map[string]struct {
		grace, ctxTimeout time.Duration
	}{
		"grace":   {grace: 100 * time.Millisecond, ctxTimeout: time.Minute},
		"context": {grace: time.Minute, ctxTimeout: 100 * time.Millisecond},
	} {
		t.Run(name, func(t *testing.T) {
			st := newStore(t, nil)
			id := st.add("a", "fake", herald.Now(), "post")
			pub := newFakePublisher(time.Minute) // returns unknown when its ctx is cancelled
			s := New(st.DB, map[string]Publisher{"fake": pub}, Config{ShutdownGrace: tc.grace, Tick: never})
			if err := s.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			eventually(t, func() bool { return pub.callsOf(id) == 1 }, 2*time.Second, "publishing")
			ctx, cancel := context.WithTimeout(context.Background(), tc.ctxTimeout)
			defer cancel()
			begin := time.Now()
			if err := s.Shutdown(ctx); err != nil {
				t.Fatalf("Shutdown: %v", err)
			}
			if took := time.Since(begin); took < 100*time.Millisecond || took > 2*time.Second {
				t.Errorf("Shutdown took %s, want about 100ms", took)
			}
			if d := st.get(id); d.Status != herald.StatusUnknown || !strings.Contains(d.Error, "context canceled") {
				t.Errorf("cancelled delivery = %s %q, want unknown recorded", d.Status, d.Error)
			}
		})
	}
}

func TestShutdownBeforeStart(t *testing.T) {
	s := New(newStore(t, nil).DB, nil, Config{})
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

func TestLogsAttemptsWithoutTextOrCredentials(t *testing.T) {
	var buf syncBuffer
	st := newStore(t, nil)
	ok := st.add("brand-tg", "fake", herald.Now(), "Our secret launch text")
	bad := st.add("other", "panicky", herald.Now(), "Another secret text")
	panicky := newFakePublisher(0)
	panicky.fn = func(_ context.Context, req herald.PublishRequest) herald.Result { panic("exploded") }
	start(t, st.DB, map[string]Publisher{"fake": newFakePublisher(0), "panicky": panicky},
		Config{Tick: never, Logger: zerolog.New(&buf)})
	eventually(t, func() bool { return st.status(ok).Final() && st.status(bad).Final() }, 2*time.Second, "done")

	out := buf.String()
	for _, want := range []string{fmt.Sprintf(`"delivery":%d`, ok), `"channel":"brand-tg"`, `"platform":"fake"`, `"outcome":"published"`,
		`"attempt":1`, `"latency":`, `"outcome":"unknown"`, "exploded"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
	for _, secret := range []string{"secret launch", "secret text", "SECRET-TOKEN"} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains %q:\n%s", secret, out)
		}
	}
}
