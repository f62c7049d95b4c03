package conformance

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/outbound"
)

// Network runs the outbound guard's scenarios over every endpoint the
// adapter declares (Publisher.Endpoints), pointed at a loopback server
// that counts what reaches it:
//
//   - declared: every http(s) URL in the fake's channel is a declared endpoint;
//   - refused: with the default client, endpoints at loopback in every
//     spelling (127.0.0.1, localhost, [::1], [::ffff:127.0.0.1], 2130706433,
//     0.0.0.0), at the cloud metadata address or on a private network are
//     never called: Publish fails and Check (when it calls the platform at
//     all) answers EINVALID, both saying the address is not public;
//   - allowed: with loopback allowed, the same endpoints are called;
//   - redirect: an endpoint answering 307 to another path of its own host is
//     not followed, even with loopback allowed: Publish fails, Check (when it
//     calls) answers EINVALID, both say "redirect", and the target gets nothing.
func Network(t *testing.T, e Entry) {
	t.Run("declared", func(t *testing.T) { declared(t, e) })
	t.Run("refused", func(t *testing.T) { refused(t, e) })
	t.Run("allowed", func(t *testing.T) { allowed(t, e) })
	t.Run("redirect", func(t *testing.T) { redirected(t, e) })
}

// declared: an http(s) URL among the channel's config or credentials that
// is not a declared endpoint could take the credentials elsewhere unchecked.
func declared(t *testing.T, e Entry) {
	p, pub := start(t, e)
	ch := p.Channel()
	var values []string
	for k, v := range ch.Config {
		if s, ok := v.(string); ok {
			values = append(values, "config."+k+"="+s)
		}
	}
	for k, v := range ch.Credentials {
		values = append(values, "credentials."+k+"="+v)
	}
	for _, kv := range values {
		key, v, _ := strings.Cut(kv, "=")
		if (strings.HasPrefix(v, "http://") || strings.HasPrefix(v, "https://")) && !slices.Contains(pub.Endpoints(), key) {
			t.Errorf("%s holds a URL but is not among Endpoints() %v", key, pub.Endpoints())
		}
	}
}

// sentinel is a loopback server counting requests; with redirect it
// answers every path but /moved/… with a 307 to /moved/<path>.
type sentinel struct {
	*httptest.Server
	hits, moved atomic.Int64
}

func newSentinel(t *testing.T, redirect bool) *sentinel {
	s := &sentinel{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/moved/") {
			s.moved.Add(1)
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"ok":true,"id":"1","result":{"message_id":1}}`))
			return
		}
		s.hits.Add(1)
		if redirect {
			http.Redirect(w, r, "/moved"+r.URL.RequestURI(), http.StatusTemporaryRedirect)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"error":"sentinel"}`))
	}))
	t.Cleanup(s.Close)
	return s
}

// port is the sentinel's port.
func (s *sentinel) port() string {
	_, port, _ := net.SplitHostPort(s.Listener.Addr().String())
	return port
}

// pointAt returns a copy of ch whose declared endpoints have host (and
// the http scheme) instead of theirs, paths kept. It fails t when ch has
// none of them set.
func pointAt(t *testing.T, ch *herald.Channel, endpoints []string, host string) *herald.Channel {
	t.Helper()
	c := *ch
	c.Config, c.Credentials = map[string]any{}, map[string]string{}
	for k, v := range ch.Config {
		c.Config[k] = v
	}
	for k, v := range ch.Credentials {
		c.Credentials[k] = v
	}
	n := 0
	for _, key := range endpoints {
		kind, name, _ := strings.Cut(key, ".")
		var raw string
		if kind == "config" {
			raw = c.ConfigString(name)
		} else {
			raw = c.Credentials[name]
		}
		if raw == "" {
			continue
		}
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		u.Scheme, u.Host = "http", host
		if kind == "config" {
			c.Config[name] = u.String()
		} else {
			c.Credentials[name] = u.String()
		}
		n++
	}
	if n == 0 {
		t.Fatalf("the fake's channel sets none of the endpoints %v", endpoints)
	}
	return &c
}

