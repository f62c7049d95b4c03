package main

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var flagLineRe = regexp.MustCompile(`(?m)^  --([a-z-]+)`)

// listedFlags returns the flags a help text lists, sorted.
func listedFlags(help string) []string {
	var out []string
	for _, m := range flagLineRe.FindAllStringSubmatch(help, -1) {
		out = append(out, m[1])
	}
	slices.Sort(out)
	return out
}

// runHerald runs a command line with the plan client's clock pinned.
func runHerald(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	if len(args) > 0 && args[0] == "plan" {
		return runPlan(t, args[1:]...)
	}
	var out, errb syncBuffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

var serveFlagNames = []string{"addr", "allow-private-media", "allow-private-networks", "data-dir", "db", "lease", "log-level", "max-body",
	"node", "public-url", "read-timeout", "retry-backoff", "session-ttl", "shutdown-grace", "workers"}

// Each command's help lists exactly the flags it takes, with its arguments,
// on stdout with exit 0, for -h and --help alike.
func TestHelpListsEachCommandsFlags(t *testing.T) {
	noServer(t)
	for _, tc := range []struct {
		args     []string
		synopsis string
		flags    []string
		env      bool // lists HERALD_SECRET_KEY
	}{
		{[]string{"serve"}, "usage: herald serve [flags]", serveFlagNames, true},
		{[]string{"migrate"}, "usage: herald migrate [flags]", []string{"data-dir", "db", "log-level"}, true},
		{[]string{"token", "create"}, "usage: herald token create --name NAME", []string{"data-dir", "db", "log-level", "name", "role"}, true},
		{[]string{"user", "create"}, "usage: herald user create --email EMAIL", []string{"admin", "data-dir", "db", "email", "log-level", "name"}, true},
		{[]string{"user", "remove"}, "usage: herald user remove --email EMAIL", []string{"data-dir", "db", "email", "log-level"}, true},
		{[]string{"healthcheck"}, "usage: herald healthcheck [flags]", []string{"addr", "timeout"}, false},
		{[]string{"plan", "lint"}, "usage: herald plan lint FILE [flags]",
			[]string{"annotations", "channels", "date-order", "encoding", "format", "sheet", "timezone"}, false},
		{[]string{"plan", "apply"}, "usage: herald plan apply FILE [flags]",
			[]string{"annotations", "channels", "date-order", "dry-run", "encoding", "format", "key", "server", "sheet", "timezone", "token", "workspace"}, false},
		{[]string{"plan", "status"}, "usage: herald plan status WORKSPACE KEY [flags]", []string{"server", "timeout", "token", "wait"}, false},
	} {
		for _, h := range []string{"-h", "--help"} {
			args := append(slices.Clone(tc.args), h)
			code, out, errs := runHerald(t, args...)
			if code != exitOK || errs != "" || !strings.HasPrefix(out, tc.synopsis) {
				t.Errorf("herald %v: exit %d, stderr %q, want exit 0 and help starting %q on stdout:\n%s", args, code, errs, tc.synopsis, out)
				continue
			}
			if got := listedFlags(out); !slices.Equal(got, tc.flags) {
				t.Errorf("herald %v lists flags %v, want %v", args, got, tc.flags)
			}
			if got := strings.Contains(out, "HERALD_SECRET_KEY"); got != tc.env {
				t.Errorf("herald %v: lists HERALD_SECRET_KEY = %v, want %v", args, got, tc.env)
			}
		}
	}
}

// herald --help lists every command and every setting of serve, each flag
// with its variable; help and -h say the same, and so do token's and
// plan's own help.
func TestMainHelp(t *testing.T) {
	code, out, errs := runHerald(t, "--help")
	if code != exitOK || errs != "" {
		t.Fatalf("herald --help: exit %d, stderr %q", code, errs)
	}
	if got := listedFlags(out); !slices.Equal(got, serveFlagNames) {
		t.Errorf("herald --help lists flags %v, want serve's %v", got, serveFlagNames)
	}
	for _, want := range []string{"herald serve", "herald migrate", "herald token create --name NAME", "herald user create", "herald user remove --email EMAIL",
		"herald healthcheck", "herald plan lint|apply|status", "HERALD_LEASE", "HERALD_SESSION_TTL", "HERALD_RETRY_BACKOFF", "HERALD_SHUTDOWN_GRACE", "HERALD_SECRET_KEY", "HERALD_ALLOW_PRIVATE_MEDIA"} {
		if !strings.Contains(out, want) {
			t.Errorf("herald --help does not mention %q:\n%s", want, out)
		}
	}
	for _, args := range [][]string{{"help"}, {"-h"}} {
		if c, o, _ := runHerald(t, args...); c != exitOK || o != out {
			t.Errorf("herald %v: exit %d, not the same help as --help", args, c)
		}
	}
	for _, args := range [][]string{{"token", "--help"}, {"token", "-h"}, {"token", "help"}, {"plan", "--help"}, {"plan", "help"}} {
		if c, o, e := runHerald(t, args...); c != exitOK || e != "" || !strings.HasPrefix(o, "usage:") {
			t.Errorf("herald %v: exit %d, stdout %q, stderr %q; want its usage and exit 0", args, c, o, e)
		}
	}
}

// A bad flag prints one error line, then the usage once, and exits 2; a
// flag of another command is a bad flag (migrate takes no --workers).
func TestBadFlagPrintsOneErrorAndUsage(t *testing.T) {
	noServer(t)
	for _, args := range [][]string{
		{"serve", "--bogus"},
		{"migrate", "--bogus"},
		{"migrate", "--workers", "4"},
		{"token", "create", "--name", "x", "--addr", "127.0.0.1:1"},
		{"user", "remove", "--email", "a@example.com", "--name", "A"},
		{"healthcheck", "--bogus"},
		{"plan", "lint", "p.csv", "--bogus"},
		{"plan", "apply", "p.csv", "--bogus"},
		{"plan", "status", "ws", "key", "--bogus"},
	} {
		code, out, errs := runHerald(t, args...)
		name := args[0]
		if args[0] == "plan" || args[0] == "token" || args[0] == "user" {
			name = args[0] + " " + args[1]
		}
		lines := strings.Split(errs, "\n")
		if code != exitUsage || out != "" || !strings.HasPrefix(lines[0], "herald "+name+": flag provided but not defined") ||
			strings.Count(errs, "not defined") != 1 || strings.Count(errs, "usage: herald "+name) != 1 {
			t.Errorf("herald %v: exit %d, stdout %q, stderr:\n%s\nwant exit 2, one error line and the usage once", args, code, out, errs)
		}
	}
	// A bad value is one line, without the usage.
	code, _, errs := runHerald(t, "serve", "--workers", "0")
	if code != exitUsage || errs != "herald serve: --workers must be at least 1\n" {
		t.Errorf("serve --workers 0: exit %d, stderr %q", code, errs)
	}
}
