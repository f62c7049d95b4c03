// Package scheduler publishes due deliveries: a dispatch loop, driven by a
// robfig/cron tick, a timer for the next due delivery and wake-ups, claims
// due deliveries under a lease (at most one per channel, in due order) and
// runs them on a bounded worker pool through the platform's Publisher, then
// records each attempt's result, backing off retryable errors.
package scheduler

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heraldhq/herald"
	"github.com/robfig/cron/v3"
	"github.com/rs/zerolog"
)

// Store is the part of storage the scheduler needs (implemented by
// *storage.DB; see the contract for each method's semantics).
type Store interface {
	ClaimDue(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]herald.Job, error)
	Complete(ctx context.Context, owner string, job herald.Job, res herald.Result, finished, retryAt time.Time) error
	// CompleteAndClaimNext is Complete, then the claim of the earliest due
	// delivery for the freed worker (nil when none).
	CompleteAndClaimNext(ctx context.Context, owner string, job herald.Job, res herald.Result, finished, retryAt time.Time,
		lease time.Duration) (*herald.Job, error)
	Release(ctx context.Context, owner string, ids []int64) error
	RecoverExpired(ctx context.Context, now time.Time, idempotent func(ch herald.Channel) bool) (int, error)
	// RecoverAbandoned runs at Start: it recovers what RecoverExpired does
	// and, on a store this process holds alone, every claim not owner's
	// (a dead predecessor's) at once, whatever its lease.
	RecoverAbandoned(ctx context.Context, owner string, now time.Time, idempotent func(ch herald.Channel) bool) (int, error)
	// RenewLeases extends owner's leases on ids to until and returns the ids
	// owner no longer holds.
	RenewLeases(ctx context.Context, owner string, ids []int64, until time.Time) (lost []int64, err error)
	// Heartbeat records that this process is alive; Elect makes it hold a
	// duty for a term (or extends its term) and reports whether it holds
	// it; Resign gives the duty up.
	Heartbeat(ctx context.Context, now time.Time) error
	Elect(ctx context.Context, duty string, now time.Time, term time.Duration) (bool, error)
	Resign(ctx context.Context, duty string) error
	NextDue(ctx context.Context) (time.Time, bool, error)
	// ThrottledAttempts counts the delivery's attempts that ended in a
	// throttled retry (they do not count toward MaxAttempts).
	ThrottledAttempts(ctx context.Context, deliveryID int64) (int, error)
	// UnknownDeliveries and ResolveUnknown serve the reconcile pass.
	UnknownDeliveries(ctx context.Context, limit int) ([]herald.Job, error)
	ResolveUnknown(ctx context.Context, id int64, res herald.Result, at time.Time) error
}

// Publisher pushes one attempt of a delivery to a platform and classifies
// the answer. Publish must honour ctx and never return credentials.
type Publisher interface {
	Publish(ctx context.Context, req herald.PublishRequest) herald.Result
	Idempotent() bool // true when a retry with req.IdempotencyKey cannot post twice
}

// ChannelIdempotent is implemented by publishers whose idempotency is the
// channel's to say rather than the platform's (a webhook receiver that
// honours Idempotency-Key: config.idempotent). IdempotentOn reports whether
// a retry on ch with req.IdempotencyKey cannot post twice; it then decides
// for the publisher's channels in place of Idempotent.
type ChannelIdempotent interface {
	IdempotentOn(ch herald.Channel) bool
}

// Reconciler is implemented by publishers whose platform can list the
// channel's recent posts: Reconcile looks for the delivery's post among
// those published after since, by content. found is false when it is not
// there or can't be told; err reports a failed lookup.
type Reconciler interface {
	Reconcile(ctx context.Context, req herald.PublishRequest, since time.Time) (res herald.Result, found bool, err error)
}

