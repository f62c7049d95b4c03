package httpcall

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/outbound"
)

// failingBody yields some bytes, then fails: the request never goes out whole.
type failingBody struct{ sent bool }

func (b *failingBody) Read(p []byte) (int, error) {
	if !b.sent {
		b.sent = true
		return copy(p, "partial"), nil
	}
	return 0, errors.New("disk read failed")
}

// Do tells a request that certainly never reached the server (refused, or
// not written whole) from one that may have (the server read it, then the
// connection dropped without an answer).
func TestDoSent(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String()
	ln.Close()

	dropping := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	defer dropping.Close()
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Write([]byte("fine"))
	}))
	defer ok.Close()

	cases := []struct {
		name     string
		url      string
		body     io.Reader
		wantSent bool
		wantErr  bool
	}{
		{"refused", refused, strings.NewReader("x"), false, true},
		{"body not written whole", ok.URL, &failingBody{}, false, true},
		{"read, then dropped", dropping.URL, strings.NewReader("x"), true, true},
		{"answered", ok.URL, strings.NewReader("x"), true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", c.url, c.body)
			req.ContentLength = -1
			_, sent, err := Do(loopback, req, 1<<10)
			if sent != c.wantSent || (err != nil) != c.wantErr {
				t.Errorf("sent %v err %v; want sent %v, error %v", sent, err, c.wantSent, c.wantErr)
			}
		})
	}
}

// loopback is an outbound client allowed to reach the tests' servers.
var loopback = outbound.New(outbound.Options{Allow: outbound.AllowAll})

// A redirect comes back as the answer with a *RedirectError, and a refused
// address as the guard's error: both are Stopped, so the publish fails
// instead of retrying what cannot change.
func TestDoStopsAtRedirectsAndRefusals(t *testing.T) {
	srv := httptest.NewServer(http.RedirectHandler("/elsewhere/bot123:SECRET/x", http.StatusTemporaryRedirect))
	defer srv.Close()
	req, _ := http.NewRequest("POST", srv.URL+"/bot123:SECRET/sendMessage", strings.NewReader("{}"))
	resp, sent, err := Do(loopback, req, 1<<10)
	var re *RedirectError
	if !errors.As(err, &re) || !Stopped(err) || resp == nil || resp.Status != 307 || !sent || Unanswered(err) != herald.OutcomeFailed {
		t.Fatalf("redirect: %v %v %v", resp, sent, err)
	}
	if text := ErrorText(err, "", "123:SECRET"); strings.Contains(text, "SECRET") || !strings.Contains(text, "does not follow") {
		t.Errorf("redirect text %q", text)
	}
	req, _ = http.NewRequest("GET", srv.URL+"/x", nil)
	_, sent, err = Do(outbound.Client(nil), req, 1<<10)
	if !Stopped(err) || sent || Unanswered(err) != herald.OutcomeFailed {
		t.Fatalf("refused: sent %v %v", sent, err)
	}
	if Stopped(errors.New("connection reset")) || Unanswered(errors.New("connection reset")) != herald.OutcomeRetry {
		t.Error("a network error is not Stopped")
	}
}

// A request with an Idempotency-Key header, on a kept-alive connection
// that closes after the server read it: Go's transport sends it again by
// itself, unless NoReplay; then the server gets it once, and Do says it
// may have arrived.
func TestNoReplay(t *testing.T) {
	for _, noReplay := range []bool{false, true} {
		t.Run(fmt.Sprintf("NoReplay=%v", noReplay), func(t *testing.T) { replays(t, noReplay) })
	}
}

// replays publishes once on a warm connection that closes without answering.
func replays(t *testing.T, noReplay bool) {
	var got atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if r.URL.Path == "/warm" {
			return
		}
		if got.Add(1) == 1 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		}
	}))
	defer srv.Close()
	client := outbound.New(outbound.Options{Allow: outbound.AllowAll})
	client.Transport.(*http.Transport).MaxConnsPerHost = 1 // the POST goes out on the warm connection
	warm, _ := http.NewRequest("GET", srv.URL+"/warm", nil)
	if _, _, err := Do(client, warm, 1<<10); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", srv.URL+"/post", strings.NewReader(`{"text":"once"}`))
	req.Header.Set("Idempotency-Key", "k1")
	if noReplay {
		NoReplay(req)
	}
	_, sent, err := Do(client, req, 1<<10)
	switch {
	case noReplay && (got.Load() != 1 || err == nil || !sent):
		t.Errorf("NoReplay: the server got %d requests, Do sent %v err %v; want 1, sent, an error", got.Load(), sent, err)
	case !noReplay && got.Load() != 2:
		// The transport's replay is why NoReplay exists: if Go stops
		// replaying, this test says so.
		t.Errorf("without NoReplay: the server got %d requests, want 2 (the transport's replay)", got.Load())
	}
}

// NoReplay leaves redirects as they were: the answer with a *RedirectError.
func TestNoReplayRedirect(t *testing.T) {
	srv := httptest.NewServer(http.RedirectHandler("/elsewhere", http.StatusTemporaryRedirect))
	defer srv.Close()
	req, _ := http.NewRequest("POST", srv.URL+"/hook", strings.NewReader("{}"))
	req.Header.Set("Idempotency-Key", "k1")
	NoReplay(req)
	var re *RedirectError
	if resp, _, err := Do(loopback, req, 1<<10); !errors.As(err, &re) || resp == nil || resp.Status != http.StatusTemporaryRedirect {
		t.Fatalf("redirect: %v %v", resp, err)
	}
}
