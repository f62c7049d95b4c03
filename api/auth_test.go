package api_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/heraldhq/herald/api"
	"github.com/labstack/echo/v4"
)

// apiRoutes are every /api/v1 route, plus paths and methods no route serves.
var apiRoutes = []struct{ method, path string }{
	{"GET", "/api/v1/workspaces"},
	{"POST", "/api/v1/workspaces"},
	{"GET", "/api/v1/workspaces/acme"},
	{"PATCH", "/api/v1/workspaces/acme"},
	{"DELETE", "/api/v1/workspaces/acme"},
	{"GET", "/api/v1/workspaces/acme/channels"},
	{"POST", "/api/v1/workspaces/acme/channels"},
	{"GET", "/api/v1/workspaces/acme/channels/demo"},
	{"PATCH", "/api/v1/workspaces/acme/channels/demo"},
	{"DELETE", "/api/v1/workspaces/acme/channels/demo"},
	{"GET", "/api/v1/workspaces/acme/plans"},
	{"PUT", "/api/v1/workspaces/acme/plans/2026-12"},
	{"GET", "/api/v1/workspaces/acme/plans/2026-12"},
	{"DELETE", "/api/v1/workspaces/acme/plans/2026-12"},
	{"GET", "/api/v1/workspaces/acme/plans/2026-12/report"},
	{"GET", "/api/v1/workspaces/acme/plans/2026-12/report?format=csv"},
	{"POST", "/api/v1/workspaces/acme/plans/2026-12/approve"},
	{"POST", "/api/v1/workspaces/acme/plans/2026-12/reject"},
	{"POST", "/api/v1/workspaces/acme/plans/2026-12/review-links"},
	{"GET", "/api/v1/workspaces/acme/plans/2026-12/review-links"},
	{"DELETE", "/api/v1/workspaces/acme/plans/2026-12/review-links/1"},
	{"GET", "/api/v1/workspaces/acme/posts"},
	{"GET", "/api/v1/workspaces/acme/deliveries/1"},
	{"POST", "/api/v1/workspaces/acme/deliveries/1/retry"},
	{"POST", "/api/v1/workspaces/acme/deliveries/1/cancel"},
	{"POST", "/api/v1/workspaces/acme/deliveries/1/resolve"},
	{"POST", "/api/v1/workspaces/acme/channels/demo/check"},
	{"GET", "/api/v1/platforms"},
	{"POST", "/api/v1/users"},
	{"GET", "/api/v1/users"},
	{"GET", "/api/v1/users/me"},
	{"DELETE", "/api/v1/users/ed@example.com"},
	{"POST", "/api/v1/users/me/password"},
	{"DELETE", "/api/v1/sessions/current"},
	{"GET", "/api/v1/tokens"},
	{"POST", "/api/v1/tokens"},
	{"DELETE", "/api/v1/tokens/1"},
	{"GET", "/api/v1/workspaces/acme/members"},
	{"PUT", "/api/v1/workspaces/acme/members/ed@example.com"},
	{"DELETE", "/api/v1/workspaces/acme/members/ed@example.com"},
	{"GET", "/api/v1/workspaces/acme/audit"},
	{"GET", "/api/v1/audit"},
	{"POST", "/api/v1/workspaces/acme/pause"},
	{"POST", "/api/v1/workspaces/acme/resume"},
	{"POST", "/api/v1/workspaces/acme/channels/demo/pause"},
	{"POST", "/api/v1/workspaces/acme/channels/demo/resume"},
	{"POST", "/api/v1/pause"},
	{"POST", "/api/v1/resume"},
	// not routed: unknown paths, wrong methods
	{"GET", "/api/v1"},
	{"GET", "/api/v1/"},
	{"GET", "/api/v1/nope"},
	{"GET", "/api/v1/workspaces/acme/nope/deeper"},
	{"PUT", "/api/v1/workspaces"},
	{"POST", "/api/v1/workspaces/acme/plans/2026-12"},
}

// publicAPIRoutes are the /api/v1 routes that need no token: signing in,
// and a client's review link (its token in the path is the credential,
// api/review.go).
var publicAPIRoutes = []struct{ method, path string }{
	{"POST", "/api/v1/sessions"},
}

// reviewRoutes are the review link's public routes.
var reviewRoutes = []struct{ method, path string }{
	{"GET", "/api/v1/review/hrvw_x"},
	{"POST", "/api/v1/review/hrvw_x/approve"},
	{"POST", "/api/v1/review/hrvw_x/reject"},
}

