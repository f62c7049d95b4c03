package main

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/heraldhq/herald"
)

// problemPrinter writes a plan's problems and warnings, pointing at the
// file, row and column: `FILE:ROW:COLUMN: message` for people and editors
// (ROW as the spreadsheet shows it, with "(line N)" after the message when
// the row starts on another line of a CSV file), or GitHub Actions workflow
// commands (`::error file=…,line=…::…`), whose line is the file's line.
type problemPrinter struct {
	w    io.Writer
	file string
	// json is true for JSON plans, whose "row" is the post's index from 1
	// (used as the line anyway; the message says so).
	json   bool
	github bool
	// flags, when set, says the upload options a message names in the
	// API's words (?channels=a,b) as the command's flags (--channels a,b).
	flags *strings.Replacer
}

// uploadFlags are the plan commands' flags for the upload options that
// messages name as query parameters, longest first; channels, the one
// that differs, comes from lint or apply.
var uploadFlags = []string{
	"?date_order=", "--date-order ", "?timezone=", "--timezone ", "?format=", "--format ", "?sheet=", "--sheet ",
	"?channels=", "--channels ", "?channels", "--channels",
}

var (
	// lintFlags: lint's --channels takes name=platform pairs.
	lintFlags = strings.NewReplacer(append([]string{"?channels=a,b", "--channels name=platform,..."}, uploadFlags...)...)
	// applyFlags: apply's --channels takes the names.
	applyFlags = strings.NewReplacer(uploadFlags...)
)

func (pp problemPrinter) errors(ps []herald.Problem) {
	for _, p := range ps {
		pp.print("error", p)
	}
}

func (pp problemPrinter) warnings(ps []herald.Problem) {
	for _, p := range ps {
		pp.print("warning", p)
	}
}

// print writes one problem; severity is "error" or "warning".
func (pp problemPrinter) print(severity string, p herald.Problem) {
	msg := p.Message
	if pp.flags != nil {
		msg = pp.flags.Replace(msg)
	}
	if pp.json && p.Row > 0 {
		msg = fmt.Sprintf("post #%d: %s", p.Row, msg)
	}
	if pp.github {
		props := []string{"file=" + ghProperty(pp.file)}
		switch {
		case p.Row > 0 && p.Line > 0:
			// Annotations point at lines of the file; the message keeps the row.
			props = append(props, "line="+strconv.Itoa(p.Line))
			msg = fmt.Sprintf("row %d: %s", p.Row, msg)
		case p.Row > 0:
			props = append(props, "line="+strconv.Itoa(p.Row))
		}
		if p.Column != "" {
			props = append(props, "title="+ghProperty(p.Column))
		}
		fmt.Fprintf(pp.w, "::%s %s::%s\n", severity, strings.Join(props, ","), ghData(msg))
		return
	}
	if severity == "warning" {
		msg = "warning: " + msg
	}
	if p.Row > 0 && p.Line > 0 {
		msg += fmt.Sprintf(" (line %d)", p.Line)
	}
	loc := pp.file
	switch {
	case p.Row > 0 && p.Column != "":
		loc += ":" + strconv.Itoa(p.Row) + ":" + p.Column
	case p.Row > 0:
		loc += ":" + strconv.Itoa(p.Row)
	case p.Column != "":
		loc += ": " + p.Column
	}
	fmt.Fprintf(pp.w, "%s: %s\n", loc, oneLine(msg))
}

// oneLine keeps a message on its line (a cell value quoted in a message may
// hold line breaks).
func oneLine(s string) string {
	return strings.NewReplacer("\r\n", `\n`, "\n", `\n`, "\r", `\r`).Replace(s)
}

// ghData escapes a GitHub workflow command's message.
func ghData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// ghProperty escapes a GitHub workflow command's property value.
func ghProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

// tableWriter writes aligned columns without trailing blanks.
type tableWriter struct {
	w   io.Writer
	buf bytes.Buffer
	tw  *tabwriter.Writer
}

// table starts a table with its header; call Row for each row, then Flush.
func table(w io.Writer, header ...string) *tableWriter {
	t := &tableWriter{w: w}
	t.tw = tabwriter.NewWriter(&t.buf, 0, 0, 2, ' ', 0)
	t.Row(header...)
	return t
}

// Row adds a row; cells must not hold tabs or line breaks (see cell).
func (t *tableWriter) Row(cells ...string) {
	fmt.Fprintln(t.tw, strings.Join(cells, "\t"))
}

// Flush writes the table.
func (t *tableWriter) Flush() {
	t.tw.Flush()
	for _, line := range strings.SplitAfter(t.buf.String(), "\n") {
		if line != "" {
			fmt.Fprintln(t.w, strings.TrimRight(line, " \n"))
		}
	}
	t.buf.Reset()
}

// cell keeps a table cell on one line and tab-free.
func cell(s string) string {
	return strings.ReplaceAll(oneLine(s), "\t", " ")
}

// progressBar renders done of total as "[#####-----]" width cells wide.
func progressBar(done, total, width int) string {
	n := 0
	if total > 0 {
		n = done * width / total
	}
	return "[" + strings.Repeat("#", n) + strings.Repeat("-", width-n) + "]"
}
