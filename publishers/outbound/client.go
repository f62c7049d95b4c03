// Package outbound builds the HTTP client every publisher adapter calls its
// platform with and downloads media with — one client, built in one place:
// timeouts, a guard that judges the address actually dialled (after name
// resolution, so DNS rebinding cannot get around it) and refuses loopback,
// private, link-local, unspecified, shared (CGNAT), multicast and other
// non-public addresses — also in their IPv4-mapped, NAT64, 6to4 and numeric
// shorthand forms — unless the operator allows them (Allow), and no
// redirects for platform calls: a 3xx answer comes back as it is, so the
// credentials a request carries never follow it anywhere.
//
// Connections are made directly, never through HTTP(S)_PROXY: through a
// proxy the guard would judge the proxy's address, not the platform's.
package outbound

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// DefaultTimeout bounds a whole call of a client when Options.Timeout is 0.
const DefaultTimeout = 60 * time.Second

// MaxRedirects is how many redirects FollowRedirects follows.
const MaxRedirects = 5

// ErrRefused is wrapped by every refusal of the guard (a *RefusedError).
var ErrRefused = errors.New("address refused")

// RefusedError is the guard's refusal of one address.
type RefusedError struct {
	Host string     // the host as the URL names it
	IP   netip.Addr // the address it resolved to
}

func (e *RefusedError) Error() string {
	ip := e.IP.WithZone("").Unmap()
	if e.Host != "" && e.Host != ip.String() {
		return fmt.Sprintf("%v: %s is %s, not a public address (%s address; HERALD_ALLOW_PRIVATE_NETWORKS can allow it)", ErrRefused, e.Host, ip, withArticle(Kind(ip)))
	}
	return fmt.Sprintf("%v: %s is not a public address (%s address; HERALD_ALLOW_PRIVATE_NETWORKS can allow it)", ErrRefused, ip, withArticle(Kind(ip)))
}

func (e *RefusedError) Unwrap() error { return ErrRefused }

// Options configure a client.
type Options struct {
	Allow   Allow         // the non-public addresses it may reach; none when zero
	Timeout time.Duration // bound on a whole call; DefaultTimeout when 0
	// Concurrency is how many calls the caller may make at once (the
	// scheduler's workers): that many connections to one host are kept
	// open between calls, at least DefaultIdlePerHost. Many channels post
	// to one API at once; a connection closed after each call would be
	// opened again, a TLS handshake each, by the next.
	Concurrency int
}

// DefaultIdlePerHost is the connections to one host kept open between
// calls when Options.Concurrency is lower.
const DefaultIdlePerHost = 100

// New returns a client whose every connection goes through the guard,
// which refuses non-public addresses opts.Allow does not allow, and which
// follows no redirect (the 3xx answer is returned; see FollowRedirects for
// downloads). Pass one long-lived client: it pools connections.
func New(opts Options) *http.Client {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	idle := max(opts.Concurrency, DefaultIdlePerHost)
	g := &guard{allow: opts.Allow}
	t := &http.Transport{
		Proxy:                 nil,
		DialContext:           g.dial,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          2 * idle, // a few hosts, one of them the busiest
		MaxIdleConnsPerHost:   idle,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{Transport: t, Timeout: opts.Timeout, CheckRedirect: noRedirects}
}

// noRedirects hands a 3xx answer back to the caller instead of following it.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// strict is the client of callers that give none: public addresses only.
var strict = New(Options{})

// Client returns c, or when c is nil the default client: New(Options{}),
// which reaches public addresses only. A client given is used as it is:
// build it with New.
func Client(c *http.Client) *http.Client {
	if c == nil {
		return strict
	}
	return c
}

// FollowRedirects returns a copy of c (sharing its transport, so its
// guard and its pooled connections) that follows up to MaxRedirects
// redirects to http(s) URLs, for downloads that carry no credentials: the
// Authorization, Cookie and Proxy-Authorization headers are dropped on
// every redirect, whatever its host.
func FollowRedirects(c *http.Client) *http.Client {
	f := *Client(c)
	f.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) > MaxRedirects {
			return fmt.Errorf("stopped after %d redirects", MaxRedirects)
		}
		if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
			return fmt.Errorf("redirected to a %s: URL", req.URL.Scheme)
		}
		for _, h := range []string{"Authorization", "Cookie", "Proxy-Authorization"} {
			req.Header.Del(h)
		}
		return nil
	}
	return &f
}

// guard dials only addresses its allowance permits.
type guard struct{ allow Allow }

// dial connects to addr ("host:port") through a dialer whose Control sees
// each address actually dialled, after name resolution. A numeric host in
// a shorthand form (2130706433) is dialled as the IPv4 address it means.
func (g *guard) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if ip, ok := ParseHost(host); ok {
		if !g.allow.Permits(host, ip) {
			return nil, &net.OpError{Op: "dial", Net: network, Err: &RefusedError{Host: host, IP: ip}}
		}
		addr = net.JoinHostPort(ip.String(), port)
	}
	d := net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second,
		Control: func(_, address string, _ syscall.RawConn) error { return g.check(host, address) }}
	return d.DialContext(ctx, network, addr)
}

// check refuses address ("ip:port") unless it is public or allowed for host.
func (g *guard) check(host, address string) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: cannot tell the address of %q", ErrRefused, address)
	}
	if !g.allow.Permits(host, ap.Addr()) {
		return &RefusedError{Host: host, IP: ap.Addr()}
	}
	return nil
}

// Refused reports whether err (from a call made with a client of New) is
// the guard's refusal of the address.
func Refused(err error) bool { return errors.Is(err, ErrRefused) }
