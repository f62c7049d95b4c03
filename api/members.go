package api

import (
	"net/http"
	"net/url"

	"github.com/heraldhq/herald"
	"github.com/labstack/echo/v4"
)

// memberEmail is the {email} of the path.
func memberEmail(c echo.Context) string {
	e := c.Param("email")
	if u, err := url.PathUnescape(e); err == nil {
		return u
	}
	return e
}

func (s *Server) listMembers(c echo.Context) error {
	ws, err := s.workspace(c)
	if err != nil {
		return err
	}
	n, err := limit(c)
	if err != nil {
		return err
	}
	list, err := s.store.ListMembers(c.Request().Context(), ws.ID, c.QueryParam("cursor"), n+1)
	if err != nil {
		return err
	}
	return emailPage(c, list, n, func(m *herald.Member) string { return m.Email })
}

// emailPage answers a page of a list ordered by email and read one past
// n: its first n items, with the cursor of the last when there is more.
func emailPage[T any](c echo.Context, list []*T, n int, email func(*T) string) error {
	next := ""
	if len(list) > n {
		list = list[:n]
		next = herald.EmailKey(email(list[n-1]))
	}
	if list == nil {
		list = []*T{}
	}
	return c.JSON(http.StatusOK, page{Items: list, NextCursor: next})
}

// memberInput is the body of PUT …/members/{email}.
type memberInput struct {
	Role string `json:"role"`
}

func (s *Server) putMember(c echo.Context) error {
	ws, err := s.workspace(c)
	if err != nil {
		return err
	}
	var in memberInput
	if err := s.decodeJSON(c, &in); err != nil {
		return err
	}
	role, err := herald.ParseRole(in.Role)
	if err != nil {
		return err
	}
	m, created, err := s.store.PutMember(c.Request().Context(), ws.ID, memberEmail(c), role, roleHere(c, ws))
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return c.JSON(status, m)
}

func (s *Server) deleteMember(c echo.Context) error {
	ws, err := s.workspace(c)
	if err != nil {
		return err
	}
	if err := s.store.DeleteMember(c.Request().Context(), ws.ID, memberEmail(c), roleHere(c, ws)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
