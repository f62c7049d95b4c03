// Package webhookfake is a local webhook receiver for tests and
// benchmarks: an httptest server that takes Herald's signed POSTs at
// /hooks/herald, checks Herald-Signature with webhook.Verify against its
// secret and clock (401 {"error": …} when it does not match or is stale),
// and answers 200 {"id": "evt_N"} (or 204 with NoID). With
// HonourIdempotencyKey a repeated Idempotency-Key answers the first
// delivery's id and records nothing new. It records every accepted
// delivery, counts calls that arrive before a 429's Retry-After passed
// (EarlyCalls), and can be scripted to fail and to answer after a latency.
package webhookfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"time"

	"github.com/heraldhq/herald"

	"github.com/heraldhq/herald/publishers/internal/fakeserver"
	"github.com/heraldhq/herald/publishers/webhook"
)

// DefaultSecret is the secret a fake checks signatures with when Options.Secret is empty.
const DefaultSecret = "test-webhook-secret"

// Path is where the fake receives deliveries.
const Path = "/hooks/herald"

// Options configure a fake.
type Options struct {
	Secret               string
	Tolerance            time.Duration // signature age accepted; webhook.DefaultTolerance when 0
	HonourIdempotencyKey bool
	NoID                 bool // answer 204 without a body
	Latency              time.Duration
	Now                  func() time.Time
}

// Delivery is one delivery the receiver accepted.
type Delivery struct {
	ID             string // the id answered
	Payload        webhook.Payload
	Raw            []byte
	Signature      string
	IdempotencyKey string
	Received       time.Time
}

// Call is one POST to Path as it arrived, whatever was answered.
type Call struct {
	Received time.Time
	Fault    string
	Rejected string // why the signature was refused, or ""
	Early    bool   // it arrived before a scripted 429's Retry-After passed
}

