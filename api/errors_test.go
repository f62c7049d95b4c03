package api_test

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/api"
	"github.com/rs/zerolog"
)

// brokenStore is a real store whose workspace list panics and whose
// workspace lookup fails with an internal error.
type brokenStore struct{ api.Store }

func (brokenStore) ListWorkspaces(context.Context, string, int) ([]*herald.Workspace, error) {
	panic("boom")
}

func (brokenStore) Workspace(context.Context, string) (*herald.Workspace, error) {
	return nil, errors.New("disk on fire at /secret/path")
}

func TestInternalErrorsAreLoggedNotShown(t *testing.T) {
	e := newEnv(t)
	var logs bytes.Buffer
	srv := httptest.NewServer(api.New(brokenStore{e.db}, api.Config{Logger: zerolog.New(&logs)}).Handler())
	defer srv.Close()
	e.srv = srv

	r := must(t, e.do("GET", "/api/v1/workspaces", nil), 500)
	if r.errorCode(t) != "internal" || strings.Contains(r.String(), "boom") {
		t.Errorf("panic answer: %s", r.body)
	}
	r = must(t, e.do("GET", "/api/v1/workspaces/acme", nil), 500)
	if r.errorCode(t) != "internal" || strings.Contains(r.String(), "secret") {
		t.Errorf("internal error answer: %s", r.body)
	}
	if !strings.Contains(logs.String(), "boom") || !strings.Contains(logs.String(), "disk on fire") {
		t.Errorf("internal errors not logged: %s", logs.String())
	}
	// the server still serves after a panic
	must(t, e.do("GET", "/api/v1/workspaces/acme/nope", nil), 404)
}

// busyStore is a real store whose database is busy (another process holds
// the write lock).
type busyStore struct{ api.Store }

func (busyStore) CreateWorkspace(context.Context, *herald.Workspace) error {
	return herald.Errorf(herald.EUNAVAILABLE, "the database is busy; try again in a moment")
}

// A busy database is a 503 the client may retry, with Retry-After.
func TestBusyDatabaseIs503WithRetryAfter(t *testing.T) {
	e := newEnv(t)
	srv := httptest.NewServer(api.New(busyStore{e.db}, api.Config{Logger: zerolog.Nop()}).Handler())
	defer srv.Close()
	e.srv = srv
	r := must(t, e.do("POST", "/api/v1/workspaces", map[string]any{"slug": "acme", "name": "Acme"}), 503)
	if r.errorCode(t) != "unavailable" || r.header.Get("Retry-After") == "" {
		t.Errorf("busy answer: %v %s", r.header, r.body)
	}
}
