// Package blueskyfake is a local Bluesky PDS for tests and benchmarks: an
// httptest server answering the XRPC methods Herald uses as the AT Protocol
// documents them — com.atproto.server.createSession, refreshSession and
// getSession (access tokens expire after AccessTTL on an injectable clock and
// then answer 400 ExpiredToken; refresh tokens rotate on use),
// com.atproto.repo.uploadBlob, putRecord (upsert: the same rkey rewrites the
// same record, it never posts twice), getRecord and listRecords, with
// {"error","message"} bodies and 429 RateLimitExceeded with ratelimit-*
// headers (createSession is limited to SessionLimit per SessionWindow). It
// validates posts as the lexicon does (TID rkey, ≤300 graphemes and ≤3000
// bytes, facet byte ranges, embed union, ≤4 images of ≤1,000,000 bytes), and
// can be scripted to fail and to answer after a fixed latency.
package blueskyfake

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

// Defaults of Options, and the PDS's limits.
const (
	DefaultHandle      = "herald.bsky.social"
	DefaultDID         = "did:plc:heraldfake2xq7ocdm4lmnwv"
	DefaultAppPassword = "abcd-efgh-ijkl-mnop"
	DefaultAccessTTL   = 2 * time.Hour
	DefaultRefreshTTL  = 90 * 24 * time.Hour
	SessionLimit       = 30 // createSession calls per SessionWindow
	SessionWindow      = 5 * time.Minute
	MaxGraphemes       = 300
	MaxTextBytes       = 3000
	MaxImages          = 4
	MaxImageBytes      = 1000000
	PostCollection     = "app.bsky.feed.post"
)

// Options configure a fake. Zero values take the defaults above.
type Options struct {
	Handle      string
	DID         string
	AppPassword string // the only password createSession accepts
	AccessTTL   time.Duration
	RefreshTTL  time.Duration
	Latency     time.Duration    // added to every answer (the record is written first)
	Now         func() time.Time // clock for tokens, rate windows and records; herald.Now when nil
}

// Call is one request as it arrived, whatever was answered.
type Call struct {
	Method   string
	NSID     string // the XRPC method, e.g. "com.atproto.repo.putRecord"
	Status   int    // the status answered (0 when the connection was dropped)
	Error    string // the XRPC error name answered, or ""
	Received time.Time
	Fault    string // the scripted fault that answered it, or ""
	// Early marks a call that came while a 429's ratelimit-reset had not
	// passed: the client did not wait.
	Early bool
}

// base is embedded in Server through an alias so the field stays unexported.
type base = fakeserver.Base[Fault, Call]

// Server is a running fake. Its methods are safe for concurrent use.
// Through fakeserver.Base it also has Close, SetLatency, Script (each call
// consumes the first queued fault whose NSID matches it), Pending, Release,
// Held, Calls and WaitCalls.
type Server struct {
	base

	// URL is the PDS URL, to put in a channel's config.pds_url.
	URL         string
	Handle      string
	DID         string
	AppPassword string

	opts Options

	mu           sync.Mutex
	next         int
	access       map[string]time.Time // token → expiry
	refresh      map[string]time.Time
	sessions     int // createSession successes
	refreshes    int
	windowStart  time.Time
	windowUsed   int
	blockedUntil time.Time
	blobs        map[string]Blob
	records      []*Post // in creation order
	byRkey       map[string]*Post
}

// New starts a fake. Close it when done.
func New(opts Options) *Server {
	fakeserver.Default(&opts.Handle, DefaultHandle)
	fakeserver.Default(&opts.DID, DefaultDID)
	fakeserver.Default(&opts.AppPassword, DefaultAppPassword)
	if opts.AccessTTL <= 0 {
		opts.AccessTTL = DefaultAccessTTL
	}
	if opts.RefreshTTL <= 0 {
		opts.RefreshTTL = DefaultRefreshTTL
	}
	if opts.Now == nil {
		opts.Now = herald.Now
	}
	s := &Server{Handle: opts.Handle, DID: opts.DID, AppPassword: opts.AppPassword, opts: opts,
		access: map[string]time.Time{}, refresh: map[string]time.Time{},
		blobs: map[string]Blob{}, byRkey: map[string]*Post{}}
	s.URL = fakeserver.Start(&s.base, opts.Latency, http.HandlerFunc(s.handle))
	return s
}

// Sessions reports how many sessions createSession has opened.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions
}

// Refreshes reports how many times refreshSession has rotated a session.
func (s *Server) Refreshes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshes
}

