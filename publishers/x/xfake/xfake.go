// Package xfake is a local X (Twitter) API v2 for tests: an httptest server
// answering POST /2/tweets (201 {"data":{"id","text"}}, 403 on duplicate
// content), POST /2/media/upload (multipart media, media_category),
// GET /2/users/me and the OAuth 2 token endpoint POST /2/oauth2/token, as
// the real API documents: bearer OAuth 2 user tokens that expire (the clock
// is injectable) and answer 401 then, single-use refresh tokens rotated on
// every refresh (a reused one answers 400 invalid_grant), problem JSON
// bodies, x-rate-limit-limit/remaining/reset (epoch seconds) on answers to
// POST /2/tweets and 429 past the limit (or, scripted, past the account's
// 24-hour cap with x-user-limit-24hour-*). It records every tweet, upload
// and refresh, and can be scripted to fail (429 with a reset time, 5xx,
// 401, 403, hang, drop) and to answer after a fixed latency.
package xfake

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/heraldhq/herald"

	"github.com/heraldhq/herald/publishers/internal/fakeserver"
)

// Defaults of Options.
const (
	DefaultUsername     = "herald"
	DefaultUserID       = "1720000000000000001"
	DefaultClientID     = "test-client-id"
	DefaultClientSecret = "test-client-secret"
	DefaultAccessToken  = "test-access-token"
	DefaultRefreshToken = "test-refresh-token"
	DefaultTokenTTL     = 2 * time.Hour // expires_in 7200, as X answers
	DefaultRateLimit    = 100           // POST /2/tweets per RateWindow
	RateWindow          = 15 * time.Minute
	DuplicateWindow     = 24 * time.Hour // identical text within it is refused
	MaxMedia            = 4
	MaxImageBytes       = 5 << 20
)

// Options configure a fake. Zero values take the defaults above.
type Options struct {
	Username, UserID       string
	ClientID, ClientSecret string
	AccessToken            string // the first valid access token; it expires TokenTTL after New
	RefreshToken           string // the first valid refresh token
	TokenTTL               time.Duration
	RateLimit              int              // POST /2/tweets per RateWindow before 429
	Latency                time.Duration    // added to every answer (the tweet is posted first)
	Now                    func() time.Time // clock for token expiry, records and rate windows; herald.Now when nil
	PublicClient           bool             // the app is a public client: client_id in the form, no Basic auth
	DisableDuplicateCheck  bool             // post identical texts (the conformance suite repeats texts)
}

// Tweet is one tweet the fake posted.
type Tweet struct {
	ID       string
	URL      string // https://x.com/<username>/status/<id>
	Text     string
	MediaIDs []string
	Token    string // the access token it was posted with
	Received time.Time
}

// Media is one uploaded file.
type Media struct {
	ID          string
	Category    string // media_category
	ContentType string
	Size        int
	Received    time.Time
}

// Refresh is one answered refresh_token grant.
type Refresh struct {
	Old, New    string // refresh tokens: the one used, the one issued
	AccessToken string // the access token issued
	Received    time.Time
}

// Call is one request as it arrived, whatever was answered.
type Call struct {
	Method   string
	Path     string
	Received time.Time
	Fault    string // the scripted fault that answered it, or ""
}

type base = fakeserver.Base[Fault, Call]

// Server is a running fake. Its methods are safe for concurrent use.
// Through fakeserver.Base it also has Close, SetLatency, Script (each call
// consumes the first queued fault whose Path matches it), Pending, Release,
// Held, Calls and WaitCalls (every request).
type Server struct {
	base

	// URL is the API base URL, to put in a channel's config.base_url.
	URL string

	opts      Options
	tweets    fakeserver.Log[Tweet]
	media     fakeserver.Log[Media]
	refreshes fakeserver.Log[Refresh]

	mu          sync.Mutex
	now         func() time.Time
	nextID      int64
	access      map[string]time.Time // valid access tokens → expiry
	refresh     map[string]bool      // refresh tokens: true while unused
	uploads     map[string]bool
	windowStart time.Time
	used        int
	blocked     map[string]time.Time // path → end of a scripted 429 block
	early       int
	issued      int
}

