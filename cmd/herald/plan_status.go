package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/api"
)

// maxPollErrors is how many failed polls in a row status --wait tolerates
// (a server restarting) before it gives up with exit 2.
const maxPollErrors = 5

// status prints a plan's report (row × channel) and, with --wait, follows it
// until every delivery is final. Exit 1 when a delivery failed, is unknown
// or was missed, or when --timeout passes; 2 on usage and connection errors.
func (p *planCmd) status(ctx context.Context, args []string) int {
	fs := p.newFlagSet("status")
	wait := fs.Bool("wait", false, "follow until every delivery is final (published, failed, unknown, cancelled, missed)")
	timeout := fs.Duration("timeout", 30*time.Minute, "with --wait, give up after this long (0: never)")
	client := p.serverFlags(fs)
	pos, err := parseArgs(fs, args, "WORKSPACE", "KEY")
	if err == nil {
		err = client.checkServer()
	}
	if err == nil && *timeout < 0 {
		err = errors.New("--timeout must not be negative")
	}
	if err != nil {
		return p.usageErr("status", err)
	}
	ws, key := pos[0], pos[1]
	fetch := func() (api.Report, error) {
		var r api.Report
		err := client.do(ctx, http.MethodGet, planPath(ws, key, "/report"), nil, "", nil, &r)
		return r, err
	}
	rep, err := fetch()
	if err != nil {
		return p.statusErr(err)
	}
	if !*wait {
		p.printReport(rep)
		return p.summary(rep.Rows)
	}

	term := p.terminal(p.stdout)
	if !term {
		p.printReport(rep)
	}
	var deadline time.Time
	if *timeout > 0 {
		deadline = p.now().Add(*timeout)
	}
	failures := 0
	for {
		if term {
			fmt.Fprintf(p.stdout, "\r%s\x1b[K", progressLine(rep.Rows))
		}
		if allFinal(rep.Rows) {
			break
		}
		if !deadline.IsZero() && !p.now().Before(deadline) {
			if term {
				fmt.Fprintln(p.stdout)
			}
			fmt.Fprintf(p.stderr, "herald plan status: timed out after %s: %d of %d deliveries are not final yet\n",
				*timeout, len(rep.Rows)-countFinal(rep.Rows), len(rep.Rows))
			return exitFail
		}
		t := time.NewTimer(p.poll)
		select {
		case <-ctx.Done():
			t.Stop()
			fmt.Fprintf(p.stderr, "herald plan status: %v\n", ctx.Err())
			return exitUsage
		case <-t.C:
		}
		next, err := fetch()
		if err != nil {
			failures++
			if failures >= maxPollErrors {
				if term {
					fmt.Fprintln(p.stdout)
				}
				return p.statusErr(err)
			}
			continue
		}
		failures = 0
		if !term {
			p.printChanges(rep.Rows, next.Rows)
		}
		rep = next
	}
	if term {
		fmt.Fprintln(p.stdout)
		p.printReport(rep)
	}
	return p.summary(rep.Rows)
}

func (p *planCmd) statusErr(err error) int {
	fmt.Fprintf(p.stderr, "herald plan status: %v\n", err)
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.exitCode()
	}
	return exitUsage
}

// printReport prints every row × channel as a table (for a deleted plan,
// saying so first).
func (p *planCmd) printReport(rep api.Report) {
	if rep.DeletedAt != nil {
		fmt.Fprintf(p.stdout, "plan %s was deleted at %s; its rows as they were then:\n", rep.Plan, rep.DeletedAt.UTC().Format("2006-01-02 15:04Z"))
	}
	if len(rep.Rows) == 0 {
		fmt.Fprintf(p.stdout, "plan %s has no deliveries\n", rep.Plan)
		return
	}
	tw := table(p.stdout, "ROW", "KEY", "CHANNEL", "DUE", "STATUS", "ATTEMPTS", "URL/ERROR")
	for _, r := range rep.Rows {
		due := "-"
		if !r.DueAt.IsZero() {
			due = r.DueAt.UTC().Format("2006-01-02 15:04Z")
		}
		tw.Row(strconv.Itoa(r.Row), cell(r.Key), cell(r.Channel), due, string(r.Status), strconv.Itoa(r.Attempts), cell(detail(r)))
	}
	tw.Flush()
}

// printChanges prints one line per delivery whose status changed (or that
// appeared) between two reports.
func (p *planCmd) printChanges(prev, next []herald.ReportRow) {
	old := make(map[string]herald.DeliveryStatus, len(prev))
	for _, r := range prev {
		old[rowID(r)] = r.Status
	}
	for _, r := range next {
		was, ok := old[rowID(r)]
		if ok && was == r.Status {
			continue
		}
		line := fmt.Sprintf("row %d %s %s: ", r.Row, r.Key, r.Channel)
		if ok {
			line += string(was) + " -> "
		}
		line += string(r.Status)
		if d := detail(r); d != "" && r.Status.Final() {
			line += " " + d
		}
		fmt.Fprintln(p.stdout, oneLine(line))
	}
}

func rowID(r herald.ReportRow) string {
	if r.DeliveryID != 0 {
		return strconv.FormatInt(r.DeliveryID, 10)
	}
	return r.Key + "/" + r.Channel
}

// detail is a delivery's URL when published, its error otherwise.
func detail(r herald.ReportRow) string {
	if r.Status == herald.StatusPublished {
		if r.URL != "" {
			return r.URL
		}
		return r.RemoteID
	}
	return r.Error
}

// failed reports whether a final status is a failure for CI.
func allFinal(rows []herald.ReportRow) bool { return countFinal(rows) == len(rows) }

func countFinal(rows []herald.ReportRow) int {
	n := 0
	for _, r := range rows {
		if r.Status.Final() {
			n++
		}
	}
	return n
}

// counts is "2 published, 1 failed" in the order of herald.Statuses
// (only the statuses of the rows where keep says so).
func counts(rows []herald.ReportRow, keep func(herald.DeliveryStatus) bool) string {
	by := map[herald.DeliveryStatus]int{}
	for _, r := range rows {
		by[r.Status]++
	}
	var parts []string
	for _, s := range herald.Statuses {
		if by[s] > 0 && keep(s) {
			parts = append(parts, fmt.Sprintf("%d %s", by[s], s))
		}
	}
	return strings.Join(parts, ", ")
}

// progressLine is "[#####-----] 12/20 done: 11 published, 1 failed".
func progressLine(rows []herald.ReportRow) string {
	done := countFinal(rows)
	line := fmt.Sprintf("%s %d/%d done", progressBar(done, len(rows), 20), done, len(rows))
	if c := counts(rows, herald.DeliveryStatus.Final); c != "" {
		line += ": " + c
	}
	return line
}

// summary prints the deliveries counted by status and returns exit 1 when
// any failed, is unknown or was missed.
func (p *planCmd) summary(rows []herald.ReportRow) int {
	all := func(herald.DeliveryStatus) bool { return true }
	fmt.Fprintf(p.stdout, "%s", plural(len(rows), "delivery"))
	if c := counts(rows, all); c != "" {
		fmt.Fprintf(p.stdout, ": %s", c)
	}
	fmt.Fprintln(p.stdout)
	bad := 0
	for _, r := range rows {
		if herald.NeedsAttention.Has(r.Status) {
			bad++
		}
	}
	if bad > 0 {
		fmt.Fprintf(p.stderr, "herald plan status: %s failed, unknown or missed\n", plural(bad, "delivery"))
		return exitFail
	}
	return exitOK
}
