// Package mastodonfake is a local Mastodon instance for tests and
// benchmarks: an httptest server answering POST /api/v1/statuses (with
// Idempotency-Key replay: the same key answers the original status and
// posts nothing), POST /api/v2/media (202, then 206 while processing, then
// 200 on GET /api/v1/media/:id), GET /api/v1/statuses/:id,
// GET /api/v1/accounts/verify_credentials, GET /api/v1/accounts/:id/statuses
// and GET /api/v2/instance, as the real API documents: {"error": …} bodies,
// 401 on a wrong bearer token, 422 validation failures, X-RateLimit-*
// headers on every answer and 429 past the limit. It records every status
// and upload, and can be scripted to fail (429 with a reset time, 5xx,
// 422, hang, drop) and to answer after a fixed latency.
package mastodonfake

import (
	"bytes"
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
	DefaultToken     = "test-access-token"
	DefaultAccount   = "herald"
	DefaultRateLimit = 300 // requests per RateWindow, as mastodon.social
	RateWindow       = 5 * time.Minute
	IdempotencyTTL   = time.Hour
	MaxCharacters    = 500
	MaxMedia         = 4
	URLLength        = 23 // characters a URL counts for
)

// Options configure a fake. Zero values take the defaults above.
type Options struct {
	Token     string        // the bearer token accepted
	Account   string        // the username in status URLs
	Latency   time.Duration // added to every answer (the status is posted first)
	RateLimit int           // requests per RateWindow before 429
	// ProcessingPolls is how many GET /api/v1/media/:id answer 206 before
	// 200 after an upload answered 202 (default 1). SyncMedia makes uploads
	// answer 200 at once instead.
	ProcessingPolls int
	SyncMedia       bool
	Now             func() time.Time // clock for records, rate windows and key expiry; herald.Now when nil
}

// Status is one status the fake posted.
type Status struct {
	ID             string
	URL            string
	Text           string // the status parameter as sent
	Visibility     string
	Language       string
	MediaIDs       []string
	IdempotencyKey string
	Received       time.Time
}

// Media is one uploaded file.
type Media struct {
	ID          string
	FileName    string
	ContentType string
	Size        int
	Description string
	Received    time.Time
}

// Call is one authorized request (within the rate limit) as it arrived, whatever was answered.
type Call struct {
	Method         string
	Path           string
	IdempotencyKey string
	Received       time.Time
	Fault          string // the scripted fault that answered it, or ""
}

// base is embedded in Server through an alias so the field stays unexported.
type base = fakeserver.Base[Fault, Call]

// Server is a running fake. Its methods are safe for concurrent use.
// Through fakeserver.Base it also has Close, SetLatency, Script (each call
// consumes the first queued fault whose Path matches it), Pending, Release,
// Held, Calls and WaitCalls (authorized requests within the rate limit).
type Server struct {
	base

	// URL is the instance URL, to put in a channel's config.instance_url.
	URL   string
	Token string

	opts     Options
	statuses fakeserver.Log[Status]
	media    fakeserver.Log[Media]

	mu          sync.Mutex
	nextID      int64
	byID        map[string]Status
	byKey       map[string]keyed
	uploads     map[string]*upload
	windowStart time.Time
	used        int
}

type keyed struct {
	id string
	at time.Time
}

type upload struct {
	Media
	pending  int // 206 answers left
	attached bool
}

// New starts a fake. Close it when done.
func New(opts Options) *Server {
	fakeserver.Default(&opts.Token, DefaultToken)
	fakeserver.Default(&opts.Account, DefaultAccount)
	if opts.RateLimit <= 0 {
		opts.RateLimit = DefaultRateLimit
	}
	if opts.ProcessingPolls <= 0 {
		opts.ProcessingPolls = 1
	}
	if opts.Now == nil {
		opts.Now = herald.Now
	}
	s := &Server{Token: opts.Token, opts: opts, nextID: 110000000000000000,
		byID: map[string]Status{}, byKey: map[string]keyed{}, uploads: map[string]*upload{}}
	s.URL = fakeserver.Start(&s.base, opts.Latency, http.HandlerFunc(s.handle))
	return s
}

// Statuses returns every status posted so far, in order (replays excluded).
func (s *Server) Statuses() []Status { return s.statuses.All() }

