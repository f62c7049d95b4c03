// Package slackfake is a local Slack incoming webhook for tests and
// benchmarks: an httptest server answering POST /services/{team}/{bot}/{secret}
// as Slack documents: 200 with the plain-text body "ok" and no message id;
// plain-text errors — 400 invalid_payload (unreadable JSON), no_text (no
// text and no blocks), invalid_blocks; 403 invalid_token (wrong secret);
// 404 no_service (an unknown, disabled or revoked webhook); 410
// channel_is_archived; 500 rollup_error; 429 with Retry-After. It records
// every message, counts calls that arrive before a 429's Retry-After has
// passed (EarlyCalls), and can be scripted to fail and to answer after a
// fixed latency.
package slackfake

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/heraldhq/herald"

	"github.com/heraldhq/herald/publishers/internal/fakeserver"
)

// Defaults of Options, and Slack's block limits.
const (
	DefaultTeam    = "T0000HERALD"
	DefaultBot     = "B0000HERALD"
	DefaultSecret  = "testSlackSecret0123456789"
	MaxBlocks      = 50
	MaxSectionText = 3000
)

// Options configure a fake. Zero values take the defaults above.
type Options struct {
	Team, Bot, Secret string
	Latency           time.Duration
	Now               func() time.Time
}

// Message is one message the webhook posted.
type Message struct {
	Text     string   // the text field as sent (with Slack's &amp; &lt; &gt; escapes)
	Shown    string   // Text with the escapes undone, as Slack shows it
	Sections []string // mrkdwn texts of section blocks
	Images   []string // image_url of image blocks
	Received time.Time
}

// Call is one POST to the webhook's path as it arrived, whatever was answered.
type Call struct {
	Received time.Time
	Fault    string
	Early    bool // it arrived before a scripted 429's Retry-After passed
}

// Fault is one scripted answer to the next call: Status with the plain-text
// Body (Slack's error code), or a connection fault.
type Fault struct {
	Status     int
	Body       string
	RetryAfter int // with 429: the Retry-After header, seconds; later calls before it passes get 429 too
	Hang       bool
	Drop       bool
	Post       bool
}

func (f Fault) conn() fakeserver.Conn {
	return fakeserver.Conn{Hang: f.Hang, Drop: f.Drop, Post: f.Post}
}

// String names the fault in Call records.
func (f Fault) String() string {
	if name := fakeserver.ConnFaultName(f.Hang, f.Drop, f.Post); name != "" {
		return name
	}
	return fmt.Sprintf("%d %s", f.Status, f.Body)
}

// TooManyRequests answers 429 "rate_limited" with Retry-After: seconds.
func TooManyRequests(seconds int) Fault {
	return Fault{Status: 429, Body: "rate_limited", RetryAfter: seconds}
}

// RollupError answers 500 rollup_error.
func RollupError() Fault { return Fault{Status: 500, Body: "rollup_error"} }

// ActionProhibited answers 403 action_prohibited (an admin restricted the app).
func ActionProhibited() Fault { return Fault{Status: 403, Body: "action_prohibited"} }

// ChannelNotFound answers 404 channel_not_found.
func ChannelNotFound() Fault { return Fault{Status: 404, Body: "channel_not_found"} }

// InvalidToken answers 403 invalid_token.
func InvalidToken() Fault { return Fault{Status: 403, Body: "invalid_token"} }

// Hang holds the next call until Release, then posts and answers normally.
func Hang() Fault { return Fault{Hang: true} }

// Drop closes the connection after reading the next call; nothing is posted.
func Drop() Fault { return Fault{Drop: true} }

// DropAfterPost posts the next message, then closes the connection without answering.
func DropAfterPost() Fault { return Fault{Drop: true, Post: true} }

type base = fakeserver.Base[Fault, Call]

// Server is a running fake. Its methods are safe for concurrent use.
// Through fakeserver.Base it also has Close, SetLatency, Script, Pending,
// Release, Held, Calls and WaitCalls (calls on the webhook's path).
type Server struct {
	base

	// URL is the server's base; WebhookURL the webhook, to put in a
	// channel's credentials.webhook_url.
	URL, WebhookURL string
	Secret          string

	opts     Options
	messages fakeserver.Log[Message]

	mu           sync.Mutex
	revoked      bool
	archived     bool
	blockedUntil time.Time
	early        int
}

// New starts a fake. Close it when done.
func New(opts Options) *Server {
	fakeserver.Default(&opts.Team, DefaultTeam)
	fakeserver.Default(&opts.Bot, DefaultBot)
	fakeserver.Default(&opts.Secret, DefaultSecret)
	if opts.Now == nil {
		opts.Now = herald.Now
	}
	s := &Server{opts: opts, Secret: opts.Secret}
	s.URL = fakeserver.Start(&s.base, opts.Latency, http.HandlerFunc(s.handle))
	s.WebhookURL = s.URL + "/services/" + opts.Team + "/" + opts.Bot + "/" + opts.Secret
	return s
}

