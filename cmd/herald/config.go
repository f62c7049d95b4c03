package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/heraldhq/herald/api"
	"github.com/heraldhq/herald/publishers/outbound"
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
	// AllowPrivateNetworks lets outbound calls — channel endpoints and
	// media downloads — reach the non-public addresses it allows
	// (HERALD_ALLOW_PRIVATE_NETWORKS: true, or CIDRs and host names).
	AllowPrivateNetworks outbound.Allow
	// AllowPrivateMedia is the older HERALD_ALLOW_PRIVATE_MEDIA, an alias
	// of AllowPrivateNetworks=true (see network).
	AllowPrivateMedia bool
	networksErr       error // a bad HERALD_ALLOW_PRIVATE_NETWORKS
}

// network is what outbound calls may reach besides public addresses.
func (c *Config) network() outbound.Allow {
	if c.AllowPrivateMedia {
		return c.AllowPrivateNetworks.Join(outbound.AllowAll)
	}
	return c.AllowPrivateNetworks
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
	c.networksErr = c.AllowPrivateNetworks.Set(os.Getenv("HERALD_ALLOW_PRIVATE_NETWORKS"))
	fs.Var(&c.AllowPrivateNetworks, "allow-private-networks", "let channel endpoints and media reach loopback, private or link-local addresses: true, or a comma list of CIDRs and host names (HERALD_ALLOW_PRIVATE_NETWORKS)")
	fs.BoolVar(&c.AllowPrivateMedia, "allow-private-media", envBool("HERALD_ALLOW_PRIVATE_MEDIA", false), "older name of --allow-private-networks=true (HERALD_ALLOW_PRIVATE_MEDIA)")
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
	if c.networksErr != nil {
		return fmt.Errorf("HERALD_ALLOW_PRIVATE_NETWORKS: %w", c.networksErr)
	}
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
	return nil
}
