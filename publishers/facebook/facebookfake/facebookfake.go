// Package facebookfake is a local Facebook Graph API for tests: an httptest
// server answering, under /v<N>.<M>/, GET /{page-id}?fields=name,
// POST /{page-id}/feed (message, link, attached_media[n]), POST
// /{page-id}/photos (url, caption or message, published), GET
// /{post-id}?fields=permalink_url and GET /{page-id}/feed (since, limit),
// as the Graph API documents them: errors as {"error":{"message","type",
// "code","error_subcode","is_transient","fbtrace_id"}} with an HTTP 4xx or
// 5xx status, 190 for a wrong access token, 506 for the same message posted
// twice within DuplicateWindow, 100 for bad parameters, usage headers
// (X-App-Usage, X-Page-Usage) on every answer, unpublished photos attached
// to a /feed post once each. It records every post and call, and can be
// scripted to fail (any error, usage headers, a throttling block measured
// on an injectable clock, a non-JSON answer, hang, drop).
package facebookfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/heraldhq/herald"

	"github.com/heraldhq/herald/publishers/internal/fakeserver"
)

// Defaults of Options.
const (
	DefaultToken    = "EAAGtestPageAccessToken0123456789"
	DefaultPageID   = "104857600012345"
	DefaultPageName = "Herald Test Page"
	// DefaultDuplicateWindow is how long the same message on /feed is
	// refused as a duplicate (error 506).
	DefaultDuplicateWindow = 10 * time.Minute
)

// Options configure a fake. Zero values take the defaults above.
type Options struct {
	Token           string
	PageID          string
	PageName        string
	DuplicateWindow time.Duration
	Latency         time.Duration // added to every answer (the post is made first)
	Now             func() time.Time
}

// Post is one Page post the fake published.
type Post struct {
	ID           string // "<page id>_<n>", as /feed's id and /photos' post_id
	PhotoID      string // a single photo post's photo id
	Message      string // message, or the photo's caption
	Link         string
	Photos       []string // the photo URLs it shows, in order
	PermalinkURL string   // https://www.facebook.com/<page id>/posts/<n>
	Created      time.Time
}

// Photo is one photo uploaded through /photos.
type Photo struct {
	ID        string
	URL       string
	Published bool
	Attached  string // the post an unpublished photo was attached to
}

// Call is one request as it arrived, whatever was answered.
type Call struct {
	Op       string     // "feed", "photos", "page", "post", "list" or "unknown"
	Method   string     // GET or POST
	Version  string     // the path's Graph version ("v21.0")
	Path     string     // without the version
	Params   url.Values // without access_token
	Received time.Time
	Code     int    // the Graph error code answered; 0 for success
	Fault    string // the scripted fault that answered it, or ""
}

// GraphError is the Graph API's error object.
type GraphError struct {
	Message   string `json:"message"`
	Type      string `json:"type"`
	Code      int    `json:"code"`
	Subcode   int    `json:"error_subcode,omitempty"`
	Transient bool   `json:"is_transient"`
	FBTraceID string `json:"fbtrace_id"`
	status    int
}

// base is embedded in Server through an alias so the field stays unexported.
type base = fakeserver.Base[Fault, Call]

// Server is a running fake. Its methods are safe for concurrent use.
// Through fakeserver.Base it also has Close, SetLatency, Script (each call
// consumes the first queued fault whose Op matches it), Pending, Release,
// Held, Calls and WaitCalls.
type Server struct {
	base

	// URL is the API base URL, to put in a channel's config.base_url.
	URL    string
	Token  string
	PageID string

	opts  Options
	posts fakeserver.Log[Post]

	mu      sync.Mutex
	next    int64
	feed    []Post // every post on the Page, oldest first (AddPost's too)
	photos  map[string]*Photo
	blocked time.Time   // a scripted throttle answered until then
	block   *Fault      // the fault answered while blocked
	usage   http.Header // headers added to every answer
	traces  int
}

// New starts a fake. Close it when done.
func New(opts Options) *Server {
	fakeserver.Default(&opts.Token, DefaultToken)
	fakeserver.Default(&opts.PageID, DefaultPageID)
	fakeserver.Default(&opts.PageName, DefaultPageName)
	if opts.DuplicateWindow <= 0 {
		opts.DuplicateWindow = DefaultDuplicateWindow
	}
	if opts.Now == nil {
		opts.Now = herald.Now
	}
	s := &Server{Token: opts.Token, PageID: opts.PageID, opts: opts, next: 1000, photos: map[string]*Photo{},
		usage: http.Header{"X-App-Usage": {`{"call_count":1,"total_cputime":1,"total_time":1}`},
			"X-Page-Usage": {`{"call_count":1,"total_cputime":1,"total_time":1}`}}}
	s.URL = fakeserver.Start(&s.base, opts.Latency, http.HandlerFunc(s.handle))
	return s
}

// Posts returns every post published through the API so far, in order.
func (s *Server) Posts() []Post { return s.posts.All() }

// Photos returns every uploaded photo, published or not.
func (s *Server) Photos() []Photo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Photo, 0, len(s.photos))
	for _, p := range s.photos {
		out = append(out, *p)
	}
	return out
}

// SetUsage sets a usage header (X-App-Usage, X-Page-Usage,
// X-Business-Use-Case-Usage) every following answer carries; "" removes it.
func (s *Server) SetUsage(header, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if value == "" {
		s.usage.Del(header)
		return
	}
	s.usage.Set(header, value)
}

