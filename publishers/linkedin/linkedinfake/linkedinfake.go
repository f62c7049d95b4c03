// Package linkedinfake is a local LinkedIn API for tests: an httptest
// server answering POST /rest/posts, POST /rest/images?action=initializeUpload,
// the PUT to the upload URL it hands out, and GET /v2/userinfo, as LinkedIn
// documents them: a bearer token (401 otherwise), the LinkedIn-Version
// header on /rest calls (400 VERSION_MISSING without it), a post answered
// 201 with an empty body and its URN in x-restli-id, images usable in a
// post only once their bytes were PUT, content.media for one image and
// content.multiImage for 2–20, content.article with source and title, the
// same commentary twice answered 422 DUPLICATE_POST naming the existing
// URN, and the little text format: a backslash escapes the next
// character, and the text from an unescaped reserved character on is lost
// (as LinkedIn drops it). Every post keeps its commentary as received and
// its text as LinkedIn would show it. It records every call, and can be
// scripted to fail (any status and body, hang, drop) and to answer after a
// fixed latency.
package linkedinfake

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/heraldhq/herald/publishers/internal/fakeserver"
)

// Defaults of Options.
const (
	DefaultToken  = "AQV-linkedin-test-access-token"
	DefaultMember = "hEr4ld1d" // the token's member id (userinfo's sub)
	MaxImageBytes = 36 << 20
)

// Options configure a fake. Zero values take the defaults above.
type Options struct {
	Token  string // the access token accepted
	Member string // the token's member id
	// Author is the URN the token may post as; urn:li:person:<Member>
	// when empty. Posts and image uploads for another owner get 403.
	Author  string
	Latency time.Duration // added to every answer (the post is made first)
}

// Post is one post the fake published.
type Post struct {
	URN        string // urn:li:share:<n>, answered in x-restli-id
	URL        string // https://www.linkedin.com/feed/update/<urn>/
	Author     string
	Commentary string // as received, in the little text format
	Text       string // as LinkedIn shows it: unescaped, cut at an unescaped reserved character
	Lost       string // the text lost from the first unescaped reserved character on ("" when none)
	Visibility string
	Images     []string // image URNs, in order
	Article    *Article
	Version    string // the LinkedIn-Version header
}

// Article is a post's content.article.
type Article struct{ Source, Title, Description string }

// Call is one request as it arrived, whatever was answered.
type Call struct {
	Op       string // OpPosts, OpImages, OpUpload, OpUserinfo, or the path of an unknown one
	Method   string
	Version  string // the LinkedIn-Version header
	Protocol string // the X-Restli-Protocol-Version header
	Status   int    // the status answered (0 for a dropped connection)
	Fault    string // the scripted fault that answered it, or ""
}

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
	Author string

	opts  Options
	posts fakeserver.Log[Post]

	mu        sync.Mutex
	next      int64
	images    map[string]*image // by URN
	uploads   map[string]string // upload path → image URN
	published map[string]string // author + commentary → URN
}

type image struct {
	urn, owner  string
	contentType string
	size        int
}

// New starts a fake. Close it when done.
func New(opts Options) *Server {
	fakeserver.Default(&opts.Token, DefaultToken)
	fakeserver.Default(&opts.Member, DefaultMember)
	if opts.Author == "" {
		opts.Author = "urn:li:person:" + opts.Member
	}
	s := &Server{Token: opts.Token, Author: opts.Author, opts: opts, next: 7000000000000000000,
		images: map[string]*image{}, uploads: map[string]string{}, published: map[string]string{}}
	s.URL = fakeserver.Start(&s.base, opts.Latency, http.HandlerFunc(s.handle))
	return s
}

// Posts returns every post published so far, in order.
func (s *Server) Posts() []Post { return s.posts.All() }

// WaitPosts waits until at least n posts were published and returns them
// all; after timeout it returns those published and an error.
func (s *Server) WaitPosts(n int, timeout time.Duration) ([]Post, error) {
	return s.posts.Wait(n, timeout)
}

