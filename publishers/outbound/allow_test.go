package outbound

import (
	"net/netip"
	"strings"
	"testing"
)

func TestParseAllow(t *testing.T) {
	for in, want := range map[string]string{
		"": "false", "false": "false", "true": "true", "TRUE": "true",
		"10.0.0.0/8, masto.lan ,192.168.1.5": "10.0.0.0/8,192.168.1.5/32,masto.lan",
		"fd00::/8,[::1]":                     "fd00::/8,::1/128",
		"10.1.2.3/8":                         "10.0.0.0/8",
		"Masto.LAN.":                         "masto.lan",
	} {
		a, err := ParseAllow(in)
		if err != nil || a.String() != want {
			t.Errorf("ParseAllow(%q) = %q, %v; want %q", in, a, err, want)
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "not a host!", "http://masto.lan", "10.0.0.0/8,-x/"} {
		if _, err := ParseAllow(bad); err == nil {
			t.Errorf("ParseAllow(%q) accepted", bad)
		}
	}
}

func TestPermits(t *testing.T) {
	lan, _ := ParseAllow("192.168.0.0/16,masto.lan")
	loop := netip.MustParseAddr("127.0.0.1")
	tests := []struct {
		a    Allow
		host string
		ip   string
		want bool
	}{
		{Allow{}, "example.com", "93.184.216.34", true},
		{Allow{}, "127.0.0.1", "127.0.0.1", false},
		{Allow{}, "evil.example", "169.254.169.254", false},
		{AllowAll, "127.0.0.1", "127.0.0.1", true},
		{lan, "192.168.1.9", "192.168.1.9", true},
		{lan, "x", "::ffff:192.168.1.9", true},
		{lan, "10.0.0.1", "10.0.0.1", false},
		{lan, "masto.lan", "10.9.9.9", true},
		{lan, "MASTO.LAN.", "10.9.9.9", true},
		{lan, "other.lan", "10.9.9.9", false},
	}
	for _, tc := range tests {
		if got := tc.a.Permits(tc.host, netip.MustParseAddr(tc.ip)); got != tc.want {
			t.Errorf("%q.Permits(%s, %s) = %v, want %v", tc.a, tc.host, tc.ip, got, tc.want)
		}
	}
	if (Allow{}).Join(lan).Permits("x", loop) || !AllowAll.Join(Allow{}).Permits("x", loop) {
		t.Error("Join")
	}
}

// CheckURL refuses, at configuration time, what the guard would refuse at
// dial time when the host is a literal address — in every spelling.
func TestCheckURL(t *testing.T) {
	loopback, _ := ParseAllow("127.0.0.0/8")
	tests := []struct {
		url  string
		a    Allow
		want string // "" when accepted, else a piece of the error
	}{
		{"https://mastodon.social", Allow{}, ""},
		{"https://api.telegram.org/", Allow{}, ""},
		{"http://masto.lan:3000", Allow{}, ""}, // a name: the dial-time guard judges it
		{"http://127.0.0.1:8080", Allow{}, "127.0.0.1, a loopback address"},
		{"http://localhost:8080", Allow{}, "loopback"},
		{"http://api.localhost", Allow{}, "loopback"},
		{"http://[::1]/", Allow{}, "::1, a loopback address"},
		{"http://169.254.169.254/latest/meta-data", Allow{}, "link-local"},
		{"http://0.0.0.0:80", Allow{}, "unspecified"},
		{"http://2130706433/", Allow{}, "127.0.0.1, a loopback"},
		{"http://0x7f.1/", Allow{}, "127.0.0.1, a loopback"},
		{"http://[::ffff:127.0.0.1]/", Allow{}, "127.0.0.1, a loopback"},
		{"http://[::ffff:a9fe:a9fe]/", Allow{}, "169.254.169.254, a link-local"},
		{"http://10.0.0.5/", Allow{}, "private"},
		{"http://100.64.1.1/", Allow{}, "CGNAT"},
		{"http://224.0.0.1/", Allow{}, "multicast"},
		{"http://127.0.0.1:8080", loopback, ""},
		{"http://2130706433/", loopback, ""},
		{"http://10.0.0.5/", loopback, "private"},
		{"http://localhost:1", Allow{Hosts: []string{"localhost"}}, ""},
		{"http://10.0.0.5/", AllowAll, ""},
		{"ftp://example.com/", AllowAll, "http:// or https://"},
		{"javascript:alert(1)", AllowAll, "http:// or https://"},
		{"https://user:pw@example.com/", AllowAll, "user name or password"},
		{"https://", AllowAll, "no host"},
		{"https://exa mple.com", AllowAll, "not a URL"},
		{"mastodon.social", AllowAll, "http:// or https://"},
	}
	for _, tc := range tests {
		err := tc.a.CheckURL(tc.url)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("CheckURL(%q) with %q: %v, want accepted", tc.url, tc.a, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("CheckURL(%q) with %q: %v, want an error with %q", tc.url, tc.a, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "pw") {
			t.Errorf("the error repeats the URL's secret: %v", err)
		}
	}
}
