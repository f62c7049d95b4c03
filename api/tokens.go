package api

import (
	"net/http"
	"strconv"

	"github.com/heraldhq/herald"
	"github.com/labstack/echo/v4"
)

// createdToken is the answer of POST /api/v1/tokens: the token, and its
// secret (shown this once).
type createdToken struct {
	Secret string `json:"token"`
	*herald.Token
}

func (s *Server) createToken(c echo.Context) error {
	var in herald.TokenRequest
	if err := s.decodeJSON(c, &in); err != nil {
		return err
	}
	secret, tok, err := s.store.CreateTokenFor(c.Request().Context(), caller(c), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, createdToken{Secret: secret, Token: tok})
}

func (s *Server) listTokens(c echo.Context) error {
	n, err := limit(c)
	if err != nil {
		return err
	}
	var after int64
	if v := c.QueryParam("cursor"); v != "" {
		if after, err = strconv.ParseInt(v, 10, 64); err != nil || after < 0 {
			return herald.Errorf(herald.EINVALID, "cursor %q is not one this list gave; leave it out for the first page", v)
		}
	}
	list, err := s.store.ListTokens(c.Request().Context(), caller(c), after, n+1)
	if err != nil {
		return err
	}
	next := ""
	if len(list) > n {
		list = list[:n]
		next = strconv.FormatInt(list[n-1].ID, 10)
	}
	if list == nil {
		list = []*herald.Token{}
	}
	return c.JSON(http.StatusOK, page{Items: list, NextCursor: next})
}

func (s *Server) deleteToken(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		return herald.Errorf(herald.ENOTFOUND, "token %q not found among yours", c.Param("id"))
	}
	if err := s.store.RevokeToken(c.Request().Context(), caller(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