// Messages returns every message posted so far, in order.
func (s *Server) Messages() []Message { return s.messages.All() }

// Revoke disables the webhook: later calls answer 404 no_service.
func (s *Server) Revoke() { s.mu.Lock(); s.revoked = true; s.mu.Unlock() }

// Archive archives the webhook's channel: later calls answer 410 channel_is_archived.
func (s *Server) Archive() { s.mu.Lock(); s.archived = true; s.mu.Unlock() }

// EarlyCalls reports how many calls arrived before a 429's Retry-After passed.
func (s *Server) EarlyCalls() int { s.mu.Lock(); defer s.mu.Unlock(); return s.early }

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	now := s.opts.Now()
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/services/"), "/")
	s.mu.Lock()
	revoked, archived, blocked := s.revoked, s.archived, now.Before(s.blockedUntil)
	if blocked {
		s.early++
	}
	wait := s.blockedUntil.Sub(now)
	s.mu.Unlock()
	switch {
	case r.Method != http.MethodPost:
		writeText(w, http.StatusMethodNotAllowed, "invalid_method")
		return
	case len(parts) != 3 || parts[0] != s.opts.Team || parts[1] != s.opts.Bot || revoked:
		writeText(w, http.StatusNotFound, "no_service")
		return
	case parts[2] != s.opts.Secret:
		writeText(w, http.StatusForbidden, "invalid_token")
		return
	}
	call := Call{Received: now, Early: blocked}
	if blocked {
		fakeserver.Record(&s.base, call)
		w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		writeText(w, http.StatusTooManyRequests, "rate_limited")
		return
	}
	fault, faulted := fakeserver.TakeFault(&s.base, func(Fault) bool { return true })
	var fail func(*httptest.ResponseRecorder)
	if faulted {
		call.Fault = fault.String()
		fail = func(rec *httptest.ResponseRecorder) {
			if fault.Status == http.StatusTooManyRequests {
				s.mu.Lock()
				s.blockedUntil = now.Add(time.Duration(fault.RetryAfter) * time.Second)
				s.mu.Unlock()
				rec.Header().Set("Retry-After", strconv.Itoa(fault.RetryAfter))
			}
			writeText(rec, fault.Status, fault.Body)
		}
	}
	fakeserver.Record(&s.base, call)
	fakeserver.Serve(&s.base, w, fault.conn(), func(rec *httptest.ResponseRecorder) { s.post(rec, r, archived, now) }, fail, nil)
}

type block struct {
	Type string `json:"type"`
	Text *struct {
		Type string `json:"type"`
		Text string `json:"text"`
	} `json:"text"`
	ImageURL string `json:"image_url"`
	AltText  string `json:"alt_text"`
}

type payload struct {
	Text   *string `json:"text"`
	Blocks []block `json:"blocks"`
}

// post reads the payload (a JSON body, or a form with a payload field),
// validates it as Slack does and posts it.
func (s *Server) post(w http.ResponseWriter, r *http.Request, archived bool, now time.Time) {
	var raw []byte
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/x-www-form-urlencoded" {
		r.ParseForm()
		raw = []byte(r.PostForm.Get("payload"))
	} else {
		raw, _ = io.ReadAll(io.LimitReader(r.Body, 1<<20))
	}
	var p payload
	if err := json.Unmarshal(raw, &p); err != nil {
		writeText(w, http.StatusBadRequest, "invalid_payload")
		return
	}
	if (p.Text == nil || *p.Text == "") && len(p.Blocks) == 0 {
		writeText(w, http.StatusBadRequest, "no_text")
		return
	}
	m := Message{Received: now}
	if p.Text != nil {
		m.Text = *p.Text
		m.Shown = html.UnescapeString(m.Text)
	}
	if len(p.Blocks) > MaxBlocks {
		writeText(w, http.StatusBadRequest, "invalid_blocks")
		return
	}
	for _, b := range p.Blocks {
		switch {
		case b.Type == "section" && b.Text != nil && b.Text.Text != "" && utf8.RuneCountInString(b.Text.Text) <= MaxSectionText:
			m.Sections = append(m.Sections, b.Text.Text)
		case b.Type == "image" && strings.HasPrefix(b.ImageURL, "http") && b.AltText != "":
			m.Images = append(m.Images, b.ImageURL)
		default:
			writeText(w, http.StatusBadRequest, "invalid_blocks")
			return
		}
	}
	if archived {
		writeText(w, http.StatusGone, "channel_is_archived")
		return
	}
	s.messages.Append(m)
	writeText(w, http.StatusOK, "ok")
}

func writeText(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(status)
	io.WriteString(w, body)
}
