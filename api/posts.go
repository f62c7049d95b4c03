package api

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/labstack/echo/v4"
)

// calendar answers GET …/posts: the workspace's deliveries by due time,
// filtered by from and to (RFC 3339 instants, or dates in the workspace's
// time zone: from its first day to its last, inclusive), channel, status
// and rubric.
func (s *Server) calendar(c echo.Context) error {
	ws, err := s.workspace(c)
	if err != nil {
		return err
	}
	loc, err := herald.LoadLocation(ws.Timezone)
	if err != nil {
		return fmt.Errorf("calendar: workspace %s: %w", ws.Slug, err)
	}
	f := herald.CalendarFilter{Channel: c.QueryParam("channel"), Rubric: c.QueryParam("rubric")}
	if f.From, err = timeParam(c, "from", loc, false); err != nil {
		return err
	}
	if f.To, err = timeParam(c, "to", loc, true); err != nil {
		return err
	}
	if v := c.QueryParam("status"); v != "" {
		f.Status = herald.DeliveryStatus(v)
		if !f.Status.Valid() {
			return herald.Errorf(herald.EINVALID, "status %q is not a delivery status (%s)", v, herald.Statuses)
		}
	}
	n, err := limit(c)
	if err != nil {
		return err
	}
	f.Limit = n + 1
	if v := c.QueryParam("cursor"); v != "" {
		if f.AfterDue, f.AfterID, err = decodeCursor(v); err != nil {
			return err
		}
	}
	entries, err := s.store.Calendar(c.Request().Context(), ws.ID, f)
	if err != nil {
		return err
	}
	next := ""
	if len(entries) > n {
		entries = entries[:n]
		last := entries[n-1]
		next = encodeCursor(last.DueAt, last.DeliveryID)
	}
	if entries == nil {
		entries = []herald.CalendarEntry{}
	}
	paused, err := s.pausedView(c, ws.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, struct {
		page
		pausedView
	}{page{Items: entries, NextCursor: next}, paused})
}

// timeParam reads an optional query parameter (zero when absent): an RFC
// 3339 instant, or a date (2026-12-01) read in loc as the start of that day
// — with nextDay, the start of the day after, so that an exclusive bound
// takes in the whole day named. Anything else is EINVALID.
func timeParam(c echo.Context, name string, loc *time.Location, nextDay bool) (time.Time, error) {
	v := c.QueryParam(name)
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC(), nil
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, herald.Errorf(herald.EINVALID,
			"%s must be an RFC 3339 time such as 2026-12-01T00:00:00Z or a date such as 2026-12-01 (in the workspace's time zone), not %q", name, v)
	}
	if nextDay {
		d = d.AddDate(0, 0, 1)
	}
	return herald.StartOfDay(d.Year(), d.Month(), d.Day(), loc), nil
}

// encodeCursor makes the opaque calendar cursor for "after (due, id)".
func encodeCursor(due time.Time, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(due.UTC().Format(time.RFC3339Nano) + "," + strconv.FormatInt(id, 10)))
}

// decodeCursor reads a cursor made by encodeCursor; EINVALID otherwise.
func decodeCursor(v string) (time.Time, int64, error) {
	bad := herald.Errorf(herald.EINVALID, "cursor is not one this API returned")
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return time.Time{}, 0, bad
	}
	ts, ids, ok := strings.Cut(string(b), ",")
	if !ok {
		return time.Time{}, 0, bad
	}
	due, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return time.Time{}, 0, bad
	}
	id, err := strconv.ParseInt(ids, 10, 64)
	if err != nil {
		return time.Time{}, 0, bad
	}
	return due, id, nil
}
