// Package containerfake is the local Graph API the Instagram and Threads
// fakes share: one httptest server reproducing the container lifecycle
// (a container is IN_PROGRESS for its first PollsToFinish status polls,
// then FINISHED; PUBLISHED once published; EXPIRED 24 hours after it was
// made, on an injectable clock), carousels of child containers, the
// publishing cap over a rolling 24 hours (…publishing_limit reports it;
// publishing past it is refused), permalinks, the recent-posts list, and
// Graph error envelopes {"error":{"message","type","code","error_subcode",
// "fbtrace_id"}} — 190 for a wrong token. Paths may carry a version
// prefix (/v21.0, /v1.0), which is ignored. It records every call and
// post, and can be scripted to fail, hang or drop per step.
package containerfake

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/heraldhq/herald"

	"github.com/heraldhq/herald/publishers/internal/fakeserver"
)

// Window is the publishing cap's rolling window; containers expire after it too.
const Window = 24 * time.Hour

// Dialect is one platform's paths and rules.
type Dialect struct {
	CreatePath, PublishPath, LimitPath, ListPath string
	TextParam, StatusField                       string
	ImageType                                    bool // image containers need media_type=IMAGE
	TextType                                     bool // media_type=TEXT containers are allowed
	MaxItems                                     int  // carousel children at most
	MaxText                                      int  // text characters at most
	Me                                           bool // GET /me answers the token's profile
	Permalink                                    func(username, id string) string
	QuotaTotal                                   int // the default cap
}

// Options configure a fake. Zero values take defaults.
type Options struct {
	Token         string
	UserID        string
	Username      string
	PollsToFinish int // status polls answered IN_PROGRESS before FINISHED
	QuotaTotal    int // posts per rolling 24 hours; the dialect's when 0
	Latency       time.Duration
	Now           func() time.Time
}

// Container is one media container as the fake holds it.
type Container struct {
	ID       string
	Type     string // TEXT, IMAGE, CAROUSEL
	Text     string
	Image    string
	Children []string
	Child    bool // is_carousel_item
	Created  time.Time
	Polls    int
	Status   string
	MediaID  string
}

// Post is one published post.
type Post struct {
	ID        string
	Container string
	Text      string
	Media     int // images: 1, a carousel's children, 0 for text
	Permalink string
	At        time.Time
}

// Call is one request as it arrived.
type Call struct {
	Method, Path, Step string
	Params             url.Values // without access_token
	Code               int        // the Graph error code answered; 0 for success
	Fault              string
}

type base = fakeserver.Base[Fault, Call]

// Server is a running fake; its methods are safe for concurrent use.
// Through fakeserver.Base it has Close, SetLatency, Script, Pending,
// Release, Held, Calls and WaitCalls.
type Server struct {
	base
	URL   string // the API root without a version, for config.base_url
	Token string

	d     Dialect
	opts  Options
	posts fakeserver.Log[Post]

	mu         sync.Mutex
	next       int64
	containers map[string]*Container
	order      []string
	byMedia    map[string]int // index in posts
}

// New starts a fake with dialect d. Close it when done.
func New(d Dialect, opts Options) *Server {
	if opts.Token == "" {
		opts.Token = "EAAGtest-access-token"
	}
	if opts.UserID == "" {
		opts.UserID = "17841400000000001"
	}
	if opts.Username == "" {
		opts.Username = "herald_test"
	}
	if opts.QuotaTotal == 0 {
		opts.QuotaTotal = d.QuotaTotal
	}
	if opts.Now == nil {
		opts.Now = herald.Now
	}
	s := &Server{Token: opts.Token, d: d, opts: opts, next: 17900000000000000,
		containers: map[string]*Container{}, byMedia: map[string]int{}}
	s.URL = fakeserver.Start(&s.base, opts.Latency, http.HandlerFunc(s.handle))
	return s
}

// UserID is the account the fake publishes for.
func (s *Server) UserID() string { return s.opts.UserID }

// Posts returns every published post, oldest first.
func (s *Server) Posts() []Post { return s.posts.All() }

// Containers returns every container made, in order.
func (s *Server) Containers() []Container {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Container, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, *s.containers[id])
	}
	return out
}

// Usage is how many posts were published in the rolling window before now.
func (s *Server) Usage() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.usage(s.opts.Now())
}

func (s *Server) usage(now time.Time) int {
	n := 0
	for _, p := range s.posts.All() {
		if now.Sub(p.At) < Window {
			n++
		}
	}
	return n
}

