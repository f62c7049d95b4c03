// Command herald runs the Herald service (serve), applies its database
// migrations (migrate), manages API tokens (token create) and is the
// command-line client for CI (plan lint, plan apply, plan status).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	_ "time/tzdata" // IANA zones even on images without /usr/share/zoneinfo

	"github.com/heraldhq/herald"
)

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1 // the command ran and failed
	exitUsage = 2 // bad usage or configuration
)

const usage = `Herald schedules and publishes content plans to social channels.

Usage:
  herald serve                          run the API and the scheduler
  herald migrate                        apply database migrations and exit
  herald token create --name N [--role admin]
                                        create an API token and print it alone on stdout
  herald plan lint|apply|status ...     the client for CI: check a plan file offline, upload it,
                                        follow its deliveries (herald plan help)

Flags accepted by every command (each has a HERALD_* variable):
  --addr ADDR        listen address (HERALD_ADDR, default 127.0.0.1:8080)
  --data-dir DIR     data directory (HERALD_DATA_DIR, default ./data)
  --db URL           database (HERALD_DATABASE_URL, default SQLite at <data-dir>/herald.db)
  --log-level LEVEL  debug, info, warn, error (HERALD_LOG_LEVEL)
  --workers N        publishing workers (HERALD_WORKERS, default 100)
  --max-body BYTES   largest request body (HERALD_MAX_BODY_BYTES, default 20 MiB)
  --allow-private-media
                     let media URLs resolve to private or loopback addresses (HERALD_ALLOW_PRIVATE_MEDIA)
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command line and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return cmdServe(ctx, rest, stdout, stderr)
	case "migrate":
		return cmdMigrate(ctx, rest, stdout, stderr)
	case "token":
		if len(rest) == 0 || rest[0] != "create" {
			fmt.Fprintln(stderr, "usage: herald token create --name NAME [--role admin]")
			return exitUsage
		}
		return cmdTokenCreate(ctx, rest[1:], stdout, stderr)
	case "plan":
		return cmdPlan(ctx, rest, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "herald: unknown command %q\n\n%s", cmd, usage)
		return exitUsage
	}
}

// parse reads the common flags (and extra ones registered by the caller).
func parse(name string, args []string, stderr io.Writer, extra func(*flag.FlagSet)) (*Config, error) {
	var cfg Config
	fs := flag.NewFlagSet("herald "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.registerCommon(fs)
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &cfg, nil
}

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parse("serve", args, stderr, nil)
	if err != nil {
		return usageError(stderr, err)
	}
	m := NewMain(*cfg, stdout, stderr)
	if err := m.Run(ctx); err != nil {
		m.Log.Error().Err(err).Msg("herald could not start")
		m.Close()
		return exitFail
	}
	<-ctx.Done()
	m.Log.Info().Msg("shutting down")
	if err := m.Close(); err != nil {
		m.Log.Error().Err(err).Msg("shutdown")
		return exitFail
	}
	return exitOK
}

func cmdMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parse("migrate", args, stderr, nil)
	if err != nil {
		return usageError(stderr, err)
	}
	m := NewMain(*cfg, stdout, stderr)
	defer m.Close()
	if err := m.OpenDB(ctx); err != nil {
		fmt.Fprintf(stderr, "herald migrate: %s\n", errText(err))
		return exitFail
	}
	fmt.Fprintln(stdout, "migrations applied; the schema is current")
	return exitOK
}

func cmdTokenCreate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var name, role string
	cfg, err := parse("token create", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&name, "name", "", "a name for the token (required)")
		fs.StringVar(&role, "role", "admin", "the token's role (admin)")
	})
	if err != nil {
		return usageError(stderr, err)
	}
	if name == "" {
		return usageError(stderr, errors.New("--name is required"))
	}
	if role != "admin" {
		return usageError(stderr, fmt.Errorf("--role %q: only admin exists for now", role))
	}
	m := NewMain(*cfg, stdout, stderr)
	defer m.Close()
	if err := m.OpenDB(ctx); err != nil {
		fmt.Fprintf(stderr, "herald token create: %s\n", errText(err))
		return exitFail
	}
	secret, _, err := m.DB.CreateToken(ctx, name, role)
	if err != nil {
		fmt.Fprintf(stderr, "herald token create: %s\n", errText(err))
		return exitFail
	}
	fmt.Fprintln(stdout, secret)
	return exitOK
}

// errText is err on one line for a person: a *herald.Error in the chain
// shows its message, not its code.
func errText(err error) string {
	s := err.Error()
	var he *herald.Error
	if errors.As(err, &he) {
		s = strings.Replace(s, he.Error(), he.Message, 1)
	}
	return oneLine(s)
}

func usageError(stderr io.Writer, err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	fmt.Fprintf(stderr, "herald: %v\n", err)
	return exitUsage
}
