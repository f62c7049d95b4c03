package api

import (
	"net/http"

	"github.com/heraldhq/herald"
	"github.com/labstack/echo/v4"
)

// me answers who the caller is: the user, the session or token it came
// with, and the user's memberships (GET /api/v1/users/me).
func (s *Server) me(c echo.Context) error {
	id, err := s.store.Identity(c.Request().Context(), caller(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, id)
}

// listUsers answers every user, by email, with their memberships (the
// instance admin's: GET /api/v1/users).
func (s *Server) listUsers(c echo.Context) error {
	n, err := limit(c)
	if err != nil {
		return err
	}
	list, err := s.store.ListUsers(c.Request().Context(), c.QueryParam("cursor"), n+1)
	if err != nil {
		return err
	}
	return emailPage(c, list, n, func(p *herald.Person) string { return p.Email })
}

// removeUser removes a user who left (DELETE /api/v1/users/{email}) and
// answers what it undid.
func (s *Server) removeUser(c echo.Context) error {
	out, err := s.store.RemoveUser(c.Request().Context(), memberEmail(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}
