package api

import (
	"net/http"
	"strconv"

	"github.com/heraldhq/herald"
	"github.com/labstack/echo/v4"
)

// The audit log, read-only: no route changes it.

// workspaceAudit answers GET …/workspaces/{ws}/audit: the workspace's
// entries, newest first.
func (s *Server) workspaceAudit(c echo.Context) error {
	ws, err := s.workspace(c)
	if err != nil {
		return err
	}
	f, err := auditFilter(c)
	if err != nil {
		return err
	}
	f.WorkspaceID = ws.ID
	return s.answerAudit(c, f)
}

// instanceAudit answers GET /api/v1/audit: every entry, of every workspace
// (deleted ones too) and of the instance, newest first.
func (s *Server) instanceAudit(c echo.Context) error {
	f, err := auditFilter(c)
	if err != nil {
		return err
	}
	return s.answerAudit(c, f)
}

func (s *Server) answerAudit(c echo.Context, f herald.AuditFilter) error {
	items, next, err := s.store.AuditLog(c.Request().Context(), f)
	if err != nil {
		return err
	}
	if items == nil {
		items = []herald.AuditEntry{}
	}
	p := page{Items: items}
	if next > 0 {
		p.NextCursor = strconv.FormatInt(next, 10)
	}
	return c.JSON(http.StatusOK, p)
}

// auditFilter reads ?limit (1–500, default 50; more is 500), ?cursor (a
// next_cursor), ?actor (kind:id or a kind) and ?action (an action or a
// prefix ending in "."); a bad value is EINVALID saying what is allowed.
func auditFilter(c echo.Context) (herald.AuditFilter, error) {
	f := herald.AuditFilter{Limit: herald.DefaultAuditLimit}
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return f, herald.Errorf(herald.EINVALID, "limit must be an integer from 1 to %d", herald.MaxAuditLimit)
		}
		f.Limit = min(n, herald.MaxAuditLimit)
	}
	if v := c.QueryParam("cursor"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return f, herald.Errorf(herald.EINVALID, "cursor must be the next_cursor of the page before; leave it out for the newest entries")
		}
		f.Before = n
	}
	if v := c.QueryParam("actor"); v != "" {
		kind, id, err := herald.ParseAuditActor(v)
		if err != nil {
			return f, err
		}
		f.ActorKind, f.ActorID = kind, id
	}
	action, err := herald.ParseAuditAction(c.QueryParam("action"))
	if err != nil {
		return f, err
	}
	f.Action = action
	return f, nil
}
