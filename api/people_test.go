package api_test

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/api"
)

func TestCreateUserAndSignIn(t *testing.T) {
	e := newEnv(t)
	// Without a password one is generated and answered once.
	var u struct {
		ID       int64  `json:"id"`
		Email    string `json:"email"`
		Name     string `json:"name"`
		Admin    bool   `json:"admin"`
		Password string `json:"password"`
	}
	must(t, e.do("POST", "/api/v1/users", map[string]any{"email": "ana@example.com", "name": "Ana"}), 201).decode(t, &u)
	if u.ID == 0 || u.Email != "ana@example.com" || u.Name != "Ana" || u.Admin || len(u.Password) < 20 {
		t.Fatalf("user %+v", u)
	}
	sess := e.signIn("ANA@example.com", u.Password)
	// A signed-in user who is a member of nothing sees no workspace.
	e.setup("acme")
	r := must(t, e.doAs("Bearer "+sess, "GET", "/api/v1/workspaces", nil), 200)
	if strings.TrimSpace(r.String()) != `{"items":[],"next_cursor":""}` {
		t.Fatalf("a stranger lists %s", r.body)
	}

	// One answer for a wrong password and an unknown email.
	for _, body := range []map[string]string{{"email": "ana@example.com", "password": "wrong password"}, {"email": "nobody@example.com", "password": u.Password}} {
		r := mustT(t, e.doAs("", "POST", "/api/v1/sessions", body), 401, "unauthorized")
		if errorMessage(t, r) != "wrong email or password" {
			t.Errorf("%v: %s", body, r.body)
		}
	}
	mustT(t, e.doAs("", "POST", "/api/v1/sessions", map[string]string{"email": "ana@example.com"}), 400, "invalid")
	// Each failed sign-in is in the audit log, with the address, never the password.
	r = must(t, e.do("GET", "/api/v1/audit?action=login.failed", nil), 200)
	if strings.Count(r.String(), `"action":"login.failed"`) != 2 || !strings.Contains(r.String(), `"target":"user nobody@example.com"`) ||
		!strings.Contains(r.String(), `"address":"127.0.0.1"`) || strings.Contains(r.String(), "wrong password") {
		t.Errorf("audit log: %s", r.body)
	}

	mustT(t, e.do("POST", "/api/v1/users", map[string]any{"email": "Ana@Example.com", "name": "Again"}), 409, "conflict")
	r = mustT(t, e.do("POST", "/api/v1/users", map[string]any{"email": "bo@example.com", "name": "Bo", "password": "short"}), 422, "validation")
	if !strings.Contains(r.String(), "8 to 256 bytes") {
		t.Errorf("password bounds not said: %s", r.body)
	}
	// Only the instance admin creates users.
	mustT(t, e.doAs("Bearer "+sess, "POST", "/api/v1/users", map[string]any{"email": "x@example.com", "name": "X"}), 403, "forbidden")
}

