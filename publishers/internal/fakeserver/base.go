package fakeserver

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"time"
)

// Base is the server plumbing every platform fake shares: the httptest
// server, the script of faults F, the gate Hang faults hold calls at, the
// latency, and the log of calls C. A fake embeds it to get Close,
// SetLatency, Script, Pending, Release, Held, Calls and WaitCalls on its
// Server, through an unexported alias so that the embedded field stays
// unexported:
//
//	type base = fakeserver.Base[Fault, Call]
//
//	type Server struct {
//		base
//		URL string
//		…
//	}
//
// New starts it with Start; the handler drives it with the package
// functions TakeFault, Record and Serve (or Hold, Delay, Drop and Replay
// where its answer does not fit Serve), which are functions rather than
// methods so that they do not become methods of the fake's Server.
type Base[F, C any] struct {
	srv     *httptest.Server
	latency Latency
	script  Script[F]
	gate    *Gate
	calls   Log[C]
}

// Start sets b's latency, starts its httptest server with h and returns the
// server's URL. Call it once, from the fake's constructor, after everything
// h reads is set up.
func Start[F, C any](b *Base[F, C], latency time.Duration, h http.Handler) string {
	b.gate = NewGate()
	b.latency.Set(latency)
	b.srv = httptest.NewServer(h)
	return b.srv.URL
}

// TakeFault removes and returns the first scripted fault match accepts.
func TakeFault[F, C any](b *Base[F, C], match func(F) bool) (F, bool) {
	return b.script.Take(match)
}

// Record appends a call to the log Calls and WaitCalls read.
func Record[F, C any](b *Base[F, C], call C) { b.calls.Append(call) }

// Hold blocks the current call until Release or Close.
func Hold[F, C any](b *Base[F, C]) { b.gate.Hold() }

// Delay waits the current latency, or less when the server is closed.
func Delay[F, C any](b *Base[F, C]) { b.gate.Delay(b.latency.Get()) }

// Close releases held calls and stops the server.
func (b *Base[F, C]) Close() {
	b.gate.Close()
	b.srv.Close()
}

// SetLatency changes the delay added to every answer.
func (b *Base[F, C]) SetLatency(d time.Duration) { b.latency.Set(d) }

// Script queues faults: each following call consumes the first queued
// fault that applies to it (see the fake's Fault) and answers with it.
func (b *Base[F, C]) Script(faults ...F) { b.script.Push(faults...) }

// Pending reports how many scripted faults are still queued.
func (b *Base[F, C]) Pending() int { return b.script.Len() }

// Release lets every call held by a Hang fault go on.
func (b *Base[F, C]) Release() { b.gate.Release() }

// Held reports how many calls a Hang fault is holding now.
func (b *Base[F, C]) Held() int { return b.gate.Waiting() }

// Calls returns every call recorded so far, in order (see the fake's Call
// for which calls are recorded).
func (b *Base[F, C]) Calls() []C { return b.calls.All() }

// WaitCalls waits until at least n calls were recorded and returns them
// all; after timeout it returns those recorded and an error.
func (b *Base[F, C]) WaitCalls(n int, timeout time.Duration) ([]C, error) {
	return b.calls.Wait(n, timeout)
}

// Conn is what a scripted fault does to the connection rather than to the
// answer.
type Conn struct {
	Hang bool // hold the call until Release (or Close), then answer it normally
	Drop bool // close the connection without answering
	Post bool // with Drop: answer normally first (the post is made)
}

// Serve answers one call of a fake through a recorder. fail is nil when no
// fault was scripted for the call, and normal then answers it; otherwise
// conn says what the fault does to the connection: Hang holds the call
// until Release (or Close) and then answers it normally, Drop closes the
// connection without answering (after answering normally when Post), and
// any other fault answers with fail. record, unless nil, is called once:
// before a Hang call is held, otherwise as soon as the answer is written
// (before the connection is dropped). Serve then waits the latency and
// sends the answer.
func Serve[F, C any](b *Base[F, C], w http.ResponseWriter, conn Conn, normal, fail func(*httptest.ResponseRecorder), record func()) {
	if record == nil {
		record = func() {}
	}
	rec := httptest.NewRecorder()
	switch {
	case fail != nil && conn.Hang:
		record()
		Hold(b)
		normal(rec)
	case fail != nil && conn.Drop:
		if conn.Post {
			normal(rec)
		}
		record()
		Drop(w)
		return
	case fail != nil:
		fail(rec)
		record()
	default:
		normal(rec)
		record()
	}
	Delay(b)
	Replay(w, rec)
}

// ConnFaultName names the connection-level faults every fake scripts alike
// — "hang", "drop-after-post" (drop and post), "drop" — or returns "" when
// the fault is none of them.
func ConnFaultName(hang, drop, post bool) string {
	switch {
	case hang:
		return "hang"
	case drop && post:
		return "drop-after-post"
	case drop:
		return "drop"
	}
	return ""
}

// Replay sends what rec recorded to w: its headers, status and body.
func Replay(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, vs := range rec.Header() {
		w.Header()[k] = vs
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

// Default sets *s to d when *s is empty: an Options field's default.
func Default(s *string, d string) {
	if *s == "" {
		*s = d
	}
}

// WriteJSON answers status with v encoded as JSON, labelled contentType
// (fakes copy their platform's exact Content-Type).
func WriteJSON(w http.ResponseWriter, status int, contentType string, v any) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