// New starts a fake. Close it when done.
func New(opts Options) *Server {
	fakeserver.Default(&opts.Username, DefaultUsername)
	fakeserver.Default(&opts.UserID, DefaultUserID)
	fakeserver.Default(&opts.ClientID, DefaultClientID)
	fakeserver.Default(&opts.ClientSecret, DefaultClientSecret)
	fakeserver.Default(&opts.AccessToken, DefaultAccessToken)
	fakeserver.Default(&opts.RefreshToken, DefaultRefreshToken)
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = DefaultTokenTTL
	}
	if opts.RateLimit <= 0 {
		opts.RateLimit = DefaultRateLimit
	}
	if opts.Now == nil {
		opts.Now = herald.Now
	}
	s := &Server{opts: opts, now: opts.Now, nextID: 1860000000000000000,
		access:  map[string]time.Time{opts.AccessToken: opts.Now().Add(opts.TokenTTL)},
		refresh: map[string]bool{opts.RefreshToken: true},
		uploads: map[string]bool{}, blocked: map[string]time.Time{}}
	s.URL = fakeserver.Start(&s.base, opts.Latency, http.HandlerFunc(s.handle))
	return s
}

// Username is the account's handle, to put in a channel's config.username.
func (s *Server) Username() string { return s.opts.Username }

// Credentials returns the channel credentials the fake accepts at first.
func (s *Server) Credentials() map[string]string {
	return map[string]string{"access_token": s.opts.AccessToken, "refresh_token": s.opts.RefreshToken,
		"client_id": s.opts.ClientID, "client_secret": s.opts.ClientSecret}
}

// Tweets returns every tweet posted so far, in order.
func (s *Server) Tweets() []Tweet { return s.tweets.All() }

// Media returns every upload so far, in order.
func (s *Server) Media() []Media { return s.media.All() }

// Refreshes returns every successful refresh so far, in order.
func (s *Server) Refreshes() []Refresh { return s.refreshes.All() }

// Early reports how many calls arrived while a scripted 429 block was still
// in force: calls that did not wait for x-rate-limit-reset.
func (s *Server) Early() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.early
}

// Revoke invalidates every access and refresh token, as when the user
// revokes the app: calls answer 401 and refreshes 400 invalid_grant.
func (s *Server) Revoke() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.access)
	clear(s.refresh)
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	now := s.now()
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	r.Body = io.NopCloser(bytes.NewReader(body))
	call := Call{Method: r.Method, Path: r.URL.Path, Received: now}
	fault, faulted := fakeserver.TakeFault(&s.base, func(f Fault) bool { return f.matches(r.URL.Path) })
	var fail func(*httptest.ResponseRecorder)
	if faulted {
		call.Fault = fault.String()
		fail = func(rec *httptest.ResponseRecorder) { s.fail(rec, r.URL.Path, fault, now) }
	}
	fakeserver.Record(&s.base, call)
	fakeserver.Serve(&s.base, w, fault.conn(), func(rec *httptest.ResponseRecorder) { s.route(rec, r, now) }, fail, nil)
}

// fail answers a scripted fault that is not about the connection.
func (s *Server) fail(rec *httptest.ResponseRecorder, path string, fault Fault, now time.Time) {
	if fault.ResetIn > 0 {
		reset := now.Add(fault.ResetIn)
		s.mu.Lock()
		s.blocked[path] = reset
		s.mu.Unlock()
		setRate(rec.Header(), s.opts.RateLimit, 0, reset)
	}
	for _, daily := range []struct {
		prefix, limit string
		resetIn       time.Duration
	}{{"x-user-limit-24hour-", "100", fault.DailyResetIn}, {"x-app-limit-24hour-", "10000", fault.AppResetIn}} {
		if daily.resetIn <= 0 {
			continue
		}
		// A used-up 24-hour cap, while the window still has room.
		h := rec.Header()
		setRate(h, s.opts.RateLimit, s.opts.RateLimit-1, now.Add(RateWindow))
		h.Set(daily.prefix+"limit", daily.limit)
		h.Set(daily.prefix+"remaining", "0")
		h.Set(daily.prefix+"reset", strconv.FormatInt(now.Add(daily.resetIn).Unix(), 10))
	}
	if fault.Body != "" {
		ctype := "text/html"
		if strings.HasPrefix(fault.Body, "{") {
			ctype = "application/json; charset=utf-8"
		}
		rec.Header().Set("Content-Type", ctype)
		rec.WriteHeader(fault.Status)
		rec.WriteString(fault.Body)
	} else {
		writeProblem(rec, fault.Status, fault.Title, fault.Detail)
	}
}

