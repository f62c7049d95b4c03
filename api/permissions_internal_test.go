package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/labstack/echo/v4"
)

// Every /api/v1 route has an entry in routePermissions, and every entry
// is a route.
func TestRoutePermissionsCoverTheRoutes(t *testing.T) {
	s := New(nil, Config{})
	for _, r := range s.echo.Routes() {
		key := r.Method + " " + r.Path
		if _, ok := routePermissions[key]; strings.HasPrefix(r.Path, "/api/v1/") && !ok {
			t.Errorf("route %s has no entry in routePermissions", key)
		}
	}
	for key := range routePermissions {
		if !s.registered[key] {
			t.Errorf("routePermissions names %s, which is not a route", key)
		}
	}
}

// callerStore authenticates every bearer as one caller and knows no
// workspace; nothing else of it is called.
type callerStore struct {
	Store
	tok herald.Token
}

func (s callerStore) Authenticate(context.Context, string) (*herald.Token, error) { return &s.tok, nil }

// A route registered without an entry answers 500, whoever calls it; the
// routes outside /api/v1 need none.
func TestRouteWithoutPermissionIs500(t *testing.T) {
	s := New(callerStore{tok: herald.Token{ID: 1, Name: "admin", Role: herald.RoleAdmin}}, Config{})
	reached := false
	s.echo.GET("/api/v1/unlisted", func(c echo.Context) error { reached = true; return c.NoContent(http.StatusNoContent) })
	s.registered["GET /api/v1/unlisted"] = true
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/api/v1/unlisted", nil)
	req.Header.Set("Authorization", "Bearer hrld_x")
	s.Handler().ServeHTTP(rec, req)
	if rec.Code != 500 || reached {
		t.Fatalf("status %d, reached %v: %s", rec.Code, reached, rec.Body)
	}
	rec = httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	if rec.Code != 200 {
		t.Fatalf("healthz %d", rec.Code)
	}
}

func TestPublicPath(t *testing.T) {
	for _, c := range []struct {
		method, path string
		public       bool
	}{
		{"POST", "/api/v1/sessions", true},
		{"GET", "/healthz", true},
		{"GET", "/api/v1/sessions", false},
		{"POST", "/api/v1/sessions/", false},
		{"POST", "/api/v1/sessionsx", false},
		{"DELETE", "/api/v1/sessions/current", false},
		{"POST", "/api/v1/users", false},
		{"GET", "/api/v1/review/hrvw_x", true},
		{"POST", "/api/v1/review/hrvw_x/approve", true},
		{"DELETE", "/api/v1/review/hrvw_x", false},
		{"GET", "/api/v1/review", false},
	} {
		if got := publicPath(c.method, c.path); got != c.public {
			t.Errorf("publicPath(%s %s) = %v", c.method, c.path, got)
		}
	}
}
