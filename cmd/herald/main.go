// Command herald runs the Herald service (serve), applies its database
// migrations (migrate), manages API tokens (token create) and users (user
// create, user remove), checks a running
// server's readiness (healthcheck) and is the command-line client for CI
// (plan lint, plan apply, plan status).
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

// The commands' help; their flags are listed from their flag sets.
var (
	serveHelp = help{Synopsis: "herald serve [flags]", Summary: "run the API and the scheduler", DB: true,
		About: "The first start creates an admin API token and prints it once; later starts say how to make\nanother (" + tokenCreateHint + ")."}
	migrateHelp     = help{Synopsis: "herald migrate [flags]", Summary: "apply database migrations and exit", DB: true}
	tokenCreateHelp = help{Synopsis: "herald token create --name NAME [--role admin] [flags]",
		Summary: "create an API token and print it alone on stdout", DB: true}
	userCreateHelp = help{Synopsis: "herald user create --email EMAIL --name NAME [--admin] [flags]",
		Summary: "create a user and print a generated one-time password alone on stdout", DB: true,
		About: "The password is shown only this once: hand it to the person, who signs in with it\n(POST /api/v1/sessions) and changes it (POST /api/v1/users/me/password). --admin makes an\ninstance admin, who may do everything everywhere; anyone else gets workspaces by being made\na member (PUT /api/v1/workspaces/{ws}/members/{email})."}
	userRemoveHelp = help{Synopsis: "herald user remove --email EMAIL [flags]",
		Summary: "remove a user who left: end their sessions, revoke their tokens, drop their memberships", DB: true,
		About: "All at once, in one transaction (works while the server runs): their sessions and API tokens\nanswer 401 from then on, and signing in is refused as for a wrong password. They are kept,\nmarked removed, so the audit log still names them. The last owner of a workspace is not\nremoved: make someone else owner there first (PUT /api/v1/workspaces/{ws}/members/{email})."}
	healthcheckHelp = help{Synopsis: "herald healthcheck [flags]",
		Summary: "exit 0 when the server at --addr is ready (GET /readyz), 1 otherwise",
		About:   "Meant for Docker's HEALTHCHECK: the image has no curl. An address on every interface\n(0.0.0.0:8080) is asked on loopback."}
)

// mainUsage is the help of herald itself: the commands, then the flags of
// herald serve (every setting there is), derived from its flag set.
func mainUsage() string {
	var b strings.Builder
	b.WriteString("Herald schedules and publishes content plans to social channels.\n\nUsage:\n")
	item := func(synopsis, summary string) {
		synopsis = strings.TrimPrefix(synopsis, "herald ")
		if len(synopsis) > 36 {
			fmt.Fprintf(&b, "  herald %s\n  %-43s %s\n", synopsis, "", summary)
			return
		}
		fmt.Fprintf(&b, "  herald %-36s %s\n", synopsis, summary)
	}
	for _, h := range []help{serveHelp, migrateHelp, tokenCreateHelp, userCreateHelp, userRemoveHelp, healthcheckHelp} {
		item(h.Synopsis, h.Summary)
	}
	item("plan lint|apply|status ...", "the client for CI (herald plan help)")
	b.WriteString("\n\"herald COMMAND --help\" lists a command's flags. Each flag can also be set by the variable\nnamed in its help; the flag wins.\n\nFlags of herald serve:\n")
	var cfg Config
	fs := flag.NewFlagSet("herald serve", flag.ContinueOnError)
	cfg.serveFlags(fs)
	writeFlags(&b, fs)
	b.WriteString("\nEnvironment:\n" + secretKeyHelp)
	return b.String()
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command line and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, mainUsage())
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return cmdServe(ctx, rest, stdout, stderr)
	case "migrate":
		return cmdMigrate(ctx, rest, stdout, stderr)
	case "token":
		return cmdToken(ctx, rest, stdout, stderr)
	case "user":
		return cmdUser(ctx, rest, stdout, stderr)
	case "healthcheck":
		return cmdHealthcheck(ctx, rest, stdout, stderr)
	case "plan":
		return cmdPlan(ctx, rest, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, mainUsage())
		return exitOK
	default:
		fmt.Fprintf(stderr, "herald: unknown command %q\n\n%s", cmd, mainUsage())
		return exitUsage
	}
}

// parse reads a command's flags (those register adds) into a Config and
// validates them. It prints help and usage errors itself (see parseFlags);
// a value that is not valid is returned, not printed.
func parse(args []string, h help, stdout, stderr io.Writer, register func(*Config, *flag.FlagSet)) (*Config, error) {
	var cfg Config
	fs := flag.NewFlagSet(h.name(), flag.ContinueOnError)
	register(&cfg, fs)
	if err := parseFlags(fs, args, h, stdout, stderr); err != nil {
		return nil, err
	}
	if err := cfg.validate(fs); err != nil {
		return nil, err
	}
	return &cfg, nil
}

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parse(args, serveHelp, stdout, stderr, (*Config).serveFlags)
	if err != nil {
		return exitFor(stderr, serveHelp.name(), err)
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
	cfg, err := parse(args, migrateHelp, stdout, stderr, (*Config).dbFlags)
	if err != nil {
		return exitFor(stderr, migrateHelp.name(), err)
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

// tokenUsage is the help of herald token, which has one subcommand.
var tokenUsage = "usage: herald token create --name NAME [--role admin] [flags]\n\n" +
	capitalize(tokenCreateHelp.Summary) + "\n\n\"herald token create --help\" lists its flags.\n"

// cmdToken dispatches herald token SUBCOMMAND.
func cmdToken(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	switch {
	case len(args) == 0:
		fmt.Fprint(stderr, tokenUsage)
		return exitUsage
	case args[0] == "create":
		return cmdTokenCreate(ctx, args[1:], stdout, stderr)
	case args[0] == "help" || args[0] == "-h" || args[0] == "--help":
		fmt.Fprint(stdout, tokenUsage)
		return exitOK
	}
	fmt.Fprintf(stderr, "herald token: unknown command %q\n\n%s", args[0], tokenUsage)
	return exitUsage
}

func cmdTokenCreate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var name, role string
	cfg, err := parse(args, tokenCreateHelp, stdout, stderr, func(c *Config, fs *flag.FlagSet) {
		c.dbFlags(fs)
		fs.StringVar(&name, "name", "", "a name for the token (required)")
		fs.StringVar(&role, "role", "admin", "the token's role (admin)")
	})
	if err == nil && name == "" {
		err = errors.New("--name is required")
	}
	if err == nil && role != "admin" {
		err = fmt.Errorf("--role %q: only admin exists for now", role)
	}
	if err != nil {
		return exitFor(stderr, tokenCreateHelp.name(), err)
	}
	m := NewMain(*cfg, stdout, stderr)
	defer m.Close()
	if err := m.OpenDB(ctx); err != nil {
		fmt.Fprintf(stderr, "herald token create: %s\n", errText(err))
		return exitFail
	}
	// The audit log names who made it: the command line, on this machine.
	actor := herald.Actor{Kind: herald.AuditSystem, ID: "cli", Name: "herald token create"}
	secret, _, err := m.DB.CreateToken(herald.WithActor(ctx, actor), name, role)
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
