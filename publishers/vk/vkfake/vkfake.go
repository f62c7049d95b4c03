// Package vkfake is a local VK API for tests and benchmarks: an httptest
// server answering /method/<name> for wall.post, wall.get,
// photos.getWallUploadServer, photos.saveWallPhoto, groups.getById and
// users.get, plus the photo upload server those methods hand out, as VK
// documents them: every error with HTTP 200 and
// {"error":{"error_code","error_msg","request_params"}}, code 5 for a
// missing or wrong access token, code 6 past 3 calls per second per token
// (measured on an injectable clock), wall.post's guid honoured for an hour
// (the same guid answers the same post_id and posts nothing), the
// upload-server flow (upload → server/photo/hash → saveWallPhoto →
// photo<owner>_<id> attachments) and the 50 posts a day cap (code 214).
// It records every post and call, and can be scripted to fail (any error
// code, a non-200 answer, hang, drop) and to answer after a fixed latency.
package vkfake

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/heraldhq/herald"

	"github.com/heraldhq/herald/publishers/internal/fakeserver"
)

// Defaults of Options and VK's documented limits.
const (
	DefaultToken  = "vk1.a.test-access-token"
	DefaultUserID = 1000 // the token's user
	// DefaultRate is how many method calls one token may make per second
	// (VK's limit for user tokens); the next call in the same second gets
	// error 6.
	DefaultRate = 3
	// DefaultPostsPerDay is how many posts one wall takes per 24 hours
	// before wall.post answers error 214.
	DefaultPostsPerDay = 50
	GUIDTTL            = time.Hour // how long wall.post remembers a guid
	MaxAttachments     = 10        // photos and other media per post, besides one link
	MaxPhotoBytes      = 50 << 20
)

// Options configure a fake. Zero values take the defaults above.
type Options struct {
	Token       string        // the access token accepted
	UserID      int64         // the token's user id
	Rate        int           // method calls per second per token before error 6; negative: no limit
	PostsPerDay int           // posts per wall per 24 hours before error 214
	NotAdmin    bool          // the token's user administers no community: groups.getById says is_admin 0 and community wall.post answers error 15
	Latency     time.Duration // added to every answer (the post is made first)
	Now         func() time.Time
}

// Post is one post the fake published.
type Post struct {
	ID          int64
	OwnerID     int64
	FromGroup   bool
	Text        string   // the message parameter
	Attachments []string // as sent, in order
	Photos      int      // photo attachments
	Link        string   // the URL attachment, if any
	GUID        string
	URL         string // https://vk.com/wall<owner_id>_<id>
	Date        time.Time
}

// Photo is one photo saved by photos.saveWallPhoto.
type Photo struct {
	ID          int64
	OwnerID     int64
	ContentType string
	Size        int
	Date        time.Time
}

// Call is one request as it arrived, whatever was answered: a method call
// (Method is its name) or an upload (Method "upload").
type Call struct {
	Method   string
	Params   url.Values // without access_token
	Received time.Time
	Code     int    // the VK error code answered; 0 for success
	Fault    string // the scripted fault that answered it, or ""
}

// base is embedded in Server through an alias so the field stays unexported.
type base = fakeserver.Base[Fault, Call]

// Server is a running fake. Its methods are safe for concurrent use.
// Through fakeserver.Base it also has Close, SetLatency, Script (each call
// consumes the first queued fault whose Method matches it), Pending,
// Release, Held, Calls and WaitCalls (every call, with the code answered).
type Server struct {
	base

	// URL is the API base URL, to put in a channel's config.base_url.
	URL   string
	Token string

	opts   Options
	posts  fakeserver.Log[Post]
	photos fakeserver.Log[Photo]

	mu        sync.Mutex
	calls     map[string][]time.Time // per token: accepted method calls in the last second
	nextPost  map[int64]int64        // per wall
	nextPhoto int64
	wall      map[int64][]Post // per owner, oldest first
	guids     map[string]guidEntry
	uploads   map[string]*upload // by hash
	saved     map[string]Photo   // "<owner>_<id>"
}

