package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/api"
	contentplans "github.com/heraldhq/herald/content-plans"
	"github.com/heraldhq/herald/publishers"
	"github.com/heraldhq/herald/scheduler"
	"github.com/heraldhq/herald/storage"
)

// Main is the running program: the one place that joins storage, the
// publishers, the scheduler and the API. End-to-end tests drive it too.
type Main struct {
	Config Config
	Stdout io.Writer
	Log    zerolog.Logger

	// Now is the clock every component uses.
	Now func() time.Time

	DB         *storage.DB
	Publishers map[string]publishers.Publisher
	Scheduler  *scheduler.Scheduler

	server   *http.Server
	listener net.Listener
	served   chan error
}

// NewMain returns a Main for cfg that logs to stderr.
func NewMain(cfg Config, stdout, stderr io.Writer) *Main {
	log := newLogger(cfg.LogLevel, stderr)
	if cfg.Node != "" {
		log = log.With().Str("node", cfg.Node).Logger()
	}
	return &Main{Config: cfg, Stdout: stdout, Log: log, Now: herald.Now}
}

func newLogger(level string, w io.Writer) zerolog.Logger {
	lvl, err := zerolog.ParseLevel(strings.ToLower(level))
	if err != nil || level == "" {
		lvl = zerolog.InfoLevel
	}
	if f, ok := w.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly}
	}
	return zerolog.New(w).Level(lvl).With().Timestamp().Logger()
}

// OpenDB opens the database (SQLite under the data directory by default, or
// what --db names: a SQLite file or a postgres:// URL) and brings its schema
// up to date. It refuses a database it cannot open before it writes anything.
func (m *Main) OpenDB(ctx context.Context) error {
	if err := m.Config.checkDatabase(); err != nil {
		return err
	}
	if err := os.MkdirAll(m.Config.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	key, err := loadSecretKey(m.Config.DataDir, m.Log)
	if err != nil {
		return err
	}
	db, err := storage.Open(m.Config.dsn(), storage.Options{SecretKey: key, Now: m.Now, Logger: m.Log,
		Node: m.Config.Node, Sole: m.Config.sole})
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	m.DB = db
	if err := db.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// Run binds the listener, opens the database, prints the first admin token
// when there is none, starts the scheduler and starts serving the API. It
// binds first so that a start that cannot listen (port busy) changes nothing:
// no data directory, no token created and shown to nobody. It returns once
// the listener is open; Close stops everything (also after a failed Run).
func (m *Main) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", m.Config.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", m.Config.Addr, err)
	}
	m.listener = ln
	if err := m.OpenDB(ctx); err != nil {
		return err
	}
	if err := m.firstToken(ctx); err != nil {
		return err
	}

	if network := m.Config.network(); network.String() != "false" {
		m.Log.Warn().Str("allow_private_networks", network.String()).Msg("outbound calls may reach these non-public addresses")
	}
	m.Publishers = publishers.New(publishers.Options{DataDir: m.Config.DataDir, Logger: m.Log, Now: m.Now,
		Network:           m.Config.network(),
		Concurrency:       m.Config.Workers,
		SaveCredentials:   m.DB.UpdateChannelCredentials,
		SaveDeliveryState: m.DB.SaveDeliveryState,
	})
	pubs := make(map[string]scheduler.Publisher, len(m.Publishers))
	for name, p := range m.Publishers {
		pubs[name] = p
	}
	m.Scheduler = scheduler.New(m.DB, pubs, scheduler.Config{
		Owner:          m.Config.Node,
		Workers:        m.Config.Workers,
		Lease:          m.Config.Lease,
		PublishTimeout: scheduler.DefaultPublishTimeout,
		ShutdownGrace:  m.Config.Shutdown,
		BaseBackoff:    m.Config.RetryBase,
		MaxBackoff:     max(scheduler.DefaultMaxBackoff, m.Config.RetryBase),
		Now:            m.Now,
		Logger:         m.Log,
	})
	if err := m.Scheduler.Start(ctx); err != nil {
		return fmt.Errorf("start scheduler: %w", err)
	}

	srv := api.New(m.DB, api.Config{
		Logger:       m.Log.With().Str("component", "api").Logger(),
		MaxBodyBytes: m.Config.MaxBodyBytes,
		ValidateChannel: func(ch *herald.Channel) error {
			return publishers.ValidateChannel(m.Publishers, ch, m.Config.network())
		},
		Endpoints:     func(platform string) []string { return publishers.Endpoints(m.Publishers, platform) },
		OnPlanApplied: m.Scheduler.Wake,
		Now:           m.Now,
		BuildPlan:     contentplans.Build,
		SniffPlan:     contentplans.Sniff,
		Ready: func(ctx context.Context) error {
			if err := m.DB.Ping(ctx); err != nil {
				return err
			}
			return m.DB.CheckSchema(ctx)
		},
		CheckChannel: func(ctx context.Context, ch *herald.Channel) error {
			return publishers.Check(ctx, m.Publishers, ch)
		},
		Platforms:  func() any { return platformList(m.Publishers) },
		PublicURL:  m.Config.PublicURL,
		SessionTTL: m.Config.SessionTTL,
	})
	m.server = &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: m.Config.ReadTimeout, WriteTimeout: m.Config.ReadTimeout + 5*time.Minute, IdleTimeout: 2 * time.Minute}
	m.served = make(chan error, 1)
	go func() { m.served <- m.server.Serve(ln) }()
	m.Log.Info().Str("addr", "http://"+ln.Addr().String()).Str("data_dir", m.Config.DataDir).Msg("herald is serving")
	return nil
}

