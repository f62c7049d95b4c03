// Package telegramfake is a local Telegram Bot API for tests and
// benchmarks: an httptest server that answers sendMessage, sendPhoto,
// sendMediaGroup, getMe and getChat as the real API documents (ok:true/ok:false envelopes,
// 401 on a wrong token, per-chat message ids, the 4096/1024 UTF-16 limits,
// migrated chats), records every message it posts, and can be scripted to
// fail (429 retry_after, 5xx, 400s, migrate_to_chat_id, hang, drop) and
// to answer after a fixed latency.
package telegramfake

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/heraldhq/herald"

	"github.com/heraldhq/herald/publishers/internal/fakeserver"
)

// DefaultToken is the bot token a fake accepts when Options.Token is empty.
const DefaultToken = "123456:TEST-fake-token"

// Options configure a fake.
type Options struct {
	Token   string           // the bot token accepted; DefaultToken when empty
	Latency time.Duration    // added to every answer (the message is posted first)
	Now     func() time.Time // clock for Received and message dates; herald.Now when nil
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

// base is embedded in Server through an alias so the field stays unexported.
type base = fakeserver.Base[Fault, Call]

// Server is a running fake. Its methods are safe for concurrent use.
// Through fakeserver.Base it also has Close, SetLatency, Script (each call
// consumes the next queued fault instead of its normal answer), Pending, Release,
// Held, Calls and WaitCalls (every authorized call).
type Server struct {
	base

	// URL is the API base URL, to put in a channel's config.base_url.
	URL   string
	Token string

	now      func() time.Time
	messages fakeserver.Log[Message]

	mu       sync.Mutex
	nextID   map[string]int64 // per chat
	migrated map[string]int64 // chat → the supergroup it became
	gone     map[string]bool  // chats the bot no longer sees (RemoveChat)
	albums   int64
}

// New starts a fake. Close it when done.
func New(opts Options) *Server {
	s := &Server{
		Token:    opts.Token,
		now:      opts.Now,
		nextID:   map[string]int64{},
		migrated: map[string]int64{},
		gone:     map[string]bool{},
	}
	if s.Token == "" {
		s.Token = DefaultToken
	}
	if s.now == nil {
		s.now = herald.Now
	}
	s.URL = fakeserver.Start(&s.base, opts.Latency, http.HandlerFunc(s.handle))
	return s
}

// Messages returns every message posted so far, in order.
func (s *Server) Messages() []Message { return s.messages.All() }

// WaitMessages waits until at least n messages were posted and returns them
// all; after timeout it returns those posted and an error.
func (s *Server) WaitMessages(n int, timeout time.Duration) ([]Message, error) {
	return s.messages.Wait(n, timeout)
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
	send := method == "sendMessage" || method == "sendPhoto" || method == "sendMediaGroup"
	if !send && method != "getMe" && method != "getChat" {
		writeEnvelope(w, Fault{Status: 404, Description: "Not Found"})
		return
	}
	p, err := readParams(r)
	if err != nil {
		writeEnvelope(w, Fault{Status: 400, Description: "Bad Request: " + err.Error()})
		return
	}
	call := Call{Method: method, ChatID: p.str("chat_id"), Received: received}
	fault, faulted := fakeserver.TakeFault(&s.base, func(Fault) bool { return true })
	if faulted {
		call.Fault = fault.String()
	}
	fakeserver.Record(&s.base, call)
	if faulted {
		switch {
		case fault.Hang:
			fakeserver.Hold(&s.base)
		case fault.Drop:
			if fault.Post && send {
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
			fakeserver.Delay(&s.base)
			writeEnvelope(w, fault)
			return
		}
	}
	var result any
	var fail *Fault
	switch {
	case s.removed(call.ChatID):
		fail = &Fault{Status: 400, Description: "Bad Request: chat not found"}
	case method == "getMe":
		result = s.me()
	case method == "getChat":
		result, fail = s.chat(call.ChatID)
	default:
		result, fail = s.post(method, p, received)
	}
	fakeserver.Delay(&s.base)
	if fail != nil {
		writeEnvelope(w, *fail)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "result": result})
}