type guidEntry struct {
	postID int64
	at     time.Time
}

// New starts a fake. Close it when done.
func New(opts Options) *Server {
	fakeserver.Default(&opts.Token, DefaultToken)
	if opts.UserID == 0 {
		opts.UserID = DefaultUserID
	}
	if opts.Rate == 0 {
		opts.Rate = DefaultRate
	}
	if opts.PostsPerDay <= 0 {
		opts.PostsPerDay = DefaultPostsPerDay
	}
	if opts.Now == nil {
		opts.Now = herald.Now
	}
	s := &Server{Token: opts.Token, opts: opts, calls: map[string][]time.Time{}, nextPost: map[int64]int64{},
		nextPhoto: 457239000, wall: map[int64][]Post{}, guids: map[string]guidEntry{},
		uploads: map[string]*upload{}, saved: map[string]Photo{}}
	s.URL = fakeserver.Start(&s.base, opts.Latency, http.HandlerFunc(s.handle))
	return s
}

// Posts returns every post published so far, in order (guid replays excluded).
func (s *Server) Posts() []Post { return s.posts.All() }

// WaitPosts waits until at least n posts were published and returns them
// all; after timeout it returns those published and an error.
func (s *Server) WaitPosts(n int, timeout time.Duration) ([]Post, error) {
	return s.posts.Wait(n, timeout)
}

// Photos returns every photo saved so far, in order.
func (s *Server) Photos() []Photo { return s.photos.All() }

// AddPost puts a post on a wall as if someone had published it by hand
// (for reconciliation tests) and returns it. It is not among Posts.
func (s *Server) AddPost(ownerID int64, text string, date time.Time) Post {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.publish(Post{OwnerID: ownerID, Text: text, Date: date})
}

// vkError is the error object of an answer.
type vkError struct {
	Code  int
	Msg   string
	Extra map[string]any // captcha_sid, captcha_img, redirect_uri…
}

// handle authenticates, rate-limits and routes one request.
func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	now := s.opts.Now()
	body, _ := io.ReadAll(io.LimitReader(r.Body, MaxPhotoBytes+1<<20))
	r.Body = io.NopCloser(bytes.NewReader(body))
	if strings.HasPrefix(r.URL.Path, "/upload/") {
		s.serve(w, r, "upload", url.Values{}, now, func(rec http.ResponseWriter) int { return s.upload(rec, r, now) })
		return
	}
	method, ok := strings.CutPrefix(r.URL.Path, "/method/")
	if err := r.ParseMultipartForm(1 << 20); err != nil && err != http.ErrNotMultipart {
		r.ParseForm()
	}
	params := publicParams(r.Form)
	if !ok || method == "" {
		writeError(w, vkError{Code: 3, Msg: "Unknown method passed"}, method, params)
		return
	}
	token := r.Form.Get("access_token")
	if a := r.Header.Get("Authorization"); strings.HasPrefix(a, "Bearer ") {
		token = strings.TrimPrefix(a, "Bearer ")
	}
	answer := func(rec http.ResponseWriter) int {
		var e *vkError
		switch {
		case token == "":
			e = &vkError{Code: 5, Msg: "User authorization failed: no access_token passed."}
		case token != s.Token:
			e = &vkError{Code: 5, Msg: "User authorization failed: invalid access_token (4)."}
		case r.Form.Get("v") == "":
			e = &vkError{Code: 8, Msg: "Invalid request: v (version) is required"}
		case !s.allow(token, now):
			e = &vkError{Code: 6, Msg: "Too many requests per second"}
		}
		if e != nil {
			writeError(rec, *e, method, params)
			return e.Code
		}
		return s.route(rec, method, r.Form, params, now)
	}
	s.serve(w, r, method, params, now, answer)
}