// op names the operation of r, or "" for a path the fake does not serve.
func op(r *http.Request) string {
	switch {
	case r.URL.Path == "/rest/posts" && r.Method == http.MethodPost:
		return OpPosts
	case r.URL.Path == "/rest/images" && r.Method == http.MethodPost && r.URL.Query().Get("action") == "initializeUpload":
		return OpImages
	case strings.HasPrefix(r.URL.Path, "/upload/") && r.Method == http.MethodPut:
		return OpUpload
	case r.URL.Path == "/v2/userinfo" && r.Method == http.MethodGet:
		return OpUserinfo
	}
	return ""
}

// handle applies the first scripted fault for the call, records it and answers.
func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, MaxImageBytes+1))
	r.Body = io.NopCloser(bytes.NewReader(body))
	o := op(r)
	call := Call{Op: o, Method: r.Method, Version: r.Header.Get("LinkedIn-Version"),
		Protocol: r.Header.Get("X-Restli-Protocol-Version")}
	if o == "" {
		call.Op = r.URL.Path
	}
	fault, faulted := fakeserver.TakeFault(&s.base, func(f Fault) bool { return f.Op == "" || f.Op == o })
	normal := func(rec *httptest.ResponseRecorder) { s.answer(rec, r, o, body) }
	var fail func(*httptest.ResponseRecorder)
	if faulted {
		call.Fault = fault.String()
		fail = func(rec *httptest.ResponseRecorder) {
			call.Status = fault.Status
			for k, v := range fault.Header {
				rec.Header().Set(k, v)
			}
			if strings.HasPrefix(fault.Body, "{") {
				rec.Header().Set("Content-Type", "application/json")
			} else {
				rec.Header().Set("Content-Type", "text/html")
			}
			rec.WriteHeader(fault.Status)
			rec.WriteString(fault.Body)
		}
	} else {
		normal = func(rec *httptest.ResponseRecorder) {
			s.answer(rec, r, o, body)
			call.Status = rec.Code
		}
	}
	fakeserver.Serve(&s.base, w, fault.conn(), normal, fail, func() { fakeserver.Record(&s.base, call) })
}

// answer checks the token and headers, then routes the call.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, o string, body []byte) {
	auth, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	switch {
	case !ok || auth == "":
		writeError(w, http.StatusUnauthorized, "", "Empty oauth2 access token")
		return
	case auth != s.Token:
		writeErrorJSON(w, http.StatusUnauthorized, `{"status":401,"serviceErrorCode":65600,"code":"INVALID_ACCESS_TOKEN","message":"Invalid access token"}`)
		return
	}
	if strings.HasPrefix(r.URL.Path, "/rest/") {
		v := r.Header.Get("LinkedIn-Version")
		switch {
		case v == "":
			writeError(w, http.StatusBadRequest, "VERSION_MISSING", "A version must be present. Please specify a version by adding the LinkedIn-Version header.")
			return
		case !validVersion(v):
			writeError(w, http.StatusBadRequest, "INVALID_VERSION", "Invalid version format: "+v)
			return
		}
	}
	switch o {
	case OpPosts:
		s.createPost(w, r, body)
	case OpImages:
		s.initializeUpload(w, body)
	case OpUpload:
		s.upload(w, r, body)
	case OpUserinfo:
		writeJSON(w, http.StatusOK, map[string]any{"sub": s.opts.Member, "email_verified": true,
			"name": "Herald Test", "given_name": "Herald", "family_name": "Test",
			"locale": map[string]string{"country": "US", "language": "en"}})
	default:
		writeError(w, http.StatusNotFound, "NOT_FOUND", "No virtual resource found")
	}
}

// validVersion is YYYYMM or YYYYMM.RR.
func validVersion(v string) bool {
	if len(v) != 6 && len(v) != 9 {
		return false
	}
	for i, r := range v {
		if (i == 6 && r != '.') || (i != 6 && (r < '0' || r > '9')) {
			return false
		}
	}
	return true
}