// Wrong passwords are throttled per email and per address: past the burst
// a sign-in is 429 with Retry-After, even with the right password, until
// the wait is over.
func TestSignInThrottled(t *testing.T) {
	clk := &clock{t: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	e := newEnvAt(t, clk, func(c *api.Config) { c.LoginFailureBurst, c.LoginFailureEvery = 3, time.Minute })
	pw := e.createUser("ana@example.com", "Ana", "right password", false)
	wrong := map[string]string{"email": "ana@example.com", "password": "wrong password"}
	for i := 0; i < 3; i++ {
		mustT(t, e.doAs("", "POST", "/api/v1/sessions", wrong), 401, "unauthorized")
	}
	r := mustT(t, e.doAs("", "POST", "/api/v1/sessions", map[string]string{"email": "ana@example.com", "password": pw}), 429, "rate_limited")
	if r.header.Get("Retry-After") != "60" {
		t.Errorf("Retry-After %q", r.header.Get("Retry-After"))
	}
	// Failed sign-ins are logged, never with the password.
	if strings.Contains(e.logs.String(), "wrong password") || !strings.Contains(e.logs.String(), "failed sign-in") {
		t.Errorf("logs: %s", e.logs)
	}
	clk.Add(time.Minute)
	e.signIn("ana@example.com", pw)
}

// signInFrom signs in from the loopback address ip (all of 127.0.0.0/8
// reaches the test server) and returns the status.
func (e *env) signInFrom(ip, email, password string) int {
	e.t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	client := &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	res, err := client.Post(e.srv.URL+"/api/v1/sessions", "application/json", bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// The email and the address are throttled each on its own: a guesser
// moving between addresses still meets the email's limit, and one
// address guessing many emails meets its own.
func TestSignInThrottledPerEmailAndPerAddress(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.LoginFailureBurst, c.LoginFailureEvery = 3, time.Hour })
	e.createUser("ana@example.com", "Ana", "ana password", false)
	e.createUser("bo@example.com", "Bo", "bo password", false)
	for i, ip := range []string{"127.0.0.2", "127.0.0.3", "127.0.0.4"} {
		if got := e.signInFrom(ip, "ana@example.com", "wrong password"); got != 401 {
			t.Fatalf("wrong password #%d: %d", i, got)
		}
	}
	if got := e.signInFrom("127.0.0.5", "ana@example.com", "ana password"); got != 429 {
		t.Fatalf("ana from a fresh address after 3 wrong passwords: %d, want 429", got)
	}
	for _, email := range []string{"x1@example.com", "x2@example.com", "x3@example.com"} {
		if got := e.signInFrom("127.0.0.6", email, "wrong password"); got != 401 {
			t.Fatalf("%s: %d", email, got)
		}
	}
	if got := e.signInFrom("127.0.0.6", "bo@example.com", "bo password"); got != 429 {
		t.Fatalf("bo from an address that guessed 3 times: %d, want 429", got)
	}
	if got := e.signInFrom("127.0.0.7", "bo@example.com", "bo password"); got != 201 {
		t.Fatalf("bo from another address: %d, want 201", got)
	}
}

func TestSignOutAndSessionExpiry(t *testing.T) {
	clk := &clock{t: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	e := newEnvAt(t, clk, func(c *api.Config) { c.SessionTTL = time.Hour })
	pw := e.createUser("ana@example.com", "Ana", "right password", false)
	var out struct {
		Token     string    `json:"token"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	must(t, e.doAs("", "POST", "/api/v1/sessions", map[string]string{"email": "ana@example.com", "password": pw}), 201).decode(t, &out)
	if !out.ExpiresAt.Equal(clk.Now().Add(time.Hour)) {
		t.Fatalf("expires_at %v", out.ExpiresAt)
	}
	other := e.signIn("ana@example.com", pw)

	must(t, e.doAs("Bearer "+out.Token, "DELETE", "/api/v1/sessions/current", nil), 204)
	mustT(t, e.doAs("Bearer "+out.Token, "GET", "/api/v1/workspaces", nil), 401, "unauthorized")
	// The other session goes on, until its hour is up.
	must(t, e.doAs("Bearer "+other, "GET", "/api/v1/workspaces", nil), 200)
	clk.Add(time.Hour)
	r := mustT(t, e.doAs("Bearer "+other, "GET", "/api/v1/workspaces", nil), 401, "unauthorized")
	if !strings.Contains(errorMessage(t, r), "expired") {
		t.Errorf("expired session: %s", r.body)
	}
	// An API token is no session to end.
	mustT(t, e.do("DELETE", "/api/v1/sessions/current", nil), 400, "invalid")
}

func TestChangeOwnPassword(t *testing.T) {
	e := newEnv(t)
	pw := e.createUser("ana@example.com", "Ana", "old password", false)
	sess, other := e.signIn("ana@example.com", pw), e.signIn("ana@example.com", pw)
	change := func(auth, current, next string) resp {
		return e.doAs("Bearer "+auth, "POST", "/api/v1/users/me/password", map[string]string{"current": current, "new": next})
	}
	mustT(t, change(sess, "not it", "new password"), 403, "forbidden")
	mustT(t, change(sess, pw, "short"), 422, "validation")
	must(t, change(sess, pw, "new password"), 204)
	mustT(t, e.doAs("", "POST", "/api/v1/sessions", map[string]string{"email": "ana@example.com", "password": pw}), 401, "unauthorized")
	e.signIn("ana@example.com", "new password")
	must(t, e.doAs("Bearer "+sess, "GET", "/api/v1/tokens", nil), 200)
	mustT(t, e.doAs("Bearer "+other, "GET", "/api/v1/tokens", nil), 401, "unauthorized")
	// The bootstrap admin token has no password.
	mustT(t, change(e.token, "x", "new password"), 400, "invalid")
}