// serve applies the first scripted fault for method, records the call and
// answers it with answer (which returns the VK error code it wrote).
func (s *Server) serve(w http.ResponseWriter, r *http.Request, method string, params url.Values, now time.Time, answer func(http.ResponseWriter) int) {
	call := Call{Method: method, Params: params, Received: now}
	fault, faulted := fakeserver.TakeFault(&s.base, func(f Fault) bool { return f.Method == "" || f.Method == method })
	var fail func(*httptest.ResponseRecorder)
	if faulted {
		call.Fault = fault.String()
		fail = func(rec *httptest.ResponseRecorder) {
			call.Code = fault.Code
			if fault.Status != 0 {
				rec.Header().Set("Content-Type", "text/html")
				rec.WriteHeader(fault.Status)
				rec.WriteString(fault.Body)
				return
			}
			writeError(rec, vkError{Code: fault.Code, Msg: fault.Msg, Extra: fault.extra()}, method, params)
		}
	}
	normal := func(rec *httptest.ResponseRecorder) { call.Code = answer(rec) }
	fakeserver.Serve(&s.base, w, fault.conn(), normal, fail, func() { fakeserver.Record(&s.base, call) })
}

// allow counts a call of token against the per-second limit: false when
// Rate calls were already accepted in the second before now.
func (s *Server) allow(token string, now time.Time) bool {
	if s.opts.Rate < 0 {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	recent := s.calls[token][:0]
	for _, t := range s.calls[token] {
		if now.Sub(t) < time.Second {
			recent = append(recent, t)
		}
	}
	s.calls[token] = recent
	if len(recent) >= s.opts.Rate {
		return false
	}
	s.calls[token] = append(recent, now)
	return true
}

// route answers one authenticated method call and returns the error code written.
func (s *Server) route(w http.ResponseWriter, method string, form, params url.Values, now time.Time) int {
	var resp any
	var e *vkError
	switch method {
	case "wall.post":
		resp, e = s.wallPost(form, now)
	case "wall.get":
		resp, e = s.wallGet(form)
	case "photos.getWallUploadServer":
		resp, e = s.uploadServer(form)
	case "photos.saveWallPhoto":
		resp, e = s.savePhoto(form, now)
	case "groups.getById":
		resp, e = s.groupsByID(form)
	case "users.get":
		resp = []map[string]any{{"id": s.opts.UserID, "first_name": "Herald", "last_name": "Test",
			"can_access_closed": true, "is_closed": false}}
	default:
		e = &vkError{Code: 3, Msg: "Unknown method passed"}
	}
	if e != nil {
		writeError(w, *e, method, params)
		return e.Code
	}
	writeJSON(w, map[string]any{"response": resp})
	return 0
}

// publicParams is form without the access token, as VK echoes it back.
func publicParams(form url.Values) url.Values {
	p := url.Values{}
	for k, vs := range form {
		if k != "access_token" {
			p[k] = vs
		}
	}
	return p
}

// writeError answers an error as VK does: HTTP 200 with the error object,
// listing the request's parameters (never the token).
func writeError(w http.ResponseWriter, e vkError, method string, params url.Values) {
	rp := []map[string]string{{"key": "method", "value": method}, {"key": "oauth", "value": "1"}}
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		rp = append(rp, map[string]string{"key": k, "value": params.Get(k)})
	}
	obj := map[string]any{"error_code": e.Code, "error_msg": e.Msg, "request_params": rp}
	for k, v := range e.Extra {
		obj[k] = v
	}
	writeJSON(w, map[string]any{"error": obj})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	json.NewEncoder(w).Encode(v)
}

// param parses an integer parameter; ok is false when it is absent or not a number.
func param(form url.Values, key string) (int64, bool) {
	n, err := strconv.ParseInt(form.Get(key), 10, 64)
	return n, err == nil
}

func invalid(what string) *vkError {
	return &vkError{Code: 100, Msg: "One of the parameters specified was missing or invalid: " + what}
}
