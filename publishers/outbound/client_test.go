package outbound

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// counting is a loopback server that counts its requests and remembers the
// Authorization headers it got; /redirect answers 307 to /target.
func counting(t *testing.T) (*httptest.Server, *atomic.Int64, *atomic.Value) {
	t.Helper()
	var hits atomic.Int64
	var auth atomic.Value
	auth.Store("")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusTemporaryRedirect)
			return
		}
		if a := r.Header.Get("Authorization"); a != "" {
			auth.Store(a)
		}
		w.Write([]byte("ok"))
	}))
	t.Cleanup(srv.Close)
	return srv, &hits, &auth
}

// hostsOf are the spellings of the server's loopback address a request may
// use: the literal, localhost, IPv4-mapped IPv6, decimal, hexadecimal and
// short forms, and 0.0.0.0 (which Linux connects to the local host).
func hostsOf(srv *httptest.Server) []string {
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	var out []string
	for _, h := range []string{"127.0.0.1", "localhost", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "2130706433", "0x7f000001", "127.1", "0.0.0.0"} {
		out = append(out, "http://"+net.JoinHostPort(strings.Trim(h, "[]"), port))
	}
	return out
}

func TestGuardRefusesLoopbackInEverySpelling(t *testing.T) {
	srv, hits, _ := counting(t)
	c := New(Options{})
	for _, base := range hostsOf(srv) {
		resp, err := c.Get(base + "/x")
		if err == nil {
			resp.Body.Close()
			t.Errorf("%s: reached the server, want refused", base)
			continue
		}
		if !Refused(err) || !strings.Contains(err.Error(), "not a public address") {
			t.Errorf("%s: %v, want the guard's refusal", base, err)
		}
	}
	if hits.Load() != 0 {
		t.Fatalf("the loopback server got %d requests", hits.Load())
	}
	// Link-local (the cloud metadata address) and IPv6 loopback are refused
	// before anything is dialled.
	for _, u := range []string{"http://169.254.169.254/latest/meta-data/", "http://[::1]:9/", "http://[fe80::1%25lo]:9/", "http://100.100.100.200/"} {
		if _, err := c.Get(u); !Refused(err) {
			t.Errorf("%s: %v, want refused", u, err)
		}
	}
}

func TestGuardAllows(t *testing.T) {
	srv, hits, _ := counting(t)
	loopback, _ := ParseAllow("127.0.0.0/8")
	for _, a := range []Allow{AllowAll, loopback} {
		c := New(Options{Allow: a})
		for _, base := range hostsOf(srv) {
			resp, err := c.Get(base + "/x")
			if a.String() == "127.0.0.0/8" && strings.Contains(base, "0.0.0.0") {
				if !Refused(err) {
					t.Errorf("0.0.0.0 is not in 127.0.0.0/8: %v", err)
				}
				continue
			}
			if err != nil {
				t.Errorf("allow %q, %s: %v", a, base, err)
				continue
			}
			resp.Body.Close()
		}
	}
	if want := int64(2*len(hostsOf(srv)) - 1); hits.Load() != want {
		t.Errorf("%d requests reached the server, want %d", hits.Load(), want)
	}
	// A host name allows that name only, not the address it resolves to.
	byName := New(Options{Allow: Allow{Hosts: []string{"localhost"}}})
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	if resp, err := byName.Get("http://localhost:" + port + "/x"); err != nil {
		t.Errorf("localhost allowed by name: %v", err)
	} else {
		resp.Body.Close()
	}
	if _, err := byName.Get(srv.URL + "/x"); !Refused(err) {
		t.Errorf("127.0.0.1 with only localhost allowed: %v, want refused", err)
	}
}

// Platform calls never follow a redirect, not even to the same host: the
// 3xx comes back, and the Authorization header goes nowhere else.
func TestNoRedirects(t *testing.T) {
	srv, hits, auth := counting(t)
	c := New(Options{Allow: AllowAll})
	req, _ := http.NewRequest("POST", srv.URL+"/redirect?to=/target", strings.NewReader("{}"))
	req.Header.Set("Authorization", "Bearer SECRET")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTemporaryRedirect || hits.Load() != 1 || auth.Load() != "" {
		t.Fatalf("status %d after %d requests (auth seen %q), want the 307 itself", resp.StatusCode, hits.Load(), auth.Load())
	}
}