// Config tunes a Scheduler. Zero values take the defaults noted per field.
type Config struct {
	// Owner names this process in leases (default hostname-pid-random).
	Owner string
	// Workers bounds concurrent publishes across channels (default 64).
	Workers int
	// Lease is how long a claim is held before another process may recover
	// it (default 30s). The scheduler renews the leases of its running
	// publishes every Lease/3, so a publish may take longer than the lease
	// while its process is alive; a process that stops has its claims
	// recovered within about one lease.
	Lease time.Duration
	// PublishTimeout bounds one Publish call (default 60s).
	PublishTimeout time.Duration
	// ShutdownGrace is how long Shutdown lets in-flight publishes run before
	// cancelling them (default 30s).
	ShutdownGrace time.Duration
	// MaxAttempts: a retryable outcome of this attempt fails the delivery
	// with "gave up after N attempts: <reason>" (default 10). Throttled
	// attempts (Result.Throttled) are not counted: a rate-limited delivery
	// waits as long as it is asked to (its lateness window bounds it).
	MaxAttempts int
	// BaseBackoff and MaxBackoff shape the retry delay
	// min(MaxBackoff, BaseBackoff·2^(attempt-1)) ±20 % (defaults 5s, 30m),
	// attempt counted as for MaxAttempts. A throttled retry waits its
	// RetryAfter, or BaseBackoff ±20 % when it names none.
	BaseBackoff time.Duration
	MaxBackoff  time.Duration
	// Now is the clock (default herald.Now).
	Now func() time.Time
	// Logger receives one line per attempt and the loop's errors.
	Logger zerolog.Logger
	// Tick is the cron spec (with seconds) of the periodic wake-up
	// (default "* * * * * *", every second).
	Tick string
	// ReconcileEvery is how often unknown deliveries are looked up on
	// platforms whose publisher is a Reconciler (default 1m; negative turns
	// the pass off). The first pass runs at Start.
	ReconcileEvery time.Duration
}

// Defaults.
const (
	DefaultWorkers        = 64
	DefaultLease          = 30 * time.Second
	DefaultPublishTimeout = 60 * time.Second
	DefaultShutdownGrace  = 30 * time.Second
	DefaultMaxAttempts    = 10
	DefaultBaseBackoff    = 5 * time.Second
	DefaultMaxBackoff     = 30 * time.Minute
	DefaultTick           = "* * * * * *"
	DefaultReconcileEvery = time.Minute
)

const (
	recoverEvery    = 5 * time.Second  // RecoverExpired at most this often from the loop
	minLease        = time.Second      // leases are renewed every Lease/3
	maxTimerWait    = time.Minute      // the loop re-checks NextDue at least this often
	storeTimeout    = 30 * time.Second // bound on one store call from the loop
	completeTries   = 5                // Complete is retried on store errors
	completeBackoff = 100 * time.Millisecond
	cancelWait      = 5 * time.Second // Shutdown waits this long for cancelled publishes to return
	logReasonMax    = 300             // characters of a platform's reason in a log line
)

// Scheduler claims due deliveries and publishes them. Create it with New,
// run it with Start, stop it with Shutdown.
type Scheduler struct {
	store Store
	pubs  map[string]Publisher
	cfg   Config
	log   zerolog.Logger

	wake     chan struct{} // buffered 1: a pending nudge for the loop
	quit     chan struct{} // closed by Shutdown: the loop exits
	loopDone chan struct{} // closed when the loop has exited
	// renewStop ends the lease renewal once Shutdown has seen every
	// publish finish; renewDone is closed when it has.
	renewStop, renewDone chan struct{}

	pubCtx    context.Context // parent of every Publish; cancelled after the grace
	cancelPub context.CancelFunc

	cron *cron.Cron
	wg   sync.WaitGroup // worker goroutines

	stopReconcile context.CancelFunc // nil when the reconcile loop does not run
	reconcileDone chan struct{}      // closed when the reconcile loop has exited

	mu          sync.Mutex
	started     bool
	stopping    bool
	busy        int                  // jobs claimed and not finished (or left for Release)
	unstarted   map[int64]herald.Job // claimed, publish not begun
	leases      map[int64]func()     // claimed and not finished: their lease is renewed; the func cancels the publish
	lastRecover time.Time

	leader atomic.Bool // this process holds the maintenance duty (see lease.go)

	shutOnce sync.Once
	shutErr  error

	// beforeRun, when set (tests only), runs in a worker before it checks
	// whether the scheduler is stopping.
	beforeRun func(herald.Job)
}