// AddPost puts a post on the Page as if someone had published it by hand
// (for reconciliation tests) and returns it. It is not among Posts.
func (s *Server) AddPost(message string, created time.Time) Post {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newPost(Post{Message: message, Created: created})
}

// newPost gives p an id and permalink and puts it on the Page. s.mu is held.
func (s *Server) newPost(p Post) Post {
	s.next++
	p.ID = fmt.Sprintf("%s_%d", s.opts.PageID, s.next)
	p.PermalinkURL = fmt.Sprintf("https://www.facebook.com/%s/posts/%d", s.opts.PageID, s.next)
	s.feed = append(s.feed, p)
	return p
}

var pathRe = regexp.MustCompile(`^/(v[0-9]+\.[0-9]+)/(.+)$`)

// handle parses, authenticates and routes one request.
func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	now := s.opts.Now()
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ParseForm()
	params := url.Values{}
	for k, vs := range r.Form {
		if k != "access_token" {
			params[k] = vs
		}
	}
	token := r.Form.Get("access_token")
	if a := r.Header.Get("Authorization"); strings.HasPrefix(a, "Bearer ") || strings.HasPrefix(a, "OAuth ") {
		token = a[strings.IndexByte(a, ' ')+1:]
	}
	m := pathRe.FindStringSubmatch(r.URL.Path)
	version, path := "", ""
	if m != nil {
		version, path = m[1], m[2]
	}
	call := Call{Op: s.op(r.Method, path), Method: r.Method, Version: version, Path: path, Params: params, Received: now}
	fault, faulted := fakeserver.TakeFault(&s.base, func(f Fault) bool { return f.Op == "" || f.Op == call.Op })
	rec := httptest.NewRecorder()
	answer := func() int {
		var out any
		e, header := s.authenticate(m != nil, token, now)
		for k, v := range header {
			rec.Header().Set(k, v)
		}
		if e == nil {
			out, e = s.route(call, r.Form, now)
		}
		return s.write(rec, out, e)
	}
	switch {
	case faulted && fault.Hang:
		call.Fault = fault.String()
		fakeserver.Record(&s.base, call)
		fakeserver.Hold(&s.base)
		answer()
	case faulted && fault.Drop:
		call.Fault = fault.String()
		if fault.Post {
			call.Code = answer()
		}
		fakeserver.Record(&s.base, call)
		fakeserver.Drop(w)
		return
	case faulted:
		call.Fault, call.Code = fault.String(), fault.Code
		fakeserver.Record(&s.base, call)
		for k, v := range fault.Header {
			rec.Header().Set(k, v)
		}
		if fault.Body != "" {
			rec.Header().Set("Content-Type", "text/html")
			rec.WriteHeader(fault.Status)
			rec.WriteString(fault.Body)
			break
		}
		if fault.BlockMinutes > 0 {
			s.mu.Lock()
			s.blocked, s.block = now.Add(time.Duration(fault.BlockMinutes)*time.Minute), &fault
			s.mu.Unlock()
		}
		e := fault.graphError()
		e.status = fault.Status
		s.write(rec, nil, &e)
	default:
		call.Code = answer()
		fakeserver.Record(&s.base, call)
	}
	fakeserver.Delay(&s.base)
	s.mu.Lock()
	for k, vs := range s.usage {
		if rec.Header().Get(k) == "" {
			w.Header()[k] = vs
		}
	}
	s.mu.Unlock()
	fakeserver.Replay(w, rec)
}

// op names the kind of call.
func (s *Server) op(method, path string) string {
	switch {
	case method == http.MethodPost && path == s.opts.PageID+"/feed":
		return "feed"
	case method == http.MethodPost && path == s.opts.PageID+"/photos":
		return "photos"
	case method == http.MethodGet && path == s.opts.PageID+"/feed":
		return "list"
	case method == http.MethodGet && path == s.opts.PageID:
		return "page"
	case method == http.MethodGet && path != "" && !strings.Contains(path, "/"):
		return "post"
	}
	return "unknown"
}

// authenticate checks the version path, the token and a throttling block
// (answered again with the throttling fault's error and headers).
func (s *Server) authenticate(versioned bool, token string, now time.Time) (*GraphError, map[string]string) {
	switch {
	case !versioned:
		return &GraphError{Code: 2500, Type: "OAuthException", Message: "Unknown path components: the path must start with /v<N>.<M>/"}, nil
	case token == "":
		return &GraphError{Code: 104, Type: "OAuthException", Message: "An access token is required to request this resource."}, nil
	case token != s.Token:
		return &GraphError{Code: 190, Type: "OAuthException", Message: "Invalid OAuth access token - Cannot parse access token"}, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.Before(s.blocked) {
		e := s.block.graphError()
		e.status = s.block.Status
		return &e, s.block.Header
	}
	return nil, nil
}

// write answers out as JSON, or e as the Graph error envelope, and returns
// the error code written (0 for success).
func (s *Server) write(w http.ResponseWriter, out any, e *GraphError) int {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	if e == nil {
		w.WriteHeader(http.StatusOK)
		json.NewEncoder(w).Encode(out)
		return 0
	}
	if e.Type == "" {
		e.Type = "OAuthException"
	}
	s.mu.Lock()
	s.traces++
	e.FBTraceID = fmt.Sprintf("AbCdEfGh%04d", s.traces)
	s.mu.Unlock()
	status := e.status
	if status == 0 {
		status = http.StatusBadRequest
	}
	w.Header().Set("WWW-Authenticate", fmt.Sprintf(`OAuth "Facebook Platform" "invalid_request" "%s"`, e.Message))
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": e})
	return e.Code
}
