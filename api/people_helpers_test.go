package api_test

import (
	"bytes"
	"context"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/api"
	contentplans "github.com/heraldhq/herald/content-plans"
	"github.com/heraldhq/herald/storage"
	"github.com/rs/zerolog"
)

// createUser makes a user through the API as the instance admin and
// returns the password (generated when password is "").
func (e *env) createUser(email, name, password string, admin bool) string {
	e.t.Helper()
	body := map[string]any{"email": email, "name": name, "admin": admin}
	if password != "" {
		body["password"] = password
	}
	var out struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	must(e.t, e.do("POST", "/api/v1/users", body), 201).decode(e.t, &out)
	if password != "" {
		if out.Password != "" {
			e.t.Fatalf("a password that was sent is answered back: %+v", out)
		}
		return password
	}
	return out.Password
}

// signIn returns a session's bearer for email.
func (e *env) signIn(email, password string) string {
	e.t.Helper()
	var out struct {
		Token     string    `json:"token"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	must(e.t, e.doAs("", "POST", "/api/v1/sessions", map[string]string{"email": email, "password": password}), 201).decode(e.t, &out)
	if out.Token == "" || out.ExpiresAt.IsZero() {
		e.t.Fatalf("session %+v", out)
	}
	return out.Token
}

// tokenAs creates an API token with bearer auth (a session or a token)
// and returns its secret and id.
func (e *env) tokenAs(auth string, req map[string]any) (string, int64) {
	e.t.Helper()
	var out struct {
		Token string `json:"token"`
		ID    int64  `json:"id"`
	}
	must(e.t, e.doAs("Bearer "+auth, "POST", "/api/v1/tokens", req), 201).decode(e.t, &out)
	return out.Token, out.ID
}

// member puts email in ws with role, as the instance admin.
func (e *env) member(ws, email, role string) {
	e.t.Helper()
	r := e.do("PUT", "/api/v1/workspaces/"+ws+"/members/"+url.PathEscape(email), map[string]string{"role": role})
	if r.status != 200 && r.status != 201 {
		e.t.Fatalf("member %s %s in %s: %d %s", email, role, ws, r.status, r.body)
	}
}

// person creates a user who is role in ws (none when role is ""), signs
// them in and returns their session.
func (e *env) person(email, ws, role string) string {
	e.t.Helper()
	pw := e.createUser(email, "Person "+email, "password-"+email, false)
	if role != "" {
		e.member(ws, email, role)
	}
	return e.signIn(email, pw)
}

func mustT(t *testing.T, r resp, status int, code string) resp {
	t.Helper()
	must(t, r, status)
	if got := r.errorCode(t); got != code {
		t.Fatalf("code %q, want %q: %s", got, code, r.body)
	}
	return r
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// newEnvAt is newEnv with the store and the API on the clock clk.
func newEnvAt(t *testing.T, clk *clock, tweak ...func(*api.Config)) *env {
	t.Helper()
	db, err := storage.Open(filepath.Join(t.TempDir(), "herald.db"), storage.Options{
		SecretKey: bytes.Repeat([]byte{7}, 32), Logger: zerolog.Nop(), Now: clk.Now})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	secret, _, err := db.CreateToken(context.Background(), "test", herald.RoleAdmin)
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	e := &env{t: t, db: db, token: secret, logs: &bytes.Buffer{}}
	cfg := api.Config{Logger: zerolog.New(e.logs), ValidateChannel: validateChannel, BuildPlan: contentplans.Build,
		SniffPlan: contentplans.Sniff, Now: clk.Now, AuthFailureBurst: 1000}
	for _, f := range tweak {
		f(&cfg)
	}
	e.srv = httptest.NewServer(api.New(db, cfg).Handler())
	t.Cleanup(e.srv.Close)
	return e
}
