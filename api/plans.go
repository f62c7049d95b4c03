package api

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

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

// planPath looks up the path's workspace and reads its plan {key}.
func (s *Server) planPath(c echo.Context) (*herald.Workspace, string, error) {
	ws, err := s.workspace(c)
	if err != nil {
		return nil, "", err
	}
	key, err := planKey(c)
	return ws, key, err
}

// XLSXContentType is the media type of an XLSX workbook, as plan uploads send it.
const XLSXContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// ODSContentType is the media type of an ODS spreadsheet (LibreOffice's own format).
const ODSContentType = "application/vnd.oasis.opendocument.spreadsheet"

// genericTypes say nothing sure of a plan's format (curl sends a form type
// by default; Windows browsers send a .csv file as application/vnd.ms-excel):
// the upload is read as what its bytes are
// (Config.SniffPlan), and an Excel 97-2003 .xls gets a problem saying how to
// save it.
var genericTypes = []string{"application/octet-stream", "binary/octet-stream", "application/zip",
	"application/x-zip-compressed", "application/x-www-form-urlencoded", "application/vnd.ms-excel"}

// planFormat maps the request's Content-Type to a plan format ("" for a
// missing or generic type: the bytes tell) and returns its charset
// parameter; EUNSUPPORTED for any other type.
func planFormat(contentType string) (format, charset string, err error) {
	if strings.TrimSpace(contentType) == "" {
		return "", "", nil
	}
	mt, params, err := mime.ParseMediaType(contentType)
	if err == nil {
		switch {
		case mt == "application/json":
			return "json", params["charset"], nil
		case mt == "text/csv", mt == "application/csv":
			return "csv", params["charset"], nil
		case mt == XLSXContentType:
			return "xlsx", params["charset"], nil
		case mt == ODSContentType:
			return "ods", params["charset"], nil
		case slices.Contains(genericTypes, mt):
			return "", params["charset"], nil
		}
	}
	return "", "", herald.Errorf(herald.EUNSUPPORTED, "unsupported Content-Type %q: send a plan as application/json, text/csv, %s (XLSX) or %s (ODS), or as application/octet-stream to have its format told from its bytes",
		contentType, XLSXContentType, ODSContentType)
}

// spreadsheetOptions reads a plan upload's spreadsheet options from the
// query: ?format= (the import profile), ?sheet=, ?date_order=dmy|mdy,
// ?encoding= (a CSV file's character encoding, over the Content-Type's
// charset) and ?channels=a,b (the channels of profiles without a channel
// column). An empty channel list is EINVALID; the other values are checked
// by Config.BuildPlan (contentplans.Build), which knows them.
func spreadsheetOptions(c echo.Context, up *herald.PlanUpload) error {
	up.Profile = strings.ToLower(strings.TrimSpace(c.QueryParam("format")))
	up.DateOrder = strings.ToLower(strings.TrimSpace(c.QueryParam("date_order")))
	up.Sheet = strings.TrimSpace(c.QueryParam("sheet"))
	if enc := strings.TrimSpace(c.QueryParam("encoding")); enc != "" {
		up.Encoding = enc
	}
	if _, ok := c.QueryParams()["channels"]; ok {
		for _, name := range strings.Split(c.QueryParam("channels"), ",") {
			if name = strings.TrimSpace(name); name != "" {
				up.DefaultChannels = append(up.DefaultChannels, name)
			}
		}
		if len(up.DefaultChannels) == 0 {
			return herald.Errorf(herald.EINVALID, "channels must name at least one channel: ?channels=a,b")
		}
	}
	return nil
}

func (s *Server) putPlan(c echo.Context) error {
	ctx := c.Request().Context()
	ws, key, err := s.planPath(c)
	if err != nil {
		return err
	}
	format, charset, err := planFormat(c.Request().Header.Get("Content-Type"))
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
	up := herald.PlanUpload{Key: key, Format: format, Timezone: tz, Encoding: charset}
	if err := spreadsheetOptions(c, &up); err != nil {
		return err
	}
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		var maxSize *http.MaxBytesError
		if errors.As(err, &maxSize) {
			return tooLarge(maxSize.Limit)
		}
		return herald.Errorf(herald.EINVALID, "could not read the request body")
	}
	up.Body = body
	res, err := s.plans.Apply(ctx, herald.ApplyRequest{WorkspaceID: ws.ID, Upload: up, DryRun: dryRun})
	if err != nil {
		return err
	}
	if !dryRun && s.cfg.OnPlanApplied != nil {
		s.cfg.OnPlanApplied()
	}
	return c.JSON(http.StatusOK, res)
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
	ws, key, err := s.planPath(c)
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
	paused, err := s.pausedView(c, ws.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, struct {
		Plan *herald.Plan       `json:"plan"`
		Rows []herald.ReportRow `json:"rows"`
		pausedView
	}{plan, rows, paused})
}

func (s *Server) deletePlan(c echo.Context) error {
	ws, key, err := s.planPath(c)
	if err != nil {
		return err
	}
	n, err := s.store.DeletePlan(c.Request().Context(), ws.ID, key)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]int{"cancelled": n})
}