// New returns a Scheduler over store publishing through pubs (by platform
// name). Zero Config fields take their defaults; Start validates the rest.
func New(store Store, pubs map[string]Publisher, cfg Config) *Scheduler {
	if cfg.Owner == "" {
		cfg.Owner = defaultOwner()
	}
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultLease
	}
	if cfg.PublishTimeout <= 0 {
		cfg.PublishTimeout = DefaultPublishTimeout
	}
	if cfg.ShutdownGrace <= 0 {
		cfg.ShutdownGrace = DefaultShutdownGrace
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.BaseBackoff <= 0 {
		cfg.BaseBackoff = DefaultBaseBackoff
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = DefaultMaxBackoff
	}
	if cfg.Now == nil {
		cfg.Now = herald.Now
	}
	if cfg.Tick == "" {
		cfg.Tick = DefaultTick
	}
	if cfg.ReconcileEvery == 0 {
		cfg.ReconcileEvery = DefaultReconcileEvery
	}
	pubCtx, cancel := context.WithCancel(context.Background())
	return &Scheduler{
		store:     store,
		pubs:      pubs,
		cfg:       cfg,
		log:       cfg.Logger.With().Str("component", "scheduler").Logger(),
		wake:      make(chan struct{}, 1),
		quit:      make(chan struct{}),
		loopDone:  make(chan struct{}),
		renewStop: make(chan struct{}),
		renewDone: make(chan struct{}),
		pubCtx:    pubCtx,
		cancelPub: cancel,
		unstarted: make(map[int64]herald.Job),
		leases:    make(map[int64]func()),
	}
}

// Owner returns the name this scheduler uses in leases.
func (s *Scheduler) Owner() string { return s.cfg.Owner }