// CallsTo returns the recorded calls of one XRPC method, in order.
func (s *Server) CallsTo(nsid string) []Call {
	var out []Call
	for _, c := range s.Calls() {
		if c.NSID == nsid {
			out = append(out, c)
		}
	}
	return out
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	now := s.opts.Now()
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	r.Body = io.NopCloser(bytes.NewReader(body))
	nsid := strings.TrimPrefix(r.URL.Path, "/xrpc/")
	call := Call{Method: r.Method, NSID: nsid, Received: now}
	rec := httptest.NewRecorder()
	defer func() { fakeserver.Record(&s.base, call) }()

	s.mu.Lock()
	early := now.Before(s.blockedUntil)
	reset := s.blockedUntil
	s.mu.Unlock()
	if early {
		call.Early = true
		s.rateLimited(rec, reset)
		s.answer(w, rec, &call)
		return
	}
	fault, faulted := fakeserver.TakeFault(&s.base, func(f Fault) bool { return f.matches(nsid) })
	if faulted {
		call.Fault = fault.String()
	}
	switch {
	case faulted && fault.Hang:
		fakeserver.Hold(&s.base)
		s.route(rec, r, nsid, body, now)
	case faulted && fault.Drop:
		if fault.Post {
			s.route(rec, r, nsid, body, now)
		}
		fakeserver.Drop(w)
		return
	case faulted && fault.Status == http.StatusTooManyRequests:
		s.mu.Lock()
		s.blockedUntil = now.Add(fault.ResetIn)
		s.mu.Unlock()
		s.rateLimited(rec, now.Add(fault.ResetIn))
	case faulted && fault.Body != "":
		rec.Header().Set("Content-Type", "text/html")
		rec.WriteHeader(fault.Status)
		rec.WriteString(fault.Body)
	case faulted:
		writeError(rec, fault.Status, fault.Error, fault.Message)
	default:
		s.route(rec, r, nsid, body, now)
	}
	fakeserver.Delay(&s.base)
	s.answer(w, rec, &call)
}

// answer copies the recorded answer to w and notes it in call.
func (s *Server) answer(w http.ResponseWriter, rec *httptest.ResponseRecorder, call *Call) {
	call.Status = rec.Code
	if rec.Code >= 400 {
		var e struct {
			Error string `json:"error"`
		}
		json.Unmarshal(rec.Body.Bytes(), &e)
		call.Error = e.Error
	}
	fakeserver.Replay(w, rec)
}

// rateLimited answers 429 with the ratelimit-* headers the PDS sends.
func (s *Server) rateLimited(w http.ResponseWriter, reset time.Time) {
	w.Header().Set("ratelimit-limit", strconv.Itoa(SessionLimit))
	w.Header().Set("ratelimit-remaining", "0")
	w.Header().Set("ratelimit-reset", strconv.FormatInt(reset.Unix(), 10))
	w.Header().Set("ratelimit-policy", strconv.Itoa(SessionLimit)+";w="+strconv.Itoa(int(SessionWindow/time.Second)))
	writeError(w, http.StatusTooManyRequests, "RateLimitExceeded", "Rate Limit Exceeded")
}

func (s *Server) route(w http.ResponseWriter, r *http.Request, nsid string, body []byte, now time.Time) {
	post := r.Method == http.MethodPost
	switch {
	case post && nsid == "com.atproto.server.createSession":
		s.createSession(w, body, now)
	case post && nsid == "com.atproto.server.refreshSession":
		s.refreshSession(w, r, now)
	case !post && nsid == "com.atproto.server.getSession":
		if s.authorize(w, r, now) {
			writeJSON(w, http.StatusOK, map[string]any{"handle": s.Handle, "did": s.DID, "active": true})
		}
	case post && nsid == "com.atproto.repo.uploadBlob":
		if s.authorize(w, r, now) {
			s.uploadBlob(w, r, body)
		}
	case post && nsid == "com.atproto.repo.putRecord":
		if s.authorize(w, r, now) {
			s.putRecord(w, body, now)
		}
	case !post && nsid == "com.atproto.repo.getRecord":
		s.getRecord(w, r)
	case !post && nsid == "com.atproto.repo.listRecords":
		s.listRecords(w, r)
	default:
		writeError(w, http.StatusNotImplemented, "MethodNotImplemented", "Method Not Implemented")
	}
}

func writeError(w http.ResponseWriter, status int, name, msg string) {
	writeJSON(w, status, map[string]string{"error": name, "message": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	fakeserver.WriteJSON(w, status, "application/json; charset=utf-8", v)
}