// Fault is one scripted answer to the next call with a valid signature.
type Fault struct {
	Status     int
	Body       string // the answer body (JSON or text)
	RetryAfter int    // Retry-After seconds; with 429 later calls before it passes get 429 too
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

// TooManyRequests answers 429 {"error":"slow down"} with Retry-After: seconds.
func TooManyRequests(seconds int) Fault {
	return Fault{Status: 429, Body: `{"error":"slow down"}`, RetryAfter: seconds}
}

// ServerError answers 503 {"error":"receiver unavailable"}.
func ServerError() Fault { return Fault{Status: 503, Body: `{"error":"receiver unavailable"}`} }

// Unprocessable answers 422 {"error": msg}.
func Unprocessable(msg string) Fault {
	b, _ := json.Marshal(map[string]string{"error": msg})
	return Fault{Status: 422, Body: string(b)}
}

// Gone answers 410 {"error":"this hook was removed"}.
func Gone() Fault { return Fault{Status: 410, Body: `{"error":"this hook was removed"}`} }

// Unauthorized answers 401 {"error":"invalid signature"}, as for a wrong secret.
func Unauthorized() Fault { return Fault{Status: 401, Body: `{"error":"invalid signature"}`} }

// Hang holds the next call until Release, then accepts it normally.
func Hang() Fault { return Fault{Hang: true} }

// Drop closes the connection after reading the next call; nothing is recorded.
func Drop() Fault { return Fault{Drop: true} }

// DropAfterPost accepts the next delivery, then closes the connection without answering.
func DropAfterPost() Fault { return Fault{Drop: true, Post: true} }

type base = fakeserver.Base[Fault, Call]

// Server is a running fake. Its methods are safe for concurrent use.
// Through fakeserver.Base it also has Close, SetLatency, Script, Pending,
// Release, Held, Calls and WaitCalls.
type Server struct {
	base

	// URL is the receiver's URL (with Path), to put in a channel's config.url.
	URL    string
	Secret string

	opts       Options
	deliveries fakeserver.Log[Delivery]

	mu           sync.Mutex
	seq          int
	byKey        map[string]string
	blockedUntil time.Time
	early        int
	rejected     int
}

// New starts a fake. Close it when done.
func New(opts Options) *Server {
	fakeserver.Default(&opts.Secret, DefaultSecret)
	if opts.Now == nil {
		opts.Now = herald.Now
	}
	s := &Server{opts: opts, Secret: opts.Secret, byKey: map[string]string{}}
	s.URL = fakeserver.Start(&s.base, opts.Latency, http.HandlerFunc(s.handle)) + Path
	return s
}

// Deliveries returns every delivery accepted so far, in order (replays excluded).
func (s *Server) Deliveries() []Delivery { return s.deliveries.All() }

// WaitDeliveries waits until at least n deliveries were accepted and returns
// them all; after timeout it returns those accepted and an error.
func (s *Server) WaitDeliveries(n int, timeout time.Duration) ([]Delivery, error) {
	return s.deliveries.Wait(n, timeout)
}

// Rejected reports how many calls had a missing, stale or wrong signature.
func (s *Server) Rejected() int { s.mu.Lock(); defer s.mu.Unlock(); return s.rejected }

// EarlyCalls reports how many calls arrived before a 429's Retry-After passed.
func (s *Server) EarlyCalls() int { s.mu.Lock(); defer s.mu.Unlock(); return s.early }

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	now := s.opts.Now()
	if r.URL.Path != Path || r.Method != http.MethodPost {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not found"})
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	call := Call{Received: now}
	if err := webhook.Verify(s.Secret, r.Header.Get(webhook.SignatureHeader), body, now, s.opts.Tolerance); err != nil {
		s.mu.Lock()
		s.rejected++
		s.mu.Unlock()
		call.Rejected = err.Error()
		fakeserver.Record(&s.base, call)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid signature: " + err.Error()})
		return
	}
	s.mu.Lock()
	blocked, wait := now.Before(s.blockedUntil), s.blockedUntil.Sub(now)
	if blocked {
		s.early++
	}
	s.mu.Unlock()
	if blocked {
		call.Early = true
		fakeserver.Record(&s.base, call)
		w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": "slow down"})
		return
	}
	fault, faulted := fakeserver.TakeFault(&s.base, func(Fault) bool { return true })
	var fail func(*httptest.ResponseRecorder)
	if faulted {
		call.Fault = fault.String()
		fail = func(rec *httptest.ResponseRecorder) {
			if fault.RetryAfter > 0 {
				rec.Header().Set("Retry-After", strconv.Itoa(fault.RetryAfter))
				if fault.Status == http.StatusTooManyRequests {
					s.mu.Lock()
					s.blockedUntil = now.Add(time.Duration(fault.RetryAfter) * time.Second)
					s.mu.Unlock()
				}
			}
			rec.Header().Set("Content-Type", "application/json")
			rec.WriteHeader(fault.Status)
			rec.WriteString(fault.Body)
		}
	}
	fakeserver.Record(&s.base, call)
	fakeserver.Serve(&s.base, w, fault.conn(), func(rec *httptest.ResponseRecorder) { s.accept(rec, r, body, now) }, fail, nil)
}

// accept records a delivery and answers its id, or replays a known key.
func (s *Server) accept(w http.ResponseWriter, r *http.Request, body []byte, now time.Time) {
	var p webhook.Payload
	if err := json.Unmarshal(body, &p); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "body is not JSON"})
		return
	}
	key := r.Header.Get("Idempotency-Key")
	s.mu.Lock()
	if id, ok := s.byKey[key]; ok && key != "" && s.opts.HonourIdempotencyKey {
		s.mu.Unlock()
		s.answer(w, id)
		return
	}
	s.seq++
	d := Delivery{ID: "evt_" + strconv.Itoa(s.seq), Payload: p, Raw: body,
		Signature: r.Header.Get(webhook.SignatureHeader), IdempotencyKey: key, Received: now}
	if key != "" {
		s.byKey[key] = d.ID
	}
	s.mu.Unlock()
	s.deliveries.Append(d)
	s.answer(w, d.ID)
}

func (s *Server) answer(w http.ResponseWriter, id string) {
	if s.opts.NoID {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"id": id})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	fakeserver.WriteJSON(w, status, "application/json", v)
}