func TestAuthRequiredOnEveryRoute(t *testing.T) {
	e := newEnv(t)
	e.setup("acme") // so a missing token, not a missing workspace, is what fails
	cases := []struct{ name, auth string }{
		{"no token", ""},
		{"wrong token", "Bearer hrld_wrong"},
		{"garbled", "Bearer"},
		{"other scheme", "Basic " + e.token},
		{"two tokens", "Bearer " + e.token + " " + e.token},
	}
	for _, c := range cases {
		for _, r := range apiRoutes {
			got := e.doAs(c.auth, r.method, r.path, `{}`, "Content-Type: application/json")
			if got.status != 401 || got.errorCode(t) != "unauthorized" {
				t.Errorf("%s: %s %s = %d %s, want 401 unauthorized", c.name, r.method, r.path, got.status, got.body)
			}
		}
	}
}

// TestAuthRoutesListed: apiRoutes (or publicAPIRoutes) names every /api/v1
// route the server registers, so a new route cannot skip
// TestAuthRequiredOnEveryRoute.
func TestAuthRoutesListed(t *testing.T) {
	e, ok := api.New(nil, api.Config{}).Handler().(*echo.Echo)
	if !ok {
		t.Fatal("Handler is not an *echo.Echo")
	}
	for _, rt := range e.Routes() {
		if !strings.HasPrefix(rt.Path, "/api/v1/") {
			continue
		}
		re := regexp.MustCompile("^" + regexp.MustCompile(`:[a-z]+`).ReplaceAllString(rt.Path, `[^/?]+`) + `(\?|$)`)
		listed := false
		for _, r := range slices.Concat(apiRoutes, publicAPIRoutes, reviewRoutes) {
			listed = listed || r.method == rt.Method && re.MatchString(r.path)
		}
		if !listed {
			t.Errorf("route %s %s is not in apiRoutes (nor, if it is public, in publicAPIRoutes or reviewRoutes)", rt.Method, rt.Path)
		}
	}
}

// The public routes take no bearer token: a wrong review link is a 404,
// with a token or without.
func TestPublicRoutes(t *testing.T) {
	e := newEnv(t)
	for _, r := range reviewRoutes {
		for _, auth := range []string{"", "Bearer hrld_wrong"} {
			got := e.doAs(auth, r.method, r.path, `{"reviewer":"Anna"}`, "Content-Type: application/json")
			if got.status != 404 || got.errorCode(t) != "not_found" {
				t.Errorf("%s %s (auth %q) = %d %s, want 404", r.method, r.path, auth, got.status, got.body)
			}
		}
	}
	// Only these: the rest of /api/v1 still wants a token.
	for _, path := range []string{"/api/v1/reviews", "/api/v1/review", "/api/v1/workspaces/acme/plans/x/review-links"} {
		if got := e.doAs("", "GET", path, nil); got.status != 401 {
			t.Errorf("GET %s without a token = %d, want 401", path, got.status)
		}
	}
}

func TestAuthenticatedUnknownRoutes(t *testing.T) {
	e := newEnv(t)
	r := must(t, e.do("GET", "/api/v1/nope", nil), 404)
	if r.errorCode(t) != "not_found" {
		t.Errorf("code %s", r.body)
	}
	r = must(t, e.do("PUT", "/api/v1/workspaces", nil), 405)
	if r.errorCode(t) != "method_not_allowed" {
		t.Errorf("code %s", r.body)
	}
	// the scheme is case-insensitive
	must(t, e.doAs("bearer "+e.token, "GET", "/api/v1/workspaces", nil), 200)
}

func TestHealthAndReady(t *testing.T) {
	e := newEnv(t)
	r := must(t, e.doAs("", "GET", "/healthz", nil), 200)
	if strings.TrimSpace(r.String()) != `{"status":"ok"}` {
		t.Errorf("healthz %s", r.body)
	}
	must(t, e.doAs("", "GET", "/readyz", nil), 200)

	e.db.Close()
	r = must(t, e.doAs("", "GET", "/readyz", nil), 503)
	if r.errorCode(t) != "unavailable" {
		t.Errorf("readyz %s", r.body)
	}
}

func TestLogsNeverShowTokenOrBody(t *testing.T) {
	e := newEnv(t)
	must(t, e.do("POST", "/api/v1/workspaces", map[string]any{"slug": "acme", "name": "Acme"}), 201)
	must(t, e.do("POST", "/api/v1/workspaces/acme/channels", map[string]any{
		"name": "tg", "platform": "telegram", "credentials": map[string]string{"bot_token": "SECRET-BOT-TOKEN"}}), 201)
	logs := e.logs.String()
	if !strings.Contains(logs, `"path":"/api/v1/workspaces/acme/channels"`) || !strings.Contains(logs, `"status":201`) {
		t.Errorf("request not logged: %s", logs)
	}
	if strings.Contains(logs, e.token) || strings.Contains(logs, "SECRET-BOT-TOKEN") {
		t.Errorf("secret in logs: %s", logs)
	}
}
