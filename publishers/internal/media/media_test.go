package media

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/publishers/outbound"
)

// png is a minimal PNG signature followed by filler, enough for sniffing.
var png = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 64)...)

type served struct {
	status int
	ctype  string // "-" sends no Content-Type at all
	body   []byte
	chunk  bool // no Content-Length
}

func server(t *testing.T, routes map[string]served) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		s, ok := routes[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if s.ctype == "-" {
			w.Header()["Content-Type"] = nil
		} else if s.ctype != "" {
			w.Header().Set("Content-Type", s.ctype)
		}
		if s.status != 0 {
			w.WriteHeader(s.status)
		}
		if s.chunk {
			w.(http.Flusher).Flush()
		}
		w.Write(s.body)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestFetch(t *testing.T) {
	big := append(append([]byte{}, png...), bytes.Repeat([]byte{1}, 200)...)
	srv, _ := server(t, map[string]served{
		"/cat.png":      {ctype: "image/png", body: png},
		"/sniffed":      {ctype: "application/octet-stream", body: png},
		"/untyped":      {ctype: "-", body: png},
		"/video.mp4":    {ctype: "video/mp4; codecs=avc1", body: []byte("....ftypisom")},
		"/page.html":    {ctype: "text/html; charset=utf-8", body: []byte("<html></html>")},
		"/big.png":      {ctype: "image/png", body: big},
		"/big-chunked":  {ctype: "image/png", body: big, chunk: true},
		"/gone.png":     {status: 410, ctype: "text/plain", body: []byte("gone")},
		"/down.png":     {status: 503, ctype: "text/plain", body: []byte("down")},
		"/slowdown.png": {status: 429, ctype: "text/plain", body: []byte("slow down")},
	})
	opts := Options{MaxBytes: 100}
	cases := []struct {
		path      string
		opts      Options
		ctype     string
		name      string
		permanent bool
		fails     bool
	}{
		{path: "/cat.png", ctype: "image/png", name: "cat.png"},
		{path: "/sniffed", ctype: "image/png", name: "sniffed.png"},
		{path: "/untyped", ctype: "image/png", name: "untyped.png"},
		{path: "/video.mp4", ctype: "video/mp4", name: "video.mp4"},
		{path: "/page.html", fails: true, permanent: true},
		{path: "/video.mp4", opts: Options{MaxBytes: 100, Accept: []string{"image/"}}, fails: true, permanent: true},
		{path: "/big.png", fails: true, permanent: true},
		{path: "/big-chunked", fails: true, permanent: true},
		{path: "/big.png", opts: Options{MaxBytes: 1 << 20}, ctype: "image/png", name: "big.png"},
		{path: "/gone.png", fails: true, permanent: true},
		{path: "/down.png", fails: true},
		{path: "/slowdown.png", fails: true},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			o := opts
			if c.opts.MaxBytes != 0 {
				o = c.opts
			}
			f, err := Fetch(context.Background(), loopback, srv.URL+c.path, o)
			if c.fails {
				if err == nil {
					t.Fatalf("no error, got %s %d bytes", f.ContentType, len(f.Data))
				}
				if errors.Is(err, ErrPermanent) != c.permanent {
					t.Fatalf("error %v: permanent=%v, want %v", err, errors.Is(err, ErrPermanent), c.permanent)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if f.ContentType != c.ctype || f.Name != c.name || len(f.Data) == 0 {
				t.Fatalf("got %q %q %d bytes, want %q %q", f.ContentType, f.Name, len(f.Data), c.ctype, c.name)
			}
		})
	}
}

// loopback is the client these tests pass explicitly: their servers listen
// on 127.0.0.1, which the default client refuses.
var loopback = outbound.New(outbound.Options{Allow: outbound.Allow{Prefixes: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}})

func TestFetchRefusesLoopbackAtDialTime(t *testing.T) {
	srv, hits := server(t, map[string]served{"/cat.png": {ctype: "image/png", body: png}})
	port := srv.URL[strings.LastIndex(srv.URL, ":"):]
	// By IP, and by a name that resolves to loopback: either way the
	// guard sees the address being dialled.
	for _, u := range []string{srv.URL + "/cat.png", "http://localhost" + port + "/cat.png", "http://2130706433" + port + "/cat.png"} {
		_, err := Fetch(context.Background(), nil, u, Options{})
		if !errors.Is(err, ErrPermanent) || !errors.Is(err, ErrRefusedAddress) {
			t.Fatalf("%s: error %v, want ErrPermanent and ErrRefusedAddress", u, err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the server was reached %d times", n)
	}
}

// A redirect is followed (without credentials) only to an address the
// client's allowance allows: the guard judges every hop.
func TestFetchRedirects(t *testing.T) {
	srv, hits := server(t, map[string]served{"/cat.png": {ctype: "image/png", body: png}})
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			t.Error("credentials sent to a media URL")
		}
		http.Redirect(w, r, srv.URL+"/cat.png", http.StatusFound)
	}))
	defer redirect.Close()
	port := redirect.URL[strings.LastIndex(redirect.URL, ":"):]
	onlyByName := outbound.New(outbound.Options{Allow: outbound.Allow{Hosts: []string{"localhost"}}})
	if _, err := Fetch(context.Background(), onlyByName, "http://localhost"+port+"/x.png", Options{}); !errors.Is(err, ErrRefusedAddress) {
		t.Fatalf("redirect to 127.0.0.1 with only localhost allowed: %v, want refused", err)
	}
	if hits.Load() != 0 {
		t.Fatal("the redirect's target was reached")
	}
	f, err := Fetch(context.Background(), loopback, redirect.URL+"/x.png", Options{})
	if err != nil || f.ContentType != "image/png" || hits.Load() != 1 {
		t.Fatalf("redirect with loopback allowed: %v %q after %d hits", err, f.ContentType, hits.Load())
	}
}

func TestFetchRejectsBadURLs(t *testing.T) {
	for _, u := range []string{"ftp://example.com/a.png", "file:///etc/passwd", "/relative.png", "http://"} {
		if _, err := Fetch(context.Background(), loopback, u, Options{}); !errors.Is(err, ErrPermanent) {
			t.Errorf("%s: error %v, want ErrPermanent", u, err)
		}
	}
}

func TestFetchHonoursTheDeadline(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := Fetch(ctx, loopback, srv.URL+"/slow.png", Options{})
	if err == nil || errors.Is(err, ErrPermanent) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want a retryable deadline error", err)
	}
}

func TestFetchHonoursOptionsTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	_, err := Fetch(context.Background(), loopback, srv.URL+"/slow.png", Options{Timeout: 50 * time.Millisecond})
	if err == nil || errors.Is(err, ErrPermanent) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want a retryable deadline error", err)
	}
}
