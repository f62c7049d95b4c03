package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// help is what a command's help says around its flags. The flags themselves
// are listed from the command's flag set (writeFlags), so the help cannot
// drift from what the command accepts.
type help struct {
	Synopsis string // "herald serve [flags]"
	Summary  string // one line, for the list of commands
	About    string // more, printed below the synopsis (optional)
	// DB is true for commands that open the database: HERALD_SECRET_KEY,
	// which is no flag, applies to them.
	DB bool
}

// name is the command as its synopsis names it, before any flag or
// argument: "herald token create".
func (h help) name() string {
	var words []string
	for _, w := range strings.Fields(h.Synopsis) {
		if strings.HasPrefix(w, "-") || strings.HasPrefix(w, "[") || strings.ToUpper(w) == w {
			break
		}
		words = append(words, w)
	}
	return strings.Join(words, " ")
}

// errUsage is a usage error whose message and help were already printed.
var errUsage = errors.New("usage error")

// write prints the help with the flags of fs.
func (h help) write(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: %s\n", h.Synopsis)
	if h.Summary != "" {
		fmt.Fprintf(w, "\n%s\n", capitalize(h.Summary))
	}
	if h.About != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimRight(h.About, "\n"))
	}
	if hasFlags(fs) {
		fmt.Fprintln(w, "\nFlags:")
		writeFlags(w, fs)
	}
	if h.DB {
		fmt.Fprintf(w, "\nEnvironment:\n%s", secretKeyHelp)
	}
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:] + "."
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// writeFlags lists every flag of fs: "--name VALUE", then its usage and
// default indented below. A usage that names its default itself is printed
// as it is: flags whose default comes from a variable say so, so that the
// variable's value (a token, a database URL) is never printed.
func writeFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		value, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if value != "" {
			line += " " + value
		}
		switch f.DefValue {
		case "", "0", "0s", "false":
		default:
			if !strings.Contains(usage, "default") {
				usage += " (default " + f.DefValue + ")"
			}
		}
		fmt.Fprintf(w, "%s\n      %s\n", line, usage)
	})
}

// parseFlags parses args, flags only, with fs. On -h or --help it prints the
// help to stdout and returns flag.ErrHelp; on a bad flag or a positional
// argument it prints one error line, then the help, to stderr and returns
// errUsage. fs's own output is silenced so nothing is printed twice.
func parseFlags(fs *flag.FlagSet, args []string, h help, stdout, stderr io.Writer) error {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		h.write(stdout, fs)
		return flag.ErrHelp
	}
	fmt.Fprintf(stderr, "%s: %v\n\n", fs.Name(), err)
	h.write(stderr, fs)
	return errUsage
}

// exitFor is the exit code of a command's usage error: 0 for help, 2
// otherwise; an error not printed yet is printed as one line after name.
func exitFor(stderr io.Writer, name string, err error) int {
	switch {
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case !errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "%s: %s\n", name, errText(err))
	}
	return exitUsage
}