// Start recovers deliveries whose lease expired (a process died while
// publishing them: idempotent platforms are retried with the same key, the
// others become unknown), then starts the cron tick, the dispatch loop and
// (when a publisher is a Reconciler) the reconcile pass, which run until
// Shutdown. ctx bounds only the start-up work. Start returns
// an EINVALID *herald.Error for a bad Config (PublishTimeout not below Lease,
// MaxBackoff below BaseBackoff, an unparsable Tick), an ECONFLICT one when
// called twice or after Shutdown, and the store's error if recovery fails.
func (s *Scheduler) Start(ctx context.Context) error {
	if s.cfg.Lease < minLease {
		return herald.Errorf(herald.EINVALID, "scheduler: the lease %s is shorter than %s", s.cfg.Lease, minLease)
	}
	if s.cfg.MaxBackoff < s.cfg.BaseBackoff {
		return herald.Errorf(herald.EINVALID, "scheduler: max backoff %s is below base backoff %s", s.cfg.MaxBackoff, s.cfg.BaseBackoff)
	}
	c := cron.New(cron.WithSeconds(), cron.WithLocation(time.UTC), cron.WithLogger(cronLogger{s.log}))
	if _, err := c.AddFunc(s.cfg.Tick, s.Wake); err != nil {
		return herald.Errorf(herald.EINVALID, "scheduler: tick %q is not a cron spec with seconds: %v", s.cfg.Tick, err)
	}

	s.mu.Lock()
	if s.started || s.stopping {
		s.mu.Unlock()
		return herald.Errorf(herald.ECONFLICT, "scheduler: already started or shut down")
	}
	s.started = true // reserve; Shutdown now waits for the loop
	s.mu.Unlock()

	now := s.cfg.Now()
	s.beat(ctx)
	n, err := s.store.RecoverAbandoned(s.acting(ctx), s.cfg.Owner, now, s.idempotent)
	if err != nil {
		s.mu.Lock()
		s.started = false
		s.mu.Unlock()
		return fmt.Errorf("scheduler: recover expired leases: %w", err)
	}
	if n > 0 {
		s.log.Warn().Int("count", n).Msg("recovered deliveries left publishing by a stopped process")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping { // Shutdown came during recovery: do not start the loop
		return herald.Errorf(herald.ECONFLICT, "scheduler: shut down while starting")
	}
	s.lastRecover = now
	s.cron = c
	c.Start()
	go s.loop()
	go s.renewLoop()
	if s.cfg.ReconcileEvery > 0 && s.reconciles() {
		rctx, cancel := context.WithCancel(herald.WithActor(context.Background(), herald.Actor{Kind: "reconciler", ID: s.cfg.Owner}))
		s.stopReconcile, s.reconcileDone = cancel, make(chan struct{})
		go s.reconcileLoop(rctx)
	}
	s.log.Info().Str("owner", s.cfg.Owner).Int("workers", s.cfg.Workers).Str("tick", s.cfg.Tick).Msg("scheduler started")
	return nil
}

// Wake nudges the dispatch loop to claim now (plans were applied, a delivery
// was retried). It never blocks; nudges while one is pending coalesce.
func (s *Scheduler) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Shutdown stops claiming at once, stops the tick and the reconcile pass,
// lets in-flight publishes finish within ShutdownGrace (or until ctx is done), then cancels them and
// waits a few seconds for their results to be recorded. Jobs claimed but
// never started are released back to the store. Calling it again returns the
// first call's result. It returns an error when Release fails or when a
// publisher ignored cancellation (its lease will expire and be recovered).
func (s *Scheduler) Shutdown(ctx context.Context) error {
	s.shutOnce.Do(func() { s.shutErr = s.shutdown(ctx) })
	return s.shutErr
}

func (s *Scheduler) shutdown(ctx context.Context) error {
	defer s.cancelPub()
	s.mu.Lock()
	s.stopping = true
	started := s.started
	c := s.cron
	stopReconcile, reconcileDone := s.stopReconcile, s.reconcileDone
	s.mu.Unlock()
	if !started {
		return nil
	}
	close(s.quit)
	if c == nil {
		return nil // Start is still recovering and will not start the loop
	}
	c.Stop()
	<-s.loopDone
	if stopReconcile != nil {
		stopReconcile()
		<-reconcileDone
	}

	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	grace := time.NewTimer(s.cfg.ShutdownGrace)
	defer grace.Stop()
	select {
	case <-done:
	case <-grace.C:
	case <-ctx.Done():
	}
	s.cancelPub()
	var errs []error
	select {
	case <-done:
	case <-time.After(cancelWait):
		s.mu.Lock()
		n := s.busy - len(s.unstarted)
		s.mu.Unlock()
		errs = append(errs, fmt.Errorf("scheduler: %d publishes still running after cancellation; their leases will expire and be recovered", n))
	}

	s.mu.Lock()
	ids := make([]int64, 0, len(s.unstarted))
	for id := range s.unstarted {
		ids = append(ids, id)
	}
	s.mu.Unlock()
	if len(ids) > 0 {
		rctx, cancel := context.WithTimeout(s.acting(context.WithoutCancel(ctx)), storeTimeout)
		err := s.store.Release(rctx, s.cfg.Owner, ids)
		cancel()
		s.mu.Lock()
		for _, id := range ids {
			delete(s.leases, id)
		}
		s.mu.Unlock()
		if err != nil {
			errs = append(errs, fmt.Errorf("scheduler: release %d claimed jobs: %w", len(ids), err))
		} else {
			s.log.Info().Int("count", len(ids)).Msg("released claimed deliveries that never started")
		}
	}
	close(s.renewStop)
	<-s.renewDone
	if s.leader.Load() {
		rctx, cancel := context.WithTimeout(s.acting(context.WithoutCancel(ctx)), storeTimeout)
		if err := s.store.Resign(rctx, maintenance); err != nil {
			s.log.Warn().Err(err).Msg("resign the maintenance duty; another process takes it when its term ends")
		}
		cancel()
		s.leader.Store(false)
	}
	s.log.Info().Msg("scheduler stopped")
	if len(errs) == 1 {
		return errs[0]
	} else if len(errs) > 1 {
		return fmt.Errorf("%w; %w", errs[0], errs[1])
	}
	return nil
}

// acting marks ctx as the scheduler's doing, for the delivery events.
func (s *Scheduler) acting(ctx context.Context) context.Context {
	return herald.WithActor(ctx, herald.Actor{Kind: "scheduler", ID: s.cfg.Owner})
}

// storeCtx bounds one store call of the scheduler's own.
func (s *Scheduler) storeCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(s.acting(context.Background()), storeTimeout)
}

// idempotent reports whether the channel's publisher can retry on it
// without posting twice (see ChannelIdempotent); an unknown platform cannot.
func (s *Scheduler) idempotent(ch herald.Channel) bool {
	p, ok := s.pubs[ch.Platform]
	if !ok || p == nil {
		return false
	}
	if c, ok := p.(ChannelIdempotent); ok {
		return c.IdempotentOn(ch)
	}
	return p.Idempotent()
}

func defaultOwner() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "herald"
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
}

// cronLogger sends cron's messages to zerolog: routine ones at trace level.
type cronLogger struct{ log zerolog.Logger }

func (l cronLogger) Info(msg string, kv ...any) {
	l.log.Trace().Fields(kv).Msg("cron: " + msg)
}

func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error().Err(err).Fields(kv).Msg("cron: " + msg)
}
