package httpcall

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
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