// WaitStatuses waits until at least n statuses were posted and returns them
// all; after timeout it returns those posted and an error.
func (s *Server) WaitStatuses(n int, timeout time.Duration) ([]Status, error) {
	return s.statuses.Wait(n, timeout)
}

// Media returns every upload so far, in order.
func (s *Server) Media() []Media { return s.media.All() }

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	now := s.opts.Now()
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	r.Body = io.NopCloser(bytes.NewReader(body))
	if !s.countRate(w.Header(), now) {
		writeError(w, http.StatusTooManyRequests, "Too many requests")
		return
	}
	if r.URL.Path != "/api/v2/instance" && r.Header.Get("Authorization") != "Bearer "+s.Token {
		writeError(w, http.StatusUnauthorized, "The access token is invalid")
		return
	}
	call := Call{Method: r.Method, Path: r.URL.Path, IdempotencyKey: r.Header.Get("Idempotency-Key"), Received: now}
	fault, faulted := fakeserver.TakeFault(&s.base, func(f Fault) bool { return f.matches(r.URL.Path) })
	var fail func(*httptest.ResponseRecorder)
	if faulted {
		call.Fault = fault.String()
		fail = func(rec *httptest.ResponseRecorder) {
			if fault.ResetIn > 0 {
				w.Header().Set("X-RateLimit-Remaining", "0")
				w.Header().Set("X-RateLimit-Reset", isoTime(now.Add(fault.ResetIn)))
			}
			if fault.Body != "" {
				rec.Header().Set("Content-Type", "text/html")
				rec.WriteHeader(fault.Status)
				rec.WriteString(fault.Body)
			} else {
				writeError(rec, fault.Status, fault.Error)
			}
		}
	}
	fakeserver.Record(&s.base, call)
	fakeserver.Serve(&s.base, w, fault.conn(), func(rec *httptest.ResponseRecorder) { s.route(rec, r, now) }, fail, nil)
}

// countRate counts a request in the current window, sets the X-RateLimit-*
// headers and reports whether the request is within the limit.
func (s *Server) countRate(h http.Header, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.windowStart.IsZero() || !now.Before(s.windowStart.Add(RateWindow)) {
		s.windowStart, s.used = now, 0
	}
	ok := s.used < s.opts.RateLimit
	if ok {
		s.used++
	}
	h.Set("X-RateLimit-Limit", strconv.Itoa(s.opts.RateLimit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(s.opts.RateLimit-s.used))
	h.Set("X-RateLimit-Reset", isoTime(s.windowStart.Add(RateWindow)))
	return ok
}

func (s *Server) route(w http.ResponseWriter, r *http.Request, now time.Time) {
	path := r.URL.Path
	mediaID, isMedia := strings.CutPrefix(path, "/api/v1/media/")
	statusID, isStatus := strings.CutPrefix(path, "/api/v1/statuses/")
	switch {
	case r.Method == http.MethodPost && path == "/api/v1/statuses":
		s.postStatus(w, r, now)
	case r.Method == http.MethodPost && path == "/api/v2/media":
		s.upload(w, r, now)
	case r.Method == http.MethodGet && isMedia:
		s.getMedia(w, mediaID)
	case r.Method == http.MethodGet && isStatus:
		s.getStatus(w, statusID)
	case r.Method == http.MethodGet && path == "/api/v1/accounts/verify_credentials":
		writeJSON(w, http.StatusOK, s.credentialAccount())
	case r.Method == http.MethodGet && isAccountStatuses(path):
		s.accountStatuses(w, r)
	case r.Method == http.MethodGet && path == "/api/v2/instance":
		writeJSON(w, http.StatusOK, map[string]any{"domain": r.Host, "configuration": map[string]any{
			"statuses":          map[string]any{"max_characters": MaxCharacters, "max_media_attachments": MaxMedia, "characters_reserved_per_url": URLLength},
			"media_attachments": map[string]any{"supported_mime_types": []string{"image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4"}},
		}})
	default:
		writeError(w, http.StatusNotFound, "Record not found")
	}
}

// isoTime formats t as Mastodon does in X-RateLimit-Reset.
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	fakeserver.WriteJSON(w, status, "application/json; charset=utf-8", v)
}
