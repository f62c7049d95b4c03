package outbound

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// Allow is the operator's allowance of non-public addresses
// (HERALD_ALLOW_PRIVATE_NETWORKS, --allow-private-networks): every address,
// or the networks and host names listed. The zero Allow allows none.
type Allow struct {
	All      bool           // every address ("true")
	Prefixes []netip.Prefix // these networks ("10.0.0.0/8", "192.168.1.5")
	Hosts    []string       // these host names, whatever they resolve to ("masto.lan"), lower case
}

// AllowAll allows every address.
var AllowAll = Allow{All: true}

// ParseAllow reads the setting: "" or "false" allows nothing, "true" every
// address, otherwise a comma-separated list of CIDR networks, IP addresses
// and host names. It returns an error naming an item that is none of those.
func ParseAllow(s string) (Allow, error) {
	var a Allow
	return a, a.Set(s)
}

// Set parses s into a (see ParseAllow), so that *Allow is a flag.Value.
func (a *Allow) Set(s string) error {
	*a = Allow{}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "false", "0", "no", "off":
		return nil
	case "true", "1", "yes", "on", "all":
		a.All = true
		return nil
	}
	for _, item := range strings.Split(s, ",") {
		item = strings.ToLower(strings.TrimSpace(item))
		switch {
		case item == "":
		case strings.Contains(item, "/"):
			p, err := netip.ParsePrefix(item)
			if err != nil {
				return fmt.Errorf("%q is not a CIDR network such as 10.0.0.0/8", item)
			}
			a.Prefixes = append(a.Prefixes, p.Masked())
		default:
			if ip, err := netip.ParseAddr(strings.Trim(item, "[]")); err == nil {
				ip = ip.Unmap()
				a.Prefixes = append(a.Prefixes, netip.PrefixFrom(ip, ip.BitLen()))
			} else if validHostName(item) {
				a.Hosts = append(a.Hosts, strings.TrimSuffix(item, "."))
			} else {
				return fmt.Errorf("%q is neither a CIDR network, an IP address nor a host name", item)
			}
		}
	}
	return nil
}

// String is the setting's form ParseAllow reads back.
func (a Allow) String() string {
	if a.All {
		return "true"
	}
	var items []string
	for _, p := range a.Prefixes {
		items = append(items, p.String())
	}
	items = append(items, a.Hosts...)
	if len(items) == 0 {
		return "false"
	}
	return strings.Join(items, ",")
}

// Join allows what a or b allows.
func (a Allow) Join(b Allow) Allow {
	return Allow{All: a.All || b.All, Prefixes: append(append([]netip.Prefix{}, a.Prefixes...), b.Prefixes...),
		Hosts: append(append([]string{}, a.Hosts...), b.Hosts...)}
}

// Permits reports whether a connection to ip, reached by the name host
// (an IP literal or a host name), is allowed: ip is public, or a allows
// it by network or by host name.
func (a Allow) Permits(host string, ip netip.Addr) bool {
	ip = ip.WithZone("").Unmap()
	if Public(ip) || a.All {
		return true
	}
	for _, p := range a.Prefixes {
		if p.Contains(ip) {
			return true
		}
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	for _, h := range a.Hosts {
		if h == host {
			return true
		}
	}
	return false
}

// CheckURL checks an endpoint URL of a channel when it is configured: an
// absolute http:// or https:// URL with a host, no user name or password,
// and a host that is not a literal non-public address (nor localhost)
// unless a allows it. The error says what is wrong, without repeating the
// URL (which may carry a secret), and wraps ErrRefused for a non-public
// address. A host name is not resolved here: the guard of the client
// judges the address actually dialled.
func (a Allow) CheckURL(raw string) error {
	u, err := url.Parse(strings.TrimSpace(raw))
	switch {
	case err != nil || strings.ContainsAny(raw, " \t\r\n"):
		return fmt.Errorf("is not a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("must be an http:// or https:// URL")
	case u.User != nil:
		return fmt.Errorf("must not carry a user name or password")
	case u.Hostname() == "":
		return fmt.Errorf("has no host")
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	ip, ok := ParseHost(host)
	if !ok && (host == "localhost" || strings.HasSuffix(host, ".localhost")) {
		ip, ok = netip.MustParseAddr("127.0.0.1"), true
	}
	if ok && !a.Permits(host, ip) {
		return &notPublicError{fmt.Sprintf("points at %s, %s address; Herald calls only public addresses unless HERALD_ALLOW_PRIVATE_NETWORKS allows it", ip.WithZone("").Unmap(), withArticle(Kind(ip)))}
	}
	return nil
}

// notPublicError is CheckURL's refusal of a literal non-public address; it
// wraps ErrRefused.
type notPublicError struct{ msg string }

func (e *notPublicError) Error() string { return e.msg }
func (e *notPublicError) Unwrap() error { return ErrRefused }

// validHostName reports whether s looks like a DNS name: labels of
// letters, digits, '-' and '_', separated by dots.
func validHostName(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}