// WindowFreesAt tells when the oldest post within the window leaves it, so
// that one more post fits under the cap (now when there is room).
func (s *Server) WindowFreesAt() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	if s.usage(now) < s.opts.QuotaTotal {
		return now
	}
	for _, p := range s.posts.All() {
		if now.Sub(p.At) < Window {
			return p.At.Add(Window)
		}
	}
	return now
}

// AddPost publishes a post directly (someone posted by hand), counting
// toward the cap.
func (s *Server) AddPost(text string, at time.Time) Post {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.publishLocked(&Container{ID: s.id(), Type: "IMAGE", Text: text, Status: "FINISHED"}, at)
}

func (s *Server) id() string {
	s.next += 7
	return strconv.FormatInt(s.next, 10)
}

var versionRe = regexp.MustCompile(`^/v[0-9]+\.[0-9]+`)

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	path := strings.Trim(versionRe.ReplaceAllString(r.URL.Path, ""), "/")
	params := url.Values{}
	for k, v := range r.Form {
		if k != "access_token" {
			params[k] = v
		}
	}
	step := s.step(r.Method, path, params)
	call := Call{Method: r.Method, Path: path, Step: step, Params: params}
	fault, faulted := fakeserver.TakeFault(&s.base, func(f Fault) bool { return f.Step == "" || f.Step == step })
	answer := func(rec http.ResponseWriter) int {
		if r.Form.Get("access_token") != s.Token {
			return writeError(rec, http.StatusBadRequest, graphError{Code: 190, Type: "OAuthException",
				Message: "Invalid OAuth access token - Cannot parse access token"})
		}
		return s.route(rec, r.Method, path, step, params)
	}
	rec := httptest.NewRecorder()
	switch {
	case faulted && fault.Hang:
		call.Fault = fault.String()
		fakeserver.Record(&s.base, call)
		fakeserver.Hold(&s.base)
		answer(rec)
	case faulted && fault.Drop:
		call.Fault = fault.String()
		if fault.Post {
			call.Code = answer(rec)
		}
		fakeserver.Record(&s.base, call)
		fakeserver.Drop(w)
		return
	case faulted:
		call.Fault, call.Code = fault.String(), fault.Code
		fakeserver.Record(&s.base, call)
		writeFault(rec, fault)
	default:
		call.Code = answer(rec)
		fakeserver.Record(&s.base, call)
	}
	fakeserver.Delay(&s.base)
	fakeserver.Replay(w, rec)
}

// step names what a request does, for faults and records.
func (s *Server) step(method, path string, params url.Values) string {
	parts := strings.Split(path, "/")
	if len(parts) == 2 {
		switch {
		case method == http.MethodPost && parts[1] == s.d.CreatePath:
			return StepCreate
		case method == http.MethodPost && parts[1] == s.d.PublishPath:
			return StepPublish
		case parts[1] == s.d.LimitPath:
			return StepLimit
		case method == http.MethodGet && parts[1] == s.d.ListPath:
			return StepList
		}
		return ""
	}
	fields := params.Get("fields")
	switch {
	case path == "me" || path == s.opts.UserID:
		return StepProfile
	case strings.Contains(fields, s.d.StatusField):
		return StepStatus
	case strings.Contains(fields, "permalink"):
		return StepPermalink
	}
	return ""
}

type graphError struct {
	Message     string `json:"message"`
	Type        string `json:"type"`
	Code        int    `json:"code"`
	Subcode     int    `json:"error_subcode,omitempty"`
	IsTransient bool   `json:"is_transient,omitempty"`
	FBTraceID   string `json:"fbtrace_id"`
}

func writeError(w http.ResponseWriter, status int, e graphError) int {
	if e.Type == "" {
		e.Type = "OAuthException"
	}
	e.FBTraceID = "AbCdEfGhIjKlMnOp"
	writeJSON(w, status, map[string]any{"error": e})
	return e.Code
}

func writeFault(w http.ResponseWriter, f Fault) {
	status := f.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	if f.Code == 0 {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		fmt.Fprint(w, f.Body)
		return
	}
	if f.RegainMinutes > 0 {
		w.Header().Set("X-Business-Use-Case-Usage", fmt.Sprintf(
			`{"17841400000000001":[{"type":"instagram","call_count":100,"total_cputime":20,"total_time":30,"estimated_time_to_regain_access":%d}]}`, f.RegainMinutes))
	}
	writeError(w, status, graphError{Message: f.Msg, Type: f.Type, Code: f.Code, Subcode: f.Subcode, IsTransient: f.Transient})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	fakeserver.WriteJSON(w, status, "application/json; charset=UTF-8", v)
}
