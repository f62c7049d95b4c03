package media

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"syscall"
	"time"
)

// guardedClients caches, per caller's client, the copy whose transport
// dials through the address guard, so connections are pooled across calls.
var guardedClients sync.Map // *http.Client → *http.Client

// guarded returns a copy of c whose connections are dialled through
// checkAddress. c's transport settings are kept when it is an
// *http.Transport (a nil transport means http.DefaultTransport's), except
// the proxy: with a proxy the guard would see the proxy's address, not the
// media host's, so guarded downloads connect directly. Another
// RoundTripper cannot be guarded and is replaced by a default transport.
func guarded(c *http.Client) *http.Client {
	if g, ok := guardedClients.Load(c); ok {
		return g.(*http.Client)
	}
	base, ok := c.Transport.(*http.Transport)
	if !ok || base == nil {
		base = http.DefaultTransport.(*http.Transport)
	}
	t := base.Clone()
	t.Proxy = nil
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: control}
	t.DialContext = dialer.DialContext
	t.DialTLSContext = nil
	g := *c
	g.Transport = t
	actual, _ := guardedClients.LoadOrStore(c, &g)
	return actual.(*http.Client)
}

// control runs after name resolution, before each connection is made: it
// sees the very address dialled.
func control(network, address string, _ syscall.RawConn) error {
	return checkAddress(address)
}

// checkAddress refuses "host:port" when host is an IP on a loopback,
// private (RFC 1918, fc00::/7), shared (100.64.0.0/10), link-local,
// multicast or unspecified network, or "this network" (0.0.0.0/8).
func checkAddress(address string) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: cannot tell the address of %q", ErrRefusedAddress, address)
	}
	ip := ap.Addr().Unmap()
	if !Public(ip) {
		return &refusedError{ip: ip}
	}
	return nil
}

// refusedError is the guard's refusal of one address.
type refusedError struct{ ip netip.Addr }

func (e *refusedError) Error() string {
	return fmt.Sprintf("%v: %s is not a public address", ErrRefusedAddress, e.ip)
}

func (e *refusedError) Unwrap() error { return ErrRefusedAddress }

var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
}

// Public reports whether ip is an address media may be fetched from when
// private addresses are not allowed.
func Public(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() ||
		ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	// NAT64 (64:ff9b::/96) embeds an IPv4 address: judge that one.
	if nat64.Contains(ip) {
		b := ip.As16()
		return Public(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
	}
	return true
}

var nat64 = netip.MustParsePrefix("64:ff9b::/96")
