package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/heraldhq/herald"
)

// userUsage is the help of herald user: its subcommands.
var userUsage = "usage: " + userCreateHelp.Synopsis + "\n       " + userRemoveHelp.Synopsis + "\n\n" +
	"create: " + userCreateHelp.Summary + ".\nremove: " + userRemoveHelp.Summary + ".\n\n" +
	"\"herald user create --help\" and \"herald user remove --help\" list their flags.\n"

// cmdUser dispatches herald user SUBCOMMAND.
func cmdUser(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	switch {
	case len(args) == 0:
		fmt.Fprint(stderr, userUsage)
		return exitUsage
	case args[0] == "create":
		return cmdUserCreate(ctx, args[1:], stdout, stderr)
	case args[0] == "remove":
		return cmdUserRemove(ctx, args[1:], stdout, stderr)
	case args[0] == "help" || args[0] == "-h" || args[0] == "--help":
		fmt.Fprint(stdout, userUsage)
		return exitOK
	}
	fmt.Fprintf(stderr, "herald user: unknown command %q\n\n%s", args[0], userUsage)
	return exitUsage
}

// cmdUserCreate makes a user on the database directly (as herald token
// create makes a token) with a generated password, printed alone on
// stdout; what to do with it goes to stderr.
func cmdUserCreate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var email, name string
	var admin bool
	cfg, err := parse(args, userCreateHelp, stdout, stderr, func(c *Config, fs *flag.FlagSet) {
		c.dbFlags(fs)
		fs.StringVar(&email, "email", "", "the person's email, which they sign in with (required)")
		fs.StringVar(&name, "name", "", "the person's name, as the audit log shows it (required)")
		fs.BoolVar(&admin, "admin", false, "make them an instance admin: everything, everywhere")
	})
	switch {
	case err != nil:
	case email == "":
		err = errors.New("--email is required")
	case name == "":
		err = errors.New("--name is required")
	}
	if err != nil {
		return exitFor(stderr, userCreateHelp.name(), err)
	}
	m := NewMain(*cfg, stdout, stderr)
	defer m.Close()
	if err := m.OpenDB(ctx); err != nil {
		fmt.Fprintf(stderr, "herald user create: %s\n", errText(err))
		return exitFail
	}
	u := &herald.User{Email: email, Name: name, Admin: admin}
	// The audit log names who made it: the command line, on this machine.
	actor := herald.Actor{Kind: herald.AuditSystem, ID: "cli", Name: "herald user create"}
	password, err := m.DB.CreateUser(herald.WithActor(ctx, actor), u, "")
	if err != nil {
		fmt.Fprintf(stderr, "herald user create: %s\n", userError(err))
		return exitFail
	}
	fmt.Fprintln(stdout, password)
	what := "user"
	if admin {
		what = "instance admin"
	}
	fmt.Fprintf(stderr, "Created %s %s <%s>. Their one-time password is above, shown only this once: they sign in\nwith it (POST /api/v1/sessions) and change it (POST /api/v1/users/me/password).\n", what, u.Name, u.Email)
	return exitOK
}

// cmdUserRemove removes a user who left, on the database directly (as
// herald user create makes one), and prints what it undid on stdout.
func cmdUserRemove(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var email string
	cfg, err := parse(args, userRemoveHelp, stdout, stderr, func(c *Config, fs *flag.FlagSet) {
		c.dbFlags(fs)
		fs.StringVar(&email, "email", "", "the email of the person who left (required)")
	})
	if err == nil && strings.TrimSpace(email) == "" {
		err = errors.New("--email is required")
	}
	if err != nil {
		return exitFor(stderr, userRemoveHelp.name(), err)
	}
	m := NewMain(*cfg, stdout, stderr)
	defer m.Close()
	if err := m.OpenDB(ctx); err != nil {
		fmt.Fprintf(stderr, "herald user remove: %s\n", errText(err))
		return exitFail
	}
	actor := herald.Actor{Kind: herald.AuditSystem, ID: "cli", Name: "herald user remove"}
	res, err := m.DB.RemoveUser(herald.WithActor(ctx, actor), email)
	if err != nil {
		fmt.Fprintf(stderr, "herald user remove: %s\n", errText(err))
		return exitFail
	}
	fmt.Fprintf(stdout, "Removed %s <%s>: %s removed, %s revoked, %s ended.\n", res.User.Name, res.User.Email,
		count(res.Memberships, "membership"), count(res.Tokens, "API token"), count(res.Sessions, "session"))
	return exitOK
}

// count is "1 thing" or "n things".
func count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// userError is err for a person: a validation error's problems, each with
// the flag it is about.
func userError(err error) string {
	ps := herald.ErrorDetails(err)
	if len(ps) == 0 {
		return errText(err)
	}
	s := ""
	for i, p := range ps {
		if i > 0 {
			s += "; "
		}
		s += "--" + p.Column + ": " + p.Message
	}
	return s
}
