package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/heraldhq/herald"
)

// planNow is the clock of the CLI in tests: the plans they lint are dated
// after it, whatever the real date.
var planNow = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)

// runPlan runs `herald plan ARGS…` at planNow and returns its exit code and output.
func runPlan(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb syncBuffer
	p := newPlanCmd(&out, &errb)
	p.now = func() time.Time { return planNow }
	code = p.run(context.Background(), args)
	return code, out.String(), errb.String()
}

// writeFile writes a plan file into a temp dir and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func mustRe(s string) *regexp.Regexp { return regexp.MustCompile(s) }

func example(name string) string {
	return filepath.Join("..", "..", "content-plans", "examples", name)
}

// noServer keeps a developer's HERALD_* variables out of a test.
func noServer(t *testing.T) {
	t.Setenv("HERALD_SERVER", "")
	t.Setenv("HERALD_TOKEN", "")
}

const exampleChannels = "tg-main=telegram,vk-group=vk,masto=mastodon,demo=outbox"

func TestLintExamples(t *testing.T) {
	for _, file := range []string{"december.json", "december.csv", "demo.json"} {
		for _, chans := range []string{exampleChannels, ""} {
			args := []string{"lint", example(file), "--timezone", "Europe/Moscow"}
			if chans != "" {
				args = append(args, "--channels", chans)
			}
			code, out, errs := runPlan(t, args...)
			if code != exitOK || !strings.Contains(errs, "no problems") || strings.Contains(out, ": error") {
				t.Errorf("lint %s --channels %q: exit %d\nstdout:\n%s\nstderr:\n%s", file, chans, code, out, errs)
			}
		}
	}
}

// A bad plan: every problem as FILE:ROW:COLUMN: message, exit 1.
func TestLintProblems(t *testing.T) {
	long := strings.Repeat("я", 4097)
	csv := "key,date,time,channels,text\n" +
		"a,2026-12-01,10:00,tg,Fine\n" +
		"b,2026-12-01,25:00,tg,Bad time\n" +
		"c,2026-12-02,10:00,tg,\n" +
		"d,2026-12-03,10:00,nowhere,Unknown channel\n" +
		"e,2026-12-04,10:00,tg," + long + "\n" +
		"a,2026-12-05,10:00,tg,Duplicate key\n"
	file := writeFile(t, "bad.csv", csv)
	code, out, errs := runPlan(t, "lint", file, "--channels", "tg=telegram", "--timezone", "Europe/Berlin")
	if code != exitFail {
		t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	for _, want := range []string{
		file + ":3:time: ",
		file + ":4:text: ",
		file + `:5:channels: unknown channel "nowhere"`,
		file + ":6:text: text is 4097 characters for telegram",
		file + ":7:key: ",
	} {
		if !strings.Contains(out, "\n"+want) && !strings.HasPrefix(out, want) {
			t.Errorf("no line starting %q in:\n%s", want, out)
		}
	}
	lineRe := regexp.MustCompile(`^` + regexp.QuoteMeta(file) + `:\d+:[a-z:]+: \S`)
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if !lineRe.MatchString(line) {
			t.Errorf("line %q is not FILE:ROW:COLUMN: message", line)
		}
	}
	if !strings.Contains(errs, "5 problems") {
		t.Errorf("stderr %q does not count the problems", errs)
	}

	// Without --channels every named channel is taken to exist, with no limits.
	code, out, _ = runPlan(t, "lint", file, "--timezone", "Europe/Berlin")
	if code != exitFail || strings.Contains(out, "unknown channel") || strings.Contains(out, ":6:") {
		t.Errorf("without --channels: exit %d, want 1 with no channel or length problem:\n%s", code, out)
	}
}

// Rows without a key lint clean, with the server's warning.
func TestLintDerivedKeyWarning(t *testing.T) {
	file := writeFile(t, "p.csv", "date,time,channels,text\n2026-12-01,10:00,demo,No key\n")
	code, out, errs := runPlan(t, "lint", file, "--timezone", "Europe/Moscow")
	if code != exitOK || !strings.HasPrefix(out, file+":2:key: warning: row has no key; derived key row-2-") || !strings.Contains(errs, "1 post, no problems, 1 warning") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
}

