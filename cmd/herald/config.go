package main

import (
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/api"
	"github.com/heraldhq/herald/publishers/outbound"
	"github.com/heraldhq/herald/scheduler"
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
	// Node names this process in its log lines, leases, attempts and
	// delivery events (default hostname-pid).
	Node string
	// sole: this command serves, and on SQLite must hold the database alone.
	sole      bool
	Shutdown  time.Duration
	RetryBase time.Duration
	// ReadTimeout bounds how long a client may take to send one request,
	// body included (a slow-sending client holds a connection no longer).
	ReadTimeout time.Duration
	// AllowPrivateNetworks lets outbound calls — channel endpoints and
	// media downloads — reach the non-public addresses it allows
	// (HERALD_ALLOW_PRIVATE_NETWORKS: true, or CIDRs and host names).
	AllowPrivateNetworks outbound.Allow
	// AllowPrivateMedia is the older HERALD_ALLOW_PRIVATE_MEDIA, an alias
	// of AllowPrivateNetworks=true (see network).
	AllowPrivateMedia bool
	networksErr       error // a bad HERALD_ALLOW_PRIVATE_NETWORKS
	// PublicURL is where clients reach this server (its address behind a
	// proxy); review links are built on it. Empty: on each request's own
	// host (see api.Config.PublicURL).
	PublicURL string
	// SessionTTL is how long a sign-in lasts (herald.MinSessionTTL to
	// herald.MaxSessionTTL).
	SessionTTL time.Duration
	envErrs    []envErr // variables set to what their flag cannot take (see envValue)
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

// envErr is a variable set to what its flag cannot take.
type envErr struct {
	flag string
	err  error
}

// envValue is the variable's value parsed by parse, or def when it is
// unset. A value parse refuses is recorded in c.envErrs, naming the flag
// and the variable, for validate to report unless the flag itself is given:
// a mistyped HERALD_LEASE must not quietly become the default.
func envValue[T any](c *Config, name, variable string, def T, what string, parse func(string) (T, error)) T {
	s := os.Getenv(variable)
	if s == "" {
		return def
	}
	v, err := parse(s)
	if err != nil {
		c.envErrs = append(c.envErrs, envErr{name, fmt.Errorf("--%s (%s): %q is not %s; fix it or unset it", name, variable, s, what)})
		return def
	}
	return v
}

// Config's flags come in groups; each command registers those it uses. Each
// flag's default comes from its variable, else the built-in default; its
// usage names both.

// addrFlag registers --addr.
func (c *Config) addrFlag(fs *flag.FlagSet) {
	stringFlag(fs, &c.Addr, "addr", "HERALD_ADDR", "127.0.0.1:8080", "listen address")
}

// dbFlags registers what opening the database takes: --data-dir, --db, --log-level.
func (c *Config) dbFlags(fs *flag.FlagSet) {
	stringFlag(fs, &c.DataDir, "data-dir", "HERALD_DATA_DIR", "./data", "data directory: SQLite database, secret key, outbox")
	stringFlag(fs, &c.DatabaseURL, "db", "HERALD_DATABASE_URL", "", "database: a SQLite file path or file: URI, or a postgres:// URL")
	stringFlag(fs, &c.LogLevel, "log-level", "HERALD_LOG_LEVEL", "info", "debug, info, warn or error")
}

// serveFlags registers every flag of herald serve.
func (c *Config) serveFlags(fs *flag.FlagSet) {
	c.addrFlag(fs)
	c.dbFlags(fs)
	c.intFlag(fs, &c.Workers, "workers", "HERALD_WORKERS", 100, "publishing workers across channels")
	stringFlag(fs, &c.Node, "node", "HERALD_NODE", herald.DefaultNode(), "this process's name in logs, leases and delivery events; unique per replica")
	c.sole = true
	c.int64Flag(fs, &c.MaxBodyBytes, "max-body", "HERALD_MAX_BODY_BYTES", api.DefaultMaxBodyBytes, "largest accepted request body in bytes")
	c.durationFlag(fs, &c.Lease, "lease", "HERALD_LEASE", scheduler.DefaultLease, "how long a claim outlives its process: renewed while a publish runs, recovered this long after the process stops")
	c.durationFlag(fs, &c.RetryBase, "retry-backoff", "HERALD_RETRY_BACKOFF", 5*time.Second, "first retry delay after a retryable error; doubles each attempt, with jitter")
	c.durationFlag(fs, &c.ReadTimeout, "read-timeout", "HERALD_READ_TIMEOUT", 2*time.Minute, "how long a client may take to send a request, its body included")
	stringFlag(fs, &c.PublicURL, "public-url", "HERALD_PUBLIC_URL", "", "the URL clients reach this server at, such as https://herald.example.com behind a proxy: review links point there")
	c.durationFlag(fs, &c.Shutdown, "shutdown-grace", "HERALD_SHUTDOWN_GRACE", 30*time.Second, "how long in-flight publishes may finish on shutdown")
	c.durationFlag(fs, &c.SessionTTL, "session-ttl", "HERALD_SESSION_TTL", herald.DefaultSessionTTL, "how long a sign-in session lasts, 5m to 720h (30 days)")
	c.networksErr = c.AllowPrivateNetworks.Set(os.Getenv("HERALD_ALLOW_PRIVATE_NETWORKS"))
	fs.Var(&c.AllowPrivateNetworks, "allow-private-networks", envUsage("let channel endpoints and media reach loopback, private or link-local addresses: true, or a comma list of CIDRs and host names", "HERALD_ALLOW_PRIVATE_NETWORKS", "none"))
	c.boolFlag(fs, &c.AllowPrivateMedia, "allow-private-media", "HERALD_ALLOW_PRIVATE_MEDIA", false, "older name of --allow-private-networks=true")
}

func stringFlag(fs *flag.FlagSet, p *string, name, variable, def, usage string) {
	shown := def
	switch name {
	case "db":
		shown = "<data-dir>/herald.db"
	case "node":
		shown = "<hostname>-<pid>"
	case "public-url":
		shown = "the request's scheme and Host header"
	}
	fs.StringVar(p, name, env(variable, def), envUsage(usage, variable, shown))
}

func (c *Config) intFlag(fs *flag.FlagSet, p *int, name, variable string, def int, usage string) {
	fs.IntVar(p, name, envValue(c, name, variable, def, "a whole number", strconv.Atoi), envUsage(usage, variable, strconv.Itoa(def)))
}

func (c *Config) int64Flag(fs *flag.FlagSet, p *int64, name, variable string, def int64, usage string) {
	parse := func(s string) (int64, error) { return strconv.ParseInt(s, 10, 64) }
	fs.Int64Var(p, name, envValue(c, name, variable, def, "a whole number", parse), envUsage(usage, variable, strconv.FormatInt(def, 10)))
}

func (c *Config) durationFlag(fs *flag.FlagSet, p *time.Duration, name, variable string, def time.Duration, usage string) {
	fs.DurationVar(p, name, envValue(c, name, variable, def, "a duration such as 30s, 5m or 12h", time.ParseDuration), envUsage(usage, variable, def.String()))
}

func (c *Config) boolFlag(fs *flag.FlagSet, p *bool, name, variable string, def bool, usage string) {
	fs.BoolVar(p, name, envValue(c, name, variable, def, "true or false", strconv.ParseBool), envUsage(usage, variable, strconv.FormatBool(def)))
}

// envUsage is a flag's usage naming its variable and built-in default.
func envUsage(usage, variable, def string) string {
	return fmt.Sprintf("%s (%s, default %s)", usage, variable, def)
}

// dsn is the database to open: --db, or SQLite under the data directory.
func (c *Config) dsn() string {
	if c.DatabaseURL != "" {
		return c.DatabaseURL
	}
	return filepath.Join(c.DataDir, "herald.db")
}

// validate checks the values of the flags fs registered.
func (c *Config) validate(fs *flag.FlagSet) error {
	has := func(name string) bool { return fs.Lookup(name) != nil }
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for _, e := range c.envErrs {
		if !given[e.flag] {
			return e.err
		}
	}
	switch {
	case has("allow-private-networks") && c.networksErr != nil:
		return fmt.Errorf("HERALD_ALLOW_PRIVATE_NETWORKS: %w", c.networksErr)
	case has("data-dir") && c.DataDir == "":
		return fmt.Errorf("--data-dir must not be empty")
	case has("workers") && c.Workers < 1:
		return fmt.Errorf("--workers must be at least 1")
	case has("node") && (c.Node == "" || len(c.Node) > 200):
		return fmt.Errorf("--node must be 1 to 200 characters")
	case has("lease") && c.Lease < 2*time.Second:
		return fmt.Errorf("--lease must be at least 2s")
	case has("read-timeout") && c.ReadTimeout < time.Second:
		return fmt.Errorf("--read-timeout must be at least 1s")
	case has("retry-backoff") && c.RetryBase <= 0:
		return fmt.Errorf("--retry-backoff must be positive")
	case has("max-body") && c.MaxBodyBytes < 1024:
		return fmt.Errorf("--max-body must be at least 1024 bytes")
	case has("shutdown-grace") && c.Shutdown < 0:
		return fmt.Errorf("--shutdown-grace must not be negative")
	case has("public-url") && checkPublicURL(c.PublicURL) != nil:
		return checkPublicURL(c.PublicURL)
	case has("session-ttl") && (c.SessionTTL < herald.MinSessionTTL || c.SessionTTL > herald.MaxSessionTTL):
		return fmt.Errorf("--session-ttl (HERALD_SESSION_TTL) is %s; a sign-in session lasts %s to %s (30 days)",
			shortDuration(c.SessionTTL), shortDuration(herald.MinSessionTTL), shortDuration(herald.MaxSessionTTL))
	case has("db"):
		return c.checkDatabase()
	}
	return nil
}

// checkDatabase refuses, before anything is written (data directory, secret
// key), a database Herald cannot open: another kind (mysql://, …) or a
// PostgreSQL URL that does not parse.
func (c *Config) checkDatabase() error {
	if err := storage.CheckDSN(c.dsn()); err != nil {
		return fmt.Errorf("--db (HERALD_DATABASE_URL): %s, or leave it unset for SQLite at %s",
			herald.ErrorMessage(err), filepath.Join(c.DataDir, "herald.db"))
	}
	return nil
}

// checkPublicURL refuses a --public-url that could not prefix a link sent
// to a client: anything but an absolute http(s) URL with a host, or one
// with a query or fragment (the link's path is appended to it), or with a
// user name or password (a link would hand them out). Empty is allowed.
func checkPublicURL(s string) error {
	if s == "" {
		return nil
	}
	fail := func(why string) error {
		return fmt.Errorf("--public-url (HERALD_PUBLIC_URL) %q: %s; give where clients reach this server, such as https://herald.example.com, or leave it unset", s, why)
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return fail("not a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return fail("must be an absolute http:// or https:// URL")
	case u.Host == "" || u.Hostname() == "":
		return fail("has no host")
	case u.User != nil:
		return fail("must not hold a user name or password")
	case u.RawQuery != "" || u.ForceQuery:
		return fail("must have no query (?…)")
	case u.Fragment != "" || strings.Contains(s, "#"):
		return fail("must have no fragment (#…)")
	}
	return nil
}

// shortDuration is d as a flag takes it, without zero units: 5m, 720h.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}
