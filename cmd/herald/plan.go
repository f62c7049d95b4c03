package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/heraldhq/herald"

	"github.com/heraldhq/herald/api"
	contentplans "github.com/heraldhq/herald/content-plans"
	"github.com/mattn/go-isatty"
)

// planUsage is the help of herald plan; each subcommand's --help lists its
// flags (from its flag set, see parseArgs).
const planUsage = `usage:
  herald plan lint FILE [flags]                   check a plan file offline, as the server would
  herald plan apply FILE --workspace WS [flags]   upload it and print the diff
  herald plan status WORKSPACE KEY [flags]        print a plan's deliveries; --wait follows them

"herald plan COMMAND --help" lists a command's flags. FILE is .json, .csv, .xlsx
or .ods (another extension: told from its bytes). The server defaults to $HERALD_SERVER or
http://127.0.0.1:8080, the token to $HERALD_TOKEN.
` + planExitCodes

const planExitCodes = `Exit codes: 0 ok, 1 problems in the plan or failed deliveries, 2 usage or connection errors.
`

// planAbout says what each plan subcommand does, for its --help.
var planAbout = map[string]string{
	"lint":   "Check a plan file offline, as the server would: format, keys, times, URLs and, for the\nchannels --channels names, each platform's limits. No server is needed.",
	"apply":  "Upload a plan file to the workspace and print the diff (--dry-run changes nothing).",
	"status": "Print each row x channel of a plan; --wait follows until every delivery is final.",
}

// planCmd runs the `herald plan` client commands. Its fields are what the
// commands touch of the outside world, so tests can replace them.
type planCmd struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	now            func() time.Time
	httpClient     *http.Client
	// poll is how often status --wait asks the server.
	poll time.Duration
	// terminal reports whether w is an interactive terminal (progress bar).
	terminal func(w io.Writer) bool
}

func newPlanCmd(stdout, stderr io.Writer) *planCmd {
	return &planCmd{
		stdout:     stdout,
		stderr:     stderr,
		getenv:     os.Getenv,
		now:        herald.Now,
		httpClient: &http.Client{Timeout: 5 * time.Minute},
		poll:       time.Second,
		terminal:   isTerminal,
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// cmdPlan dispatches `herald plan SUBCOMMAND`.
func cmdPlan(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return newPlanCmd(stdout, stderr).run(ctx, args)
}

func (p *planCmd) run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(p.stderr, planUsage)
		return exitUsage
	}
	switch args[0] {
	case "lint":
		return p.lint(args[1:])
	case "apply":
		return p.apply(ctx, args[1:])
	case "status":
		return p.status(ctx, args[1:])
	case "help", "-h", "--help":
		fmt.Fprint(p.stdout, planUsage)
		return exitOK
	default:
		fmt.Fprintf(p.stderr, "herald plan: unknown command %q\n\n%s", args[0], planUsage)
		return exitUsage
	}
}

// usageErr returns the exit code of a usage error: 0 for -h, 2 otherwise.
// An error parseArgs has not printed yet is printed as one line.
func (p *planCmd) usageErr(cmd string, err error) int {
	return exitFor(p.stderr, "herald plan "+cmd, err)
}

// flagOutput is the output of a plan command's flag set: parseArgs prints
// help asked for to stdout and usage errors to stderr. The flag package's
// own printing is silenced (nothing is printed twice).
type flagOutput struct{ stdout, stderr io.Writer }

func (o flagOutput) Write(b []byte) (int, error) { return o.stderr.Write(b) }

// newFlagSet returns a flag set for parseArgs.
func (p *planCmd) newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("herald plan "+name, flag.ContinueOnError)
	fs.SetOutput(flagOutput{p.stdout, p.stderr})
	fs.Usage = func() {}
	return fs
}

