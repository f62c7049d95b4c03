package api

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strconv"

	"github.com/heraldhq/herald"
	"github.com/labstack/echo/v4"
)

var planKeyRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// planKey returns the {key} of the path, EINVALID when it is not a valid plan key.
func planKey(c echo.Context) (string, error) {
	key := c.Param("key")
	if !planKeyRe.MatchString(key) {
		return "", herald.Errorf(herald.EINVALID, "plan key %q must be 1-128 characters of A-Z, a-z, 0-9, '.', '_' and '-', starting with a letter or digit", key)
	}
	return key, nil
}

// planFormat maps the request's Content-Type to a plan format; EUNSUPPORTED
// for any other type.
func planFormat(contentType string) (string, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err == nil {
		switch mt {
		case "application/json":
			return "json", nil
		case "text/csv", "application/csv":
			return "csv", nil
		}
	}
	return "", herald.Errorf(herald.EUNSUPPORTED, "unsupported Content-Type %q: send a plan as application/json or text/csv", contentType)
}

func (s *Server) putPlan(c echo.Context) error {
	ctx := c.Request().Context()
	ws, err := s.workspace(c)
	if err != nil {
		return err
	}
	key, err := planKey(c)
	if err != nil {
		return err
	}
	format, err := planFormat(c.Request().Header.Get("Content-Type"))
	if err != nil {
		return err
	}
	dryRun, err := boolParam(c, "dry_run")
	if err != nil {
		return err
	}
	tz := ws.Timezone
	if q := c.QueryParam("timezone"); q != "" {
		if _, err := herald.LoadLocation(q); err != nil {
			return herald.Errorf(herald.EINVALID, "timezone: %s", err.Error())
		}
		tz = q
	}
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		var maxSize *http.MaxBytesError
		if errors.As(err, &maxSize) {
			return tooLarge(maxSize.Limit)
		}
		return herald.Errorf(herald.EINVALID, "could not read the request body")
	}
	if s.cfg.BuildPlan == nil {
		return errors.New("api: Config.BuildPlan is not set")
	}
	chs, err := s.store.ListChannels(ctx, ws.ID)
	if err != nil {
		return err
	}
	byName := make(map[string]*herald.Channel, len(chs))
	for _, ch := range chs {
		byName[ch.Name] = ch
	}
	plan, posts, warnings, err := s.cfg.BuildPlan(herald.PlanUpload{
		Key: key, Body: body, Format: format, Timezone: tz, Channels: byName, Now: s.cfg.Now(),
	})
	if err != nil {
		return err
	}
	plan.Key = key
	res, err := s.store.ApplyPlan(ctx, ws.ID, plan, posts, dryRun)
	if err != nil {
		return err
	}
	res.DryRun = dryRun
	res.Warnings = append(append([]herald.Problem{}, warnings...), derivedKeyWarnings(posts, format)...)
	if res.Rows == nil {
		res.Rows = []herald.RowResult{}
	}
	if !dryRun && s.cfg.OnPlanApplied != nil {
		s.cfg.OnPlanApplied()
	}
	return c.JSON(http.StatusOK, res)
}

// derivedKeyWarnings tells, for each post whose key was derived, that edits
// to that row will replace it rather than update it.
func derivedKeyWarnings(posts []herald.Post, format string) []herald.Problem {
	where := "column"
	if format == "json" {
		where = "field"
	}
	var ps []herald.Problem
	for _, p := range posts {
		if p.KeyDerived {
			ps = append(ps, herald.Problem{Row: p.Row, Column: "key", Code: "derived_key",
				Message: fmt.Sprintf("row has no key; derived key %s — add a key %s so edits update this row instead of replacing it", p.Key, where)})
		}
	}
	return ps
}

// boolParam reads an optional boolean query parameter (false when absent).
func boolParam(c echo.Context, name string) (bool, error) {
	v := c.QueryParam(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, herald.Errorf(herald.EINVALID, "%s must be true or false, not %q", name, v)
	}
	return b, nil
}

func (s *Server) listPlans(c echo.Context) error {
	ws, err := s.workspace(c)
	if err != nil {
		return err
	}
	n, err := limit(c)
	if err != nil {
		return err
	}
	list, err := s.store.ListPlans(c.Request().Context(), ws.ID, c.QueryParam("cursor"), n+1)
	if err != nil {
		return err
	}
	next := ""
	if len(list) > n {
		list = list[:n]
		next = list[n-1].Key
	}
	if list == nil {
		list = []*herald.PlanSummary{}
	}
	return c.JSON(http.StatusOK, page{Items: list, NextCursor: next})
}

func (s *Server) getPlan(c echo.Context) error {
	ctx := c.Request().Context()
	ws, err := s.workspace(c)
	if err != nil {
		return err
	}
	key, err := planKey(c)
	if err != nil {
		return err
	}
	plan, err := s.store.Plan(ctx, ws.ID, key)
	if err != nil {
		return err
	}
	rows, err := s.store.PlanReport(ctx, ws.ID, key)
	if err != nil {
		return err
	}
	if rows == nil {
		rows = []herald.ReportRow{}
	}
	return c.JSON(http.StatusOK, struct {
		Plan *herald.Plan       `json:"plan"`
		Rows []herald.ReportRow `json:"rows"`
	}{plan, rows})
}

func (s *Server) deletePlan(c echo.Context) error {
	ws, err := s.workspace(c)
	if err != nil {
		return err
	}
	key, err := planKey(c)
	if err != nil {
		return err
	}
	n, err := s.store.DeletePlan(c.Request().Context(), ws.ID, key)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]int{"cancelled": n})
}