// platformInfo is one platform as GET /api/v1/platforms lists it: the rules
// plan validation applies, whether Herald has an adapter for it, and
// whether a retry can post twice there.
type platformInfo struct {
	contentplans.PlatformRule
	Adapter    bool `json:"adapter"`
	Idempotent bool `json:"idempotent"`
}

// platformList joins contentplans.Rules with the registered publishers,
// sorted by platform name; a publisher without rules is listed with none.
func platformList(pubs map[string]publishers.Publisher) []platformInfo {
	var out []platformInfo
	seen := map[string]bool{}
	for _, r := range contentplans.Rules() {
		p, ok := pubs[r.Platform]
		out = append(out, platformInfo{PlatformRule: r, Adapter: ok, Idempotent: ok && p.Idempotent()})
		seen[r.Platform] = true
	}
	for _, name := range publishers.Names(pubs) {
		if !seen[name] {
			out = append(out, platformInfo{PlatformRule: contentplans.PlatformRule{Platform: name, Unit: "no limit"},
				Adapter: true, Idempotent: pubs[name].Idempotent()})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Platform < out[j].Platform })
	return out
}

// firstToken creates and prints an admin token when the database has none,
// so a fresh install can be used at once. When there are tokens already it
// logs how to make another (a lost first token is not shown again).
func (m *Main) firstToken(ctx context.Context) error {
	actor := herald.Actor{Kind: herald.AuditSystem, ID: "serve", Name: "herald serve (first start)"}
	secret, _, err := m.DB.CreateFirstToken(herald.WithActor(ctx, actor), "first-admin")
	if err != nil {
		return err
	}
	if secret == "" {
		m.Log.Info().Msg("API tokens exist, so no new one was created; to make one: " + tokenCreateHint)
		return nil
	}
	fmt.Fprintf(m.Stdout, "\nHerald created an admin API token. It is shown only this once; keep it:\n\n    %s\n\nUse it as:  export HERALD_TOKEN=%s\n            curl -H \"Authorization: Bearer $HERALD_TOKEN\" http://%s/api/v1/workspaces\n\n",
		secret, secret, m.listener.Addr())
	return nil
}

// tokenCreateHint is the command that makes an API token, as messages name it.
const tokenCreateHint = "herald token create --name NAME"

// Addr is the address the API listens on (useful with port 0).
func (m *Main) Addr() string {
	if m.listener == nil {
		return ""
	}
	return m.listener.Addr().String()
}

// Close stops in order: no new requests, then no new claims while in-flight
// publishes finish within the grace period, then the database.
func (m *Main) Close() error {
	var errs []error
	if m.server == nil && m.listener != nil {
		m.listener.Close() // Run failed before serving; closing twice is harmless
	}
	if m.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := m.server.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("http shutdown: %w", err))
		}
		cancel()
		if err := <-m.served; err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, err)
		}
		m.server = nil
	}
	if m.Scheduler != nil {
		ctx, cancel := context.WithTimeout(context.Background(), m.Config.Shutdown+5*time.Second)
		if err := m.Scheduler.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("scheduler shutdown: %w", err))
		}
		cancel()
		m.Scheduler = nil
	}
	if m.DB != nil {
		if err := m.DB.Close(); err != nil {
			errs = append(errs, err)
		}
		m.DB = nil
	}
	return errors.Join(errs...)
}
