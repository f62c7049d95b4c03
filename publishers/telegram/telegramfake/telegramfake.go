// Package telegramfake is a local Telegram Bot API for tests and
// benchmarks: an httptest server that answers sendMessage, sendPhoto and
// sendMediaGroup as the real API documents (ok:true/ok:false envelopes,
// 401 on a wrong token, per-chat message ids, the 4096/1024 UTF-16 limits,
// migrated chats), records every message it posts, and can be scripted to
// fail (429 retry_after, 5xx, 400s, migrate_to_chat_id, hang, drop) and
// to answer after a fixed latency.
package telegramfake

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/heraldhq/herald/publishers/internal/fakeserver"
)

// DefaultToken is the bot token a fake accepts when Options.Token is empty.
const DefaultToken = "123456:TEST-fake-token"

// Options configure a fake.
type Options struct {
	Token   string           // the bot token accepted; DefaultToken when empty
	Latency time.Duration    // added to every answer (the message is posted first)
	Now     func() time.Time // clock for Received and message dates; time.Now when nil
}

// Message is one post the fake accepted: one sendMessage, sendPhoto or
// sendMediaGroup call that succeeded.
type Message struct {
	Method     string    // sendMessage, sendPhoto or sendMediaGroup
	ChatID     string    // the chat as addressed: "@name" or a numeric id
	MessageID  int64     // the (first) message id answered
	MessageIDs []int64   // every id answered: one per photo of an album
	Text       string    // the text, or the caption
	ParseMode  string    // as sent
	Photos     []string  // photo URLs (or file ids), in order
	Received   time.Time // when the call arrived
}

// Call is one authorized Bot API call as it arrived, whatever was answered.
type Call struct {
	Method   string
	ChatID   string
	Received time.Time
	Fault    string // the scripted fault that answered it, or ""
}

// Server is a running fake. Its methods are safe for concurrent use.
type Server struct {
	// URL is the API base URL, to put in a channel's config.base_url.
	URL   string
	Token string

	srv      *httptest.Server
	now      func() time.Time
	latency  fakeserver.Latency
	script   fakeserver.Script[Fault]
	gate     *fakeserver.Gate
	messages fakeserver.Log[Message]
	calls    fakeserver.Log[Call]

	mu       sync.Mutex
	nextID   map[string]int64 // per chat
	migrated map[string]int64 // chat → the supergroup it became
	albums   int64
}

// New starts a fake. Close it when done.
func New(opts Options) *Server {
	s := &Server{
		Token:    opts.Token,
		now:      opts.Now,
		gate:     fakeserver.NewGate(),
		nextID:   map[string]int64{},
		migrated: map[string]int64{},
	}
	if s.Token == "" {
		s.Token = DefaultToken
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.latency.Set(opts.Latency)
	s.srv = httptest.NewServer(http.HandlerFunc(s.handle))
	s.URL = s.srv.URL
	return s
}

// Close releases held calls and stops the server.
func (s *Server) Close() {
	s.gate.Close()
	s.srv.Close()
}

// SetLatency changes the delay added to every answer.
func (s *Server) SetLatency(d time.Duration) { s.latency.Set(d) }

// Script queues faults: each following send call consumes the first one
// and answers with it instead of posting.
func (s *Server) Script(faults ...Fault) { s.script.Push(faults...) }

// Pending reports how many scripted faults are still queued.
func (s *Server) Pending() int { return s.script.Len() }

// Release lets every call held by a Hang fault go on.
func (s *Server) Release() { s.gate.Release() }

// Held reports how many calls a Hang fault is holding now.
func (s *Server) Held() int { return s.gate.Waiting() }

// Messages returns every message posted so far, in order.
func (s *Server) Messages() []Message { return s.messages.All() }

// WaitMessages waits until at least n messages were posted and returns them
// all; after timeout it returns those posted and an error.
func (s *Server) WaitMessages(n int, timeout time.Duration) ([]Message, error) {
	return s.messages.Wait(n, timeout)
}

// Calls returns every authorized call received so far, in order.
func (s *Server) Calls() []Call { return s.calls.All() }

// WaitCalls waits until at least n calls arrived and returns them all; after
// timeout it returns those received and an error.
func (s *Server) WaitCalls(n int, timeout time.Duration) ([]Call, error) {
	return s.calls.Wait(n, timeout)
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	received := s.now()
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	token, method, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 {
		writeEnvelope(w, Fault{Status: 404, Description: "Not Found"})
		return
	}
	if token != s.Token {
		writeEnvelope(w, Fault{Status: 401, Description: "Unauthorized"})
		return
	}
	if method != "sendMessage" && method != "sendPhoto" && method != "sendMediaGroup" {
		writeEnvelope(w, Fault{Status: 404, Description: "Not Found"})
		return
	}
	p, err := readParams(r)
	if err != nil {
		writeEnvelope(w, Fault{Status: 400, Description: "Bad Request: " + err.Error()})
		return
	}
	call := Call{Method: method, ChatID: p.str("chat_id"), Received: received}
	fault, faulted := s.script.Take(func(Fault) bool { return true })
	if faulted {
		call.Fault = fault.String()
	}
	s.calls.Append(call)
	if faulted {
		switch {
		case fault.Hang:
			s.gate.Hold()
		case fault.Drop:
			if fault.Post {
				s.post(method, p, received)
			}
			fakeserver.Drop(w)
			return
		default:
			if fault.MigrateTo != 0 {
				s.mu.Lock()
				s.migrated[call.ChatID] = fault.MigrateTo
				s.mu.Unlock()
			}
			s.gate.Delay(s.latency.Get())
			writeEnvelope(w, fault)
			return
		}
	}
	result, fail := s.post(method, p, received)
	s.gate.Delay(s.latency.Get())
	if fail != nil {
		writeEnvelope(w, *fail)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "result": result})
}
