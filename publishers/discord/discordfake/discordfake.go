// Package discordfake is a local Discord webhook for tests and benchmarks:
// an httptest server answering POST /api/webhooks/{id}/{token} (execute:
// JSON or multipart files[n] + payload_json; with ?wait=true the message
// object, without it 204 and no body) and GET /api/webhooks/{id}/{token}
// (the webhook object), as Discord documents: {"message", "code"} errors,
// 401 Invalid Webhook Token for a wrong token, 404 Unknown Webhook for an
// unknown or deleted webhook, 400 for an empty or too long message,
// X-RateLimit-* headers on every execute and 429 with a float retry_after
// past the per-webhook bucket. It records every message, counts calls that
// arrive while the bucket is exhausted (EarlyCalls), and can be scripted to
// fail (429, 5xx, 4xx, hang, drop) and to answer after a fixed latency.
package discordfake

import (
	"math"
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
	DefaultWebhookID = "1180000000000000001"
	DefaultToken     = "test-webhook-token"
	DefaultGuildID   = "1170000000000000001"
	DefaultChannelID = "1170000000000000002"
	DefaultName      = "Herald"
	DefaultRateLimit = 5 // executes per RateWindow, per webhook [3p]
	RateWindow       = 2 * time.Second
	MaxContent       = 2000 // characters of content
	MaxFiles         = 10
	DefaultMaxFile   = 10 << 20 // bytes per upload without boosts
)

// Options configure a fake. Zero values take the defaults above.
type Options struct {
	WebhookID string
	Token     string
	GuildID   string // the webhook's guild; "-" for none (the webhook object then has guild_id null)
	ChannelID string
	Name      string        // the webhook's default username
	Latency   time.Duration // added to every answer (the message is posted first)
	RateLimit int           // executes per RateWindow before 429
	MaxFile   int64         // largest file accepted; 413 above
	Now       func() time.Time
}

// File is one attachment of a posted message.
type File struct {
	ID          string
	Field       string // the multipart field name, files[n]
	Name        string
	ContentType string
	Size        int
}

// Message is one message the webhook posted.
type Message struct {
	ID        string
	ChannelID string
	Content   string
	Username  string
	Files     []File
	Wait      bool   // the call asked ?wait=true
	URL       string // https://discord.com/channels/{guild}/{channel}/{id}, "" without a guild
	Received  time.Time
}

// Call is one request to the webhook as it arrived, whatever was answered.
type Call struct {
	Method   string
	Wait     bool
	Received time.Time
	Fault    string // the scripted fault that answered it, or ""
	Early    bool   // it arrived while the bucket was exhausted after a 429
}

type base = fakeserver.Base[Fault, Call]

// Server is a running fake. Its methods are safe for concurrent use.
// Through fakeserver.Base it also has Close, SetLatency, Script (each
// execute call consumes the next queued fault), Pending, Release, Held,
// Calls and WaitCalls (every call to the webhook's path).
type Server struct {
	base

	// URL is the API base; WebhookURL is the webhook's URL, to put in a
	// channel's credentials.webhook_url.
	URL        string
	WebhookURL string
	WebhookID  string
	Token      string
	GuildID    string // "" for none
	ChannelID  string

	opts     Options
	messages fakeserver.Log[Message]

	mu           sync.Mutex
	seq          int64
	deleted      bool
	windowStart  time.Time
	used         int
	blockedUntil time.Time
	early        int
}

// New starts a fake. Close it when done.
func New(opts Options) *Server {
	fakeserver.Default(&opts.WebhookID, DefaultWebhookID)
	fakeserver.Default(&opts.Token, DefaultToken)
	fakeserver.Default(&opts.GuildID, DefaultGuildID)
	fakeserver.Default(&opts.ChannelID, DefaultChannelID)
	fakeserver.Default(&opts.Name, DefaultName)
	if opts.RateLimit <= 0 {
		opts.RateLimit = DefaultRateLimit
	}
	if opts.MaxFile <= 0 {
		opts.MaxFile = DefaultMaxFile
	}
	if opts.Now == nil {
		opts.Now = herald.Now
	}
	s := &Server{opts: opts, WebhookID: opts.WebhookID, Token: opts.Token, ChannelID: opts.ChannelID}
	if opts.GuildID != "-" {
		s.GuildID = opts.GuildID
	}
	s.URL = fakeserver.Start(&s.base, opts.Latency, http.HandlerFunc(s.handle))
	s.WebhookURL = s.URL + "/api/webhooks/" + s.WebhookID + "/" + s.Token
	return s
}

// Messages returns every message posted so far, in order.
func (s *Server) Messages() []Message { return s.messages.All() }

// WaitMessages waits until at least n messages were posted and returns them
// all; after timeout it returns those posted and an error.
func (s *Server) WaitMessages(n int, timeout time.Duration) ([]Message, error) {
	return s.messages.Wait(n, timeout)
}

// Delete deletes the webhook: every later call answers 404 Unknown Webhook.
func (s *Server) Delete() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deleted = true
}