// parseArgs parses flags placed before, between or after the positional
// arguments (`herald plan lint FILE --timezone X`) and checks that exactly
// the named positional arguments were given. On -h or --help it prints the
// command's help — its arguments, then the flags of fs — to stdout and
// returns flag.ErrHelp; on a bad flag or argument count it prints one error
// line and the help to stderr and returns errUsage.
func parseArgs(fs *flag.FlagSet, args []string, names ...string) ([]string, error) {
	out, ok := fs.Output().(flagOutput)
	if !ok {
		out = flagOutput{fs.Output(), fs.Output()}
	}
	fs.SetOutput(io.Discard)
	defer fs.SetOutput(out)
	h := help{Synopsis: fs.Name() + " " + strings.Join(names, " ") + " [flags]",
		About: planAbout[strings.TrimPrefix(fs.Name(), "herald plan ")] + "\n\n" + planExitCodes}
	pos, err := parsePositional(fs, args, names)
	switch {
	case err == nil:
		return pos, nil
	case errors.Is(err, flag.ErrHelp):
		h.write(out.stdout, fs)
		return nil, err
	}
	fmt.Fprintf(out.stderr, "%s: %v\n\n", fs.Name(), err)
	h.write(out.stderr, fs)
	return nil, errUsage
}

func parsePositional(fs *flag.FlagSet, args []string, names []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		rest := fs.Args()
		if rest[0] == "--" {
			pos = append(pos, rest[1:]...)
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	if len(pos) != len(names) {
		return nil, fmt.Errorf("want %s, got %d argument(s)", strings.Join(names, " "), len(pos))
	}
	return pos, nil
}

// fileFormat maps a plan file's extension to the format contentplans.Build
// takes and the Content-Type the API takes; a file with another extension
// is read as what its bytes are (contentplans.Sniff). Whether the bytes
// agree with the extension is Build's to check, offline and on the server.
func fileFormat(file string, body []byte) (format, contentType string, err error) {
	format = strings.TrimPrefix(strings.ToLower(filepath.Ext(file)), ".")
	if !slices.Contains(planFormats, format) {
		format = contentplans.Sniff(body)
	}
	switch format {
	case "json":
		return "json", "application/json", nil
	case "csv":
		return "csv", "text/csv", nil
	case "xlsx":
		return "xlsx", api.XLSXContentType, nil
	case "ods":
		return "ods", api.ODSContentType, nil
	}
	return "", "", fmt.Errorf("%s: cannot tell the plan's format (it is neither %s); use .json, .csv, .xlsx or .ods", file, contentplans.Formats)
}

// planFormats are the file extensions (without the dot) of plan formats.
var planFormats = []string{"json", "csv", "xlsx", "ods"}

// checkProfile validates --format and --date-order values.
func checkProfile(profile, dateOrder string) error {
	if profile != "" && !slices.Contains(contentplans.Profiles, profile) {
		return fmt.Errorf("--format %q: use %s", profile, strings.Join(contentplans.Profiles, ", "))
	}
	switch dateOrder {
	case "", contentplans.DateOrderDMY, contentplans.DateOrderMDY:
	default:
		return fmt.Errorf("--date-order %q: use dmy or mdy", dateOrder)
	}
	return nil
}

// checkAnnotations validates --annotations.
func checkAnnotations(a string) error {
	if a != "" && a != "github" {
		return fmt.Errorf("--annotations %q: only github is supported", a)
	}
	return nil
}

// envOr returns the environment variable name, or def when unset or empty.
func (p *planCmd) envOr(name, def string) string {
	if v := p.getenv(name); v != "" {
		return v
	}
	return def
}

// serverFlags registers --server and --token with their HERALD_* defaults.
func (p *planCmd) serverFlags(fs *flag.FlagSet) *apiClient {
	c := &apiClient{http: p.httpClient}
	fs.StringVar(&c.server, "server", p.envOr("HERALD_SERVER", "http://127.0.0.1:8080"), "Herald's base URL (HERALD_SERVER, default http://127.0.0.1:8080)")
	fs.StringVar(&c.token, "token", p.getenv("HERALD_TOKEN"), "API token (default HERALD_TOKEN)")
	return c
}
