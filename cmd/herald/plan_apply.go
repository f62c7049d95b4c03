package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/heraldhq/herald"
)

// apply uploads a plan file to PUT /api/v1/workspaces/{ws}/plans/{key} and
// prints the diff. Exit 1 when the plan has problems (422, 413) or a row
// conflicts with a published post; 2 on usage and connection errors.
func (p *planCmd) apply(ctx context.Context, args []string) int {
	fs := p.newFlagSet("apply")
	ws := fs.String("workspace", "", "the workspace's slug (required)")
	key := fs.String("key", "", "the plan's key (default: the file name without extension)")
	dryRun := fs.Bool("dry-run", false, "show the diff without changing anything")
	profile := fs.String("format", "", "import profile: herald, hootsuite or publer (default: detected from the header)")
	sheet := fs.String("sheet", "", "XLSX or ODS sheet to read (default: the first)")
	encoding := fs.String("encoding", "", "a CSV file's character encoding: utf-8, windows-1251, koi8-r… (default: UTF-8, or Windows-1251 when the file reads so)")
	tz := fs.String("timezone", "", "time zone of local times when the plan names none (default: the workspace's)")
	channels := fs.String("channels", "", "channels a,b for profiles without a channel column")
	dateOrder := fs.String("date-order", "", "dmy or mdy: how to read dates such as 12/4/2027, day or month first")
	annotations := fs.String("annotations", "", "github: print problems as GitHub Actions annotations")
	client := p.serverFlags(fs)
	pos, err := parseArgs(fs, args, "FILE")
	if err != nil {
		return p.usageErr("apply", err)
	}
	file := pos[0]
	err = checkProfile(*profile, *dateOrder)
	if err == nil {
		err = checkAnnotations(*annotations)
	}
	if err == nil {
		err = client.checkServer()
	}
	if err == nil && *ws == "" {
		err = errors.New("--workspace is required")
	}
	if err != nil {
		return p.usageErr("apply", err)
	}
	if *key == "" {
		*key = planKeyOf(file)
	}
	body, err := os.ReadFile(file)
	if err != nil {
		return p.usageErr("apply", err)
	}
	format, contentType, err := fileFormat(file, body)
	if err != nil {
		return p.usageErr("apply", err)
	}
	q := url.Values{}
	if *dryRun {
		q.Set("dry_run", "true")
	}
	for name, v := range map[string]string{"format": *profile, "sheet": *sheet, "encoding": *encoding, "timezone": *tz, "channels": *channels, "date_order": *dateOrder} {
		if v != "" {
			q.Set(name, v)
		}
	}

	pp := problemPrinter{w: p.stdout, file: file, json: format == "json", github: *annotations == "github", flags: applyFlags}
	var res herald.PlanResult
	err = client.do(ctx, http.MethodPut, planPath(*ws, *key, ""), q, contentType, body, &res)
	var ae *apiError
	if errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity && len(ae.Details) > 0 {
		pp.errors(ae.Details)
		fmt.Fprintf(p.stderr, "%s: %s; nothing applied\n", file, plural(len(ae.Details), "problem"))
		return exitFail
	}
	if err != nil {
		fmt.Fprintf(p.stderr, "herald plan apply: %s: %v\n", file, err)
		if ae != nil {
			return ae.exitCode()
		}
		return exitUsage
	}
	pp.warnings(res.Warnings)
	p.printDiff(res, pp)
	if res.Conflicts > 0 {
		fmt.Fprintf(p.stderr, "%s: %s with published posts: those rows were not changed\n", file, plural(res.Conflicts, "conflict"))
		return exitFail
	}
	return exitOK
}

// printDiff prints the counts line, then a row per row that is not unchanged.
// In GitHub mode conflicts are also annotations on their rows.
func (p *planCmd) printDiff(res herald.PlanResult, pp problemPrinter) {
	dry := ""
	if res.DryRun {
		dry = " (dry run: nothing changed)"
	}
	fmt.Fprintf(p.stdout, "plan %s%s: %d created, %d updated, %d unchanged, %d cancelled, %s\n",
		res.Plan, dry, res.Created, res.Updated, res.Unchanged, res.Cancelled, plural(res.Conflicts, "conflict"))
	var rows []herald.RowResult
	for _, r := range res.Rows {
		if r.Action != herald.ActionUnchanged {
			rows = append(rows, r)
		}
	}
	if len(rows) == 0 {
		return
	}
	tw := table(p.stdout, "ROW", "KEY", "ACTION", "MESSAGE")
	for _, r := range rows {
		row := "-"
		switch {
		case r.Action == herald.ActionCancelled && r.WasRow > 0:
			row = fmt.Sprintf("(was row %d)", r.WasRow) // no longer in the file
		case r.Row > 0 && r.Action != herald.ActionCancelled:
			row = strconv.Itoa(r.Row)
		}
		msg := r.Message
		if r.Approval != "" { // "approval reset: next free slot: …"
			msg = strings.TrimSuffix("approval "+r.Approval+": "+msg, ": ")
		}
		tw.Row(row, cell(r.Key), r.Action, cell(msg))
	}
	tw.Flush()
	if pp.github {
		for _, r := range rows {
			if r.Action == herald.ActionConflict {
				msg := "row " + r.Key + " conflicts with its published post"
				if r.Message != "" {
					msg += ": " + r.Message
				}
				pp.print("error", herald.Problem{Row: r.Row, Column: "key", Message: msg})
			}
		}
	}
}
