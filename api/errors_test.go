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