// EarlyCalls reports how many executes arrived while the bucket was
// exhausted after a 429, i.e. before the client waited retry_after.
func (s *Server) EarlyCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.early
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	now := s.opts.Now()
	rest, ok := strings.CutPrefix(r.URL.Path, "/api/webhooks/")
	id, token, _ := strings.Cut(rest, "/")
	s.mu.Lock()
	deleted := s.deleted
	s.mu.Unlock()
	switch {
	case !ok || id != s.WebhookID || deleted:
		writeError(w, Fault{Status: 404, Code: 10015, Message: "Unknown Webhook"})
		return
	case token != s.Token:
		writeError(w, Fault{Status: 401, Code: 50027, Message: "Invalid Webhook Token"})
		return
	}
	call := Call{Method: r.Method, Wait: wantWait(r), Received: now}
	if r.Method == http.MethodGet {
		fakeserver.Record(&s.base, call)
		fakeserver.Delay(&s.base)
		writeJSON(w, http.StatusOK, s.webhookJSON())
		return
	}
	if r.Method != http.MethodPost {
		writeError(w, Fault{Status: 405, Message: "405: Method Not Allowed"})
		return
	}
	if wait, ok := s.takeRate(w.Header(), now); !ok {
		call.Early = true
		fakeserver.Record(&s.base, call)
		writeRateLimited(w, wait)
		return
	}
	fault, faulted := fakeserver.TakeFault(&s.base, func(Fault) bool { return true })
	var fail func(*httptest.ResponseRecorder)
	if faulted {
		call.Fault = fault.String()
		fail = func(rec *httptest.ResponseRecorder) {
			if fault.Status == http.StatusTooManyRequests {
				s.block(now, fault.RetryAfter)
				writeRateLimited(rec, fault.RetryAfter)
				return
			}
			writeError(rec, fault)
		}
	}
	fakeserver.Record(&s.base, call)
	fakeserver.Serve(&s.base, w, fault.conn(), func(rec *httptest.ResponseRecorder) { s.execute(rec, r, call.Wait, now) }, fail, nil)
}

func wantWait(r *http.Request) bool {
	v, _ := strconv.ParseBool(r.URL.Query().Get("wait"))
	return v
}

// takeRate counts an execute in the webhook's bucket and sets the
// X-RateLimit-* headers. When the bucket is exhausted it reports false and
// how many seconds remain; a call during a scripted 429's block counts as early.
func (s *Server) takeRate(h http.Header, now time.Time) (float64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.Before(s.blockedUntil) {
		s.early++
		return s.blockedUntil.Sub(now).Seconds(), false
	}
	if s.windowStart.IsZero() || !now.Before(s.windowStart.Add(RateWindow)) {
		s.windowStart, s.used = now, 0
	}
	reset := s.windowStart.Add(RateWindow)
	h.Set("X-RateLimit-Limit", strconv.Itoa(s.opts.RateLimit))
	h.Set("X-RateLimit-Bucket", "fake-"+s.WebhookID)
	h.Set("X-RateLimit-Reset", strconv.FormatFloat(float64(reset.UnixMilli())/1000, 'f', 3, 64))
	h.Set("X-RateLimit-Reset-After", strconv.FormatFloat(reset.Sub(now).Seconds(), 'f', 3, 64))
	if s.used >= s.opts.RateLimit {
		h.Set("X-RateLimit-Remaining", "0")
		return reset.Sub(now).Seconds(), false
	}
	s.used++
	h.Set("X-RateLimit-Remaining", strconv.Itoa(s.opts.RateLimit-s.used))
	return 0, true
}

func (s *Server) block(now time.Time, seconds float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blockedUntil = now.Add(time.Duration(seconds * float64(time.Second)))
}

// writeRateLimited answers 429 as Discord does: the float retry_after in
// the body, Retry-After (whole seconds, rounded up) and X-RateLimit-* headers.
func writeRateLimited(w http.ResponseWriter, seconds float64) {
	secs := strconv.FormatFloat(seconds, 'f', 3, 64)
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(seconds))))
	w.Header().Set("X-RateLimit-Remaining", "0")
	w.Header().Set("X-RateLimit-Reset-After", secs)
	w.Header().Set("X-RateLimit-Scope", "shared")
	writeJSON(w, http.StatusTooManyRequests, map[string]any{
		"message": "You are being rate limited.", "retry_after": math.Round(seconds*1000) / 1000, "global": false})
}

// webhookJSON is the webhook object GET answers.
func (s *Server) webhookJSON() map[string]any {
	var guild any
	if s.GuildID != "" {
		guild = s.GuildID
	}
	return map[string]any{"id": s.WebhookID, "type": 1, "guild_id": guild, "channel_id": s.ChannelID,
		"name": s.opts.Name, "avatar": nil, "application_id": nil, "token": s.Token}
}

func writeError(w http.ResponseWriter, f Fault) {
	if f.Body != "" {
		w.Header().Set("Content-Type", "text/html")
		if strings.HasPrefix(f.Body, "{") {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(f.Status)
		w.Write([]byte(f.Body))
		return
	}
	writeJSON(w, f.Status, map[string]any{"message": f.Message, "code": f.Code})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	fakeserver.WriteJSON(w, status, "application/json", v)
}
