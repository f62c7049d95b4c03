package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/api"
	"github.com/heraldhq/herald/storage"
)

// Config is what the flags and HERALD_* variables say. Flags win over
// variables, variables over defaults.
type Config struct {
	Addr         string
	DataDir      string
	DatabaseURL  string
	LogLevel     string
	Workers      int
	MaxBodyBytes int64
	Lease        time.Duration
	Shutdown     time.Duration
	RetryBase    time.Duration
	// AllowPrivateMedia lets media URLs resolve to loopback, private or
	// link-local addresses (tests, media served inside the network).
	AllowPrivateMedia bool
}

// env returns the variable's value, or def when it is unset or empty.
func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

func envDuration(name string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

func envBool(name string, def bool) bool {
	if v, err := strconv.ParseBool(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

// registerCommon adds the flags every subcommand accepts.
func (c *Config) registerCommon(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", env("HERALD_ADDR", "127.0.0.1:8080"), "listen address (HERALD_ADDR)")
	fs.StringVar(&c.DataDir, "data-dir", env("HERALD_DATA_DIR", "./data"), "data directory: SQLite database, secret key, outbox (HERALD_DATA_DIR)")
	fs.StringVar(&c.DatabaseURL, "db", env("HERALD_DATABASE_URL", ""), "database: a SQLite file path (default <data-dir>/herald.db) (HERALD_DATABASE_URL)")
	fs.StringVar(&c.LogLevel, "log-level", env("HERALD_LOG_LEVEL", "info"), "debug, info, warn or error (HERALD_LOG_LEVEL)")
	fs.IntVar(&c.Workers, "workers", envInt("HERALD_WORKERS", 100), "publishing workers across channels (HERALD_WORKERS)")
	fs.Int64Var(&c.MaxBodyBytes, "max-body", int64(envInt("HERALD_MAX_BODY_BYTES", api.DefaultMaxBodyBytes)), "largest accepted request body in bytes (HERALD_MAX_BODY_BYTES)")
	fs.DurationVar(&c.Lease, "lease", envDuration("HERALD_LEASE", 5*time.Minute), "how long a claimed delivery is held before another process may recover it (HERALD_LEASE)")
	fs.DurationVar(&c.RetryBase, "retry-backoff", envDuration("HERALD_RETRY_BACKOFF", 5*time.Second), "first retry delay after a retryable error; doubles each attempt, with jitter (HERALD_RETRY_BACKOFF)")
	fs.BoolVar(&c.AllowPrivateMedia, "allow-private-media", envBool("HERALD_ALLOW_PRIVATE_MEDIA", false), "let media URLs resolve to loopback, private or link-local addresses (HERALD_ALLOW_PRIVATE_MEDIA)")
	fs.DurationVar(&c.Shutdown, "shutdown-grace", 30*time.Second, "how long in-flight publishes may finish on shutdown")
}

// dsn is the database to open: --db, or SQLite under the data directory.
func (c *Config) dsn() string {
	if c.DatabaseURL != "" {
		return c.DatabaseURL
	}
	return filepath.Join(c.DataDir, "herald.db")
}

func (c *Config) validate() error {
	if c.DataDir == "" {
		return fmt.Errorf("--data-dir must not be empty")
	}
	if c.Workers < 1 {
		return fmt.Errorf("--workers must be at least 1")
	}
	if c.Lease < 2*time.Second {
		return fmt.Errorf("--lease must be at least 2s")
	}
	if c.RetryBase <= 0 {
		return fmt.Errorf("--retry-backoff must be positive")
	}
	if c.MaxBodyBytes < 1024 {
		return fmt.Errorf("--max-body must be at least 1024 bytes")
	}
	return c.checkDatabase()
}

// checkDatabase refuses, before anything is written (data directory, secret
// key), a database Herald cannot open: PostgreSQL, for now.
func (c *Config) checkDatabase() error {
	if err := storage.CheckDSN(c.dsn()); err != nil {
		return fmt.Errorf("--db (HERALD_DATABASE_URL): %s, or leave it unset for SQLite at %s",
			herald.ErrorMessage(err), filepath.Join(c.DataDir, "herald.db"))
	}
	return nil
}