// refused: the default client calls no non-public address. Each address
// gets a fresh adapter, so that its own pacing never holds a publish back.
func refused(t *testing.T, e Entry) {
	p, pub := start(t, e)
	if len(pub.Endpoints()) == 0 {
		t.Skipf("%s declares no endpoint", p.Name())
	}
	s := newSentinel(t, false)
	port := s.port()
	checkCalls := checks(t, p, pub, newSentinel(t, false))
	hosts := []string{"127.0.0.1:" + port, "localhost:" + port, "[::1]:" + port, "[::ffff:127.0.0.1]:" + port,
		"2130706433:" + port, "0.0.0.0:" + port, "169.254.169.254", "[::ffff:a9fe:a9fe]", "10.0.0.1:" + port, "100.64.0.1"}
	for _, host := range hosts {
		p, pub := startWith(t, e, outbound.Client(nil))
		ch := pointAt(t, p.Channel(), pub.Endpoints(), host)
		req := request(e, p, "refused "+host)
		req.Channel = *ch
		res := publish(t, pub, req)
		if res.Outcome != herald.OutcomeFailed || !strings.Contains(res.Reason, "not a public address") {
			t.Errorf("%s: publish %s (%q), want failed: not a public address", host, res.Outcome, res.Reason)
		}
		ctx, cancel := context.WithTimeout(context.Background(), Timeout)
		err := pub.Check(ctx, ch)
		cancel()
		if checkCalls && (herald.ErrorCode(err) != herald.EINVALID || !strings.Contains(herald.ErrorMessage(err), "not a public address")) {
			t.Errorf("%s: check %v, want EINVALID: not a public address", host, err)
		}
		if len(p.Posted()) != 0 {
			t.Errorf("%s: the fake published %d posts", host, len(p.Posted()))
		}
	}
	if n := s.hits.Load(); n != 0 {
		t.Errorf("the loopback server got %d requests", n)
	}
}

// checks reports whether pub's Check calls the platform at all (Slack's
// and the signed webhook's call nothing): it runs one against s with
// loopback allowed.
func checks(t *testing.T, p Platform, pub Publisher, s *sentinel) bool {
	t.Helper()
	before := s.hits.Load() + s.moved.Load()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	pub.Check(ctx, pointAt(t, p.Channel(), pub.Endpoints(), "127.0.0.1:"+s.port()))
	return s.hits.Load()+s.moved.Load() > before
}

// allowed: with loopback allowed, the endpoints are called.
func allowed(t *testing.T, e Entry) {
	p, pub := start(t, e)
	if len(pub.Endpoints()) == 0 {
		t.Skipf("%s declares no endpoint", p.Name())
	}
	s := newSentinel(t, false)
	ch := pointAt(t, p.Channel(), pub.Endpoints(), "127.0.0.1:"+s.port())
	req := request(e, p, "allowed")
	req.Channel = *ch
	publish(t, pub, req)
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	pub.Check(ctx, ch)
	if s.hits.Load() == 0 {
		t.Error("with loopback allowed, no call reached the endpoint")
	}
}

// redirected: no redirect is followed, not even to the same host.
func redirected(t *testing.T, e Entry) {
	p, pub := start(t, e)
	if len(pub.Endpoints()) == 0 {
		t.Skipf("%s declares no endpoint", p.Name())
	}
	s := newSentinel(t, true)
	ch := pointAt(t, p.Channel(), pub.Endpoints(), "127.0.0.1:"+s.port())
	req := request(e, p, "redirect")
	req.Channel = *ch
	res := publish(t, pub, req)
	if res.Outcome != herald.OutcomeFailed || !strings.Contains(res.Reason, "redirect") {
		t.Errorf("publish %s (%q), want failed, saying redirect", res.Outcome, res.Reason)
	}
	if s.hits.Load() == 0 {
		t.Error("the endpoint was not called")
	}
	before := s.hits.Load()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	err := pub.Check(ctx, ch)
	if called := s.hits.Load() > before; called && (herald.ErrorCode(err) != herald.EINVALID || !strings.Contains(herald.ErrorMessage(err), "redirect")) {
		t.Errorf("check %v, want EINVALID saying redirect", err)
	}
	if n := s.moved.Load(); n != 0 {
		t.Errorf("the redirect was followed %d times", n)
	}
}