// Downloads follow redirects without credentials, each hop through the
// guard: a redirect to an address not allowed is refused.
func TestFollowRedirects(t *testing.T) {
	srv, hits, auth := counting(t)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	c := FollowRedirects(New(Options{Allow: AllowAll}))
	req, _ := http.NewRequest("GET", srv.URL+"/redirect?to=/target", nil)
	req.Header.Set("Authorization", "Bearer SECRET")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || hits.Load() != 2 || auth.Load() != "" {
		t.Fatalf("status %d after %d requests, auth %q; want 200 after 2 and no Authorization", resp.StatusCode, hits.Load(), auth.Load())
	}
	byName := FollowRedirects(New(Options{Allow: Allow{Hosts: []string{"localhost"}}}))
	_, err = byName.Get("http://localhost:" + port + "/redirect?to=" + srv.URL + "/target")
	if !Refused(err) || hits.Load() != 3 {
		t.Fatalf("redirect to 127.0.0.1: %v after %d requests, want refused after 3", err, hits.Load())
	}
	var re *RefusedError
	if !errors.As(err, &re) || re.IP.String() != "127.0.0.1" {
		t.Errorf("refusal %v", err)
	}
}

// As many calls at once to one host as Concurrency says (above the
// default's 100) leave that many connections open for the next round:
// a second round opens none (each would be a TLS handshake to a real API).
func TestConcurrentCallsKeepTheirConnections(t *testing.T) {
	const n = 150
	// gate holds a round's calls until all n have arrived, so that n
	// connections are in use at once.
	type gate struct {
		arrived atomic.Int64
		all     chan struct{} // closed by the n-th arrival
		release chan struct{}
	}
	newGate := func() *gate { return &gate{all: make(chan struct{}), release: make(chan struct{})} }
	for _, c := range []struct {
		concurrency int
		reused      bool
	}{{0, false}, {n, true}} {
		var opened atomic.Int64
		gates := []*gate{newGate(), newGate()}
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			round, err := strconv.Atoi(r.URL.Query().Get("round"))
			if err != nil || round < 0 || round >= len(gates) {
				http.Error(w, "no such round", http.StatusBadRequest)
				return
			}
			g := gates[round]
			if g.arrived.Add(1) == n {
				close(g.all)
			}
			<-g.release
			w.Write([]byte("ok"))
		}))
		srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				opened.Add(1)
			}
		}
		srv.Start()
		client := New(Options{Allow: AllowAll, Concurrency: c.concurrency})
		round := func(i int) {
			g := gates[i]
			errs := make(chan error, n)
			for range n {
				go func() {
					resp, err := client.Get(srv.URL + "/?round=" + strconv.Itoa(i))
					if err == nil {
						_, err = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
					}
					errs <- err
				}()
			}
			select {
			case <-g.all:
			case err := <-errs: // a call that ended before all arrived
				close(g.release)
				t.Fatalf("concurrency %d, round %d: a call ended before all %d arrived (%d did): %v", c.concurrency, i, n, g.arrived.Load(), err)
			case <-time.After(time.Minute):
				close(g.release)
				t.Fatalf("concurrency %d, round %d: %d of %d calls arrived within a minute", c.concurrency, i, g.arrived.Load(), n)
			}
			close(g.release)
			for range n {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
			}
		}
		round(0)
		once := opened.Load()
		round(1)
		again := opened.Load() - once
		srv.Close()
		if once != n {
			t.Errorf("concurrency %d: the first round opened %d connections, want %d", c.concurrency, once, n)
		}
		if (again == 0) != c.reused {
			t.Errorf("concurrency %d: the second round opened %d more connections; want none: %v", c.concurrency, again, c.reused)
		}
	}
}
