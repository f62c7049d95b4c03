package api

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/heraldhq/herald"
	"github.com/labstack/echo/v4"
)

// reportHeader is the header row of a CSV report.
// The columns text and rubric came later and stay at the end, then the
// post's approval: its state, the step it waits at (or was rejected at), and
// the note of its latest decision.
var reportHeader = []string{"key", "row", "channel", "platform", "due_at", "status", "remote_id", "url", "published_at", "attempts", "error",
	"text", "rubric", "approval", "approval_step", "approval_note"}

func (s *Server) planReport(c echo.Context) error {
	ctx := c.Request().Context()
	ws, key, err := s.planPath(c)
	if err != nil {
		return err
	}
	format := c.QueryParam("format")
	if format != "" && format != "json" && format != "csv" {
		return herald.Errorf(herald.EINVALID, "format must be json or csv, not %q", format)
	}
	plan, err := s.store.Plan(ctx, ws.ID, key)
	if err != nil {
		return err
	}
	rows, err := s.store.PlanReport(ctx, ws.ID, key)
	if err != nil {
		return err
	}
	if format == "csv" {
		b, err := reportCSV(rows)
		if err != nil {
			return err
		}
		c.Response().Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-report.csv"`, key))
		return c.Blob(http.StatusOK, "text/csv; charset=utf-8", b)
	}
	if rows == nil {
		rows = []herald.ReportRow{}
	}
	return c.JSON(http.StatusOK, Report{Plan: key, DeletedAt: plan.DeletedAt, Rows: rows})
}

// Report is the JSON answer of GET …/plans/{key}/report: each row × channel.
// A deleted plan's report has DeletedAt and the rows the plan had then.
type Report struct {
	Plan      string             `json:"plan"`
	DeletedAt *time.Time         `json:"deleted_at,omitempty"`
	Rows      []herald.ReportRow `json:"rows"`
}

// reportCSV renders report rows as CSV, every cell escaped with csvCell.
func reportCSV(rows []herald.ReportRow) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.Write(reportHeader); err != nil {
		return nil, fmt.Errorf("report csv: %w", err)
	}
	for _, r := range rows {
		published := ""
		if r.PublishedAt != nil {
			published = r.PublishedAt.UTC().Format(time.RFC3339)
		}
		state, note := r.Approval.State, ""
		if state == "" {
			state = herald.ApprovalNone
		}
		if ds := r.Approval.Decisions; len(ds) > 0 {
			note = ds[len(ds)-1].Note
		}
		rec := []string{r.Key, strconv.Itoa(r.Row), r.Channel, r.Platform, r.DueAt.UTC().Format(time.RFC3339),
			string(r.Status), r.RemoteID, r.URL, published, strconv.Itoa(r.Attempts), r.Error, r.Text, r.Rubric,
			state, r.Approval.Step, note}
		for i := range rec {
			rec[i] = csvCell(rec[i])
		}
		if err := w.Write(rec); err != nil {
			return nil, fmt.Errorf("report csv: %w", err)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, fmt.Errorf("report csv: %w", err)
	}
	return buf.Bytes(), nil
}

// csvCell escapes a cell a spreadsheet would run as a formula (starting with
// =, +, -, @, tab or carriage return) by prefixing a single quote, as the
// OWASP CSV injection guidance recommends. Quoting of separators and quotes
// is left to encoding/csv.
func csvCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}