// XLSX files lint like CSV: rows and columns as the spreadsheet shows them.
func TestLintXLSX(t *testing.T) {
	f := excelize.NewFile()
	rows := [][]any{
		{"key", "date", "time", "channels", "text"},
		{"a", "2026-12-01", "10:00", "tg", "Fine"},
		{"b", "2026-12-02", "10:00", "tg", strings.Repeat("x", 4097)},
	}
	for i, row := range rows {
		if err := f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i+1), &row); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(t.TempDir(), "plan.xlsx")
	if err := f.SaveAs(file); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runPlan(t, "lint", file, "--channels", "tg=telegram")
	if code != exitFail || strings.TrimSpace(out) == "" || !strings.HasPrefix(out, file+":3:text: text is 4097 characters for telegram") {
		t.Errorf("exit %d, want 1 and a problem on row 3\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
}

// Offline, lint cannot know the channels' slots: "next" rows pass.
func TestLintNextSlotRows(t *testing.T) {
	file := writeFile(t, "next.json", `{"timezone": "Europe/Moscow", "posts": [{"key": "a", "at": "next", "channels": ["tg"], "text": "Slot me"}]}`)
	for _, chans := range []string{"tg=telegram", ""} {
		code, out, errs := runPlan(t, "lint", file, "--channels", chans)
		if code != exitOK {
			t.Errorf("--channels %q: exit %d\n%s%s", chans, code, out, errs)
		}
	}
}

func TestLintJSONRowsArePostIndexes(t *testing.T) {
	file := writeFile(t, "plan.json", `{"timezone": "UTC", "posts": [
		{"key": "a", "at": "2026-12-01 10:00", "channels": ["x"], "text": "ok"},
		{"key": "b", "at": "2026-12-01 10:00", "channels": ["x"], "text": ""}]}`)
	code, out, _ := runPlan(t, "lint", file)
	if code != exitFail || !strings.Contains(out, file+":2:text: post #2: ") {
		t.Errorf("exit %d, want 1 and a line %s:2:text: post #2: …\n%s", code, file, out)
	}
}

func TestLintGitHubAnnotations(t *testing.T) {
	file := writeFile(t, "bad.csv", "key,date,time,channels,text\na,2026-12-01,25:00,tg,Hi\nb,2020-01-01,10:00,tg,Old\n")
	code, out, _ := runPlan(t, "lint", file, "--annotations", "github", "--channels", "tg=telegram")
	if code != exitFail {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "::error file="+ghProperty(file)+",line=2,title=time::") ||
		!strings.HasPrefix(lines[1], "::warning file="+ghProperty(file)+",line=3,title=") {
		t.Errorf("want an ::error on line 2 and a ::warning on line 3, got:\n%s", out)
	}
}

func TestProblemPrinter(t *testing.T) {
	for _, tc := range []struct {
		name     string
		pp       problemPrinter
		severity string
		p        herald.Problem
		want     string
	}{
		{"row and column", problemPrinter{file: "p.csv"}, "error", herald.Problem{Row: 3, Column: "text", Message: "too long"}, "p.csv:3:text: too long\n"},
		{"no column", problemPrinter{file: "p.csv"}, "error", herald.Problem{Row: 3, Message: "bad"}, "p.csv:3: bad\n"},
		{"plan-wide", problemPrinter{file: "p.csv"}, "error", herald.Problem{Column: "timezone", Message: "missing"}, "p.csv: timezone: missing\n"},
		{"warning", problemPrinter{file: "p.csv"}, "warning", herald.Problem{Row: 2, Column: "time", Message: "past"}, "p.csv:2:time: warning: past\n"},
		{"line breaks kept on one line", problemPrinter{file: "p.csv"}, "error", herald.Problem{Row: 2, Column: "text", Message: "a\nb"}, "p.csv:2:text: a\\nb\n"},
		{"json post index", problemPrinter{file: "p.json", json: true}, "error", herald.Problem{Row: 4, Column: "at", Message: "bad"}, "p.json:4:at: post #4: bad\n"},
		{"github error", problemPrinter{file: "plans/p.csv", github: true}, "error", herald.Problem{Row: 3, Column: "text", Message: "100% too long\r\nreally"},
			"::error file=plans/p.csv,line=3,title=text::100%25 too long%0D%0Areally\n"},
		{"github property escapes", problemPrinter{file: "a,b:c.csv", github: true}, "warning", herald.Problem{Row: 1, Column: "text:x", Message: "m"},
			"::warning file=a%2Cb%3Ac.csv,line=1,title=text%3Ax::m\n"},
		{"csv line", problemPrinter{file: "p.csv"}, "error", herald.Problem{Row: 3, Line: 8, Column: "time", Message: "bad"}, "p.csv:3:time: bad (line 8)\n"},
		{"github csv line", problemPrinter{file: "p.csv", github: true}, "warning", herald.Problem{Row: 3, Line: 8, Column: "time", Message: "past"},
			"::warning file=p.csv,line=8,title=time::row 3: past\n"},
		{"options as flags", problemPrinter{file: "p.csv", flags: applyFlags}, "error", herald.Problem{Row: 2, Column: "date", Message: "pass ?date_order=dmy or ?date_order=mdy"},
			"p.csv:2:date: pass --date-order dmy or --date-order mdy\n"},
		{"github plan-wide", problemPrinter{file: "p.json", json: true, github: true}, "error", herald.Problem{Column: "timezone", Message: "m"},
			"::error file=p.json,title=timezone::m\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			tc.pp.w = &b
			tc.pp.print(tc.severity, tc.p)
			if b.String() != tc.want {
				t.Errorf("got %q, want %q", b.String(), tc.want)
			}
		})
	}
}