func (s *Server) route(w http.ResponseWriter, r *http.Request, now time.Time) {
	if r.Method == http.MethodPost && r.URL.Path == "/2/oauth2/token" {
		s.token(w, r, now)
		return
	}
	if !s.authorized(r, now) {
		writeProblem(w, http.StatusUnauthorized, "Unauthorized", "Unauthorized")
		return
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/2/tweets":
		if !s.countRate(w, r.URL.Path, now) {
			return
		}
		s.postTweet(w, r, now)
	case r.Method == http.MethodPost && r.URL.Path == "/2/media/upload":
		s.upload(w, r, now)
	case r.Method == http.MethodGet && r.URL.Path == "/2/users/me":
		writeJSON(w, http.StatusOK, map[string]any{"data": map[string]string{
			"id": s.opts.UserID, "name": "Herald", "username": s.opts.Username}})
	default:
		writeProblem(w, http.StatusNotFound, "Not Found Error", "Sorry, that page does not exist.")
	}
}

// authorized checks the bearer token against the unexpired access tokens.
func (s *Server) authorized(r *http.Request, now time.Time) bool {
	tok, ok := bearer(r)
	if !ok {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.access[tok]
	return ok && now.Before(exp)
}

func bearer(r *http.Request) (string, bool) {
	const prefix = "Bearer "
	h := r.Header.Get("Authorization")
	if len(h) <= len(prefix) || h[:len(prefix)] != prefix {
		return "", false
	}
	return h[len(prefix):], true
}

// countRate counts a POST /2/tweets in the current window and sets the
// x-rate-limit-* headers; past the limit, or during a scripted block, it
// answers 429 and reports false.
func (s *Server) countRate(w http.ResponseWriter, path string, now time.Time) bool {
	s.mu.Lock()
	if until, ok := s.blocked[path]; ok && now.Before(until) {
		s.early++
		s.mu.Unlock()
		setRate(w.Header(), s.opts.RateLimit, 0, until)
		writeProblem(w, http.StatusTooManyRequests, "Too Many Requests", "Too Many Requests")
		return false
	}
	if s.windowStart.IsZero() || !now.Before(s.windowStart.Add(RateWindow)) {
		s.windowStart, s.used = now, 0
	}
	ok := s.used < s.opts.RateLimit
	if ok {
		s.used++
	}
	limit, used, reset := s.opts.RateLimit, s.used, s.windowStart.Add(RateWindow)
	s.mu.Unlock()
	setRate(w.Header(), limit, limit-used, reset)
	if !ok {
		writeProblem(w, http.StatusTooManyRequests, "Too Many Requests", "Too Many Requests")
	}
	return ok
}

func setRate(h http.Header, limit, remaining int, reset time.Time) {
	h.Set("x-rate-limit-limit", strconv.Itoa(limit))
	h.Set("x-rate-limit-remaining", strconv.Itoa(remaining))
	h.Set("x-rate-limit-reset", strconv.FormatInt(reset.Unix(), 10))
}

// writeProblem answers an RFC 7807 problem as X API v2 does.
func writeProblem(w http.ResponseWriter, status int, title, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"title": title, "detail": detail, "type": "about:blank", "status": status})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	fakeserver.WriteJSON(w, status, "application/json; charset=utf-8", v)
}