func TestPlanUsageErrors(t *testing.T) {
	noServer(t)
	good := example("demo.json")
	for _, args := range [][]string{
		{},
		{"bogus"},
		{"lint"},
		{"lint", good, "extra"},
		{"lint", writeFile(t, "plan.bin", "\x00\x01 neither text nor a spreadsheet")},
		{"lint", filepath.Join(t.TempDir(), "missing.csv")},
		{"lint", good, "--timezone", "Mars/Olympus"},
		{"lint", good, "--channels", "Bad Name=telegram"},
		{"lint", good, "--format", "buffer"},
		{"lint", good, "--date-order", "ymd"},
		{"lint", good, "--annotations", "gitlab"},
		{"lint", good, "--bogus"},
		{"apply", good},
		{"apply", good, "--workspace", "w", "--server", "ftp://x"},
		{"status", "ws"},
		{"status", "ws", "key", "--timeout", "-1s"},
	} {
		if code, out, errs := runPlan(t, args...); code != exitUsage {
			t.Errorf("herald plan %v: exit %d, want 2\n%s%s", args, code, out, errs)
		}
	}
}

func TestParseArgsInterspersed(t *testing.T) {
	p := newPlanCmd(&syncBuffer{}, &syncBuffer{})
	fs := p.newFlagSet("x")
	wait := fs.Bool("wait", false, "")
	d := fs.Duration("timeout", 0, "")
	pos, err := parseArgs(fs, []string{"--wait", "ws", "--timeout", "2s", "key"}, "WS", "KEY")
	if err != nil || strings.Join(pos, " ") != "ws key" || !*wait || *d != 2*time.Second {
		t.Errorf("got %v %v wait=%v timeout=%v", pos, err, *wait, *d)
	}
}

// Rows are the spreadsheet's (the example's second post is row 3, starting
// on line 8 of the CSV): the message shows the line, and GitHub annotations
// point at it.
func TestLintRowsAndLines(t *testing.T) {
	body, err := os.ReadFile(example("december.csv"))
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(body), "dec-02-roast-ethiopia,2099-12-02,12:00", "dec-02-roast-ethiopia,2099-12-02,25:00", 1)
	file := writeFile(t, "december.csv", bad)
	code, out, _ := runPlan(t, "lint", file, "--timezone", "Europe/Moscow", "--channels", exampleChannels)
	if code != exitFail || !strings.HasPrefix(out, file+`:3:time: time "25:00" must be`) || !strings.HasSuffix(out, " (line 8)\n") {
		t.Errorf("exit %d, want 1 and %s:3:time: … (line 8):\n%s", code, file, out)
	}
	code, out, _ = runPlan(t, "lint", file, "--timezone", "Europe/Moscow", "--channels", exampleChannels, "--annotations", "github")
	if code != exitFail || !strings.HasPrefix(out, "::error file="+ghProperty(file)+",line=8,title=time::row 3: ") {
		t.Errorf("exit %d, want an ::error on line 8 for row 3:\n%s", code, out)
	}
}

// Without --channels lint checks everything but channel names, lengths
// and variants: a variant is not "unused" on channels it knows nothing of.
func TestLintWithoutChannelsNoVariantWarnings(t *testing.T) {
	code, out, errs := runPlan(t, "lint", example("december.csv"), "--timezone", "Europe/Moscow")
	if code != exitOK || strings.Contains(out, "variant") || !strings.Contains(errs, "20 posts, no problems\n") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	// With the channels, an unused variant is still a warning; a name that
	// cannot be a channel's is a problem either way.
	file := writeFile(t, "p.csv", "key,at,channels,text,text:vk\na,2026-12-01 10:00,tg,Hi,Привет\nb,2026-12-02 10:00,Bad Name,Hi,\n")
	code, out, _ = runPlan(t, "lint", file, "--channels", "tg=telegram,bad=outbox")
	if code != exitFail || !strings.Contains(out, file+":2:text:vk: warning: the vk variant is not used") {
		t.Errorf("with --channels: exit %d\n%s", code, out)
	}
	code, out, _ = runPlan(t, "lint", file)
	if code != exitFail || strings.Contains(out, "variant") || !strings.Contains(out, file+`:3:channels: "Bad Name" cannot be a channel's name`) {
		t.Errorf("without --channels: exit %d\n%s", code, out)
	}
}

// A Hootsuite file has no channel column: lint and apply say which flag
// names them (the API says ?channels=, see api's TestPlanProfiles).
func TestHootsuiteNeedsChannelsFlag(t *testing.T) {
	code, out, _ := runPlan(t, "lint", example("hootsuite.csv"), "--date-order", "dmy")
	want := example("hootsuite.csv") + ": channels: a hootsuite file has no channel column: pass --channels name=platform,... naming the channels its posts go to\n"
	if code != exitFail || out != want {
		t.Errorf("lint: exit %d\n got %q\nwant %q", code, out, want)
	}
	tm := planServer(t)
	code, out, _ = runPlan(t, append([]string{"apply", example("hootsuite.csv"), "--workspace", "brand", "--date-order", "dmy"}, tm.flags()...)...)
	want = example("hootsuite.csv") + ": channels: a hootsuite file has no channel column: pass --channels a,b naming the channels its posts go to (this workspace has: demo)\n"
	if code != exitFail || out != want {
		t.Errorf("apply: exit %d\n got %q\nwant %q", code, out, want)
	}
}
