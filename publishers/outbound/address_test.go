package outbound

import (
	"net/netip"
	"testing"
)

func TestPublic(t *testing.T) {
	for addr, want := range map[string]bool{
		"93.184.216.34": true, "2606:2800:220:1::1": true, "8.8.8.8": true, "::ffff:8.8.8.8": true,
		"64:ff9b::808:808": true, "2002:808:808::1": true,
		"127.0.0.1": false, "127.9.9.9": false, "::1": false, "10.1.2.3": false, "172.16.0.1": false, "192.168.1.1": false,
		"169.254.169.254": false, "fe80::1": false, "fe80::1%eth0": false, "fc00::1": false, "fd12::1": false,
		"0.0.0.0": false, "0.1.2.3": false, "::": false, "100.64.0.1": false, "100.127.255.254": false,
		"224.0.0.1": false, "239.1.1.1": false, "ff02::1": false, "255.255.255.255": false, "240.0.0.1": false,
		"::ffff:127.0.0.1": false, "::ffff:169.254.169.254": false, "::ffff:10.0.0.1": false, "::ffff:0.0.0.0": false,
		"::127.0.0.1": false, "::a9fe:a9fe": false, // IPv4-compatible
		"64:ff9b::a00:1": false, "64:ff9b::7f00:1": false, "2002:7f00:1::1": false, "2002:a9fe:a9fe::": false,
		"2001:db8::1": false, "2001::1": false, "192.0.2.1": false, "198.18.0.1": false,
	} {
		if got := Public(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Public(%s) = %v, want %v (kind %q)", addr, got, want, Kind(netip.MustParseAddr(addr)))
		}
	}
}

func TestParseHost(t *testing.T) {
	for host, want := range map[string]string{
		"2130706433": "127.0.0.1", "0x7f000001": "127.0.0.1", "0177.0.0.1": "127.0.0.1", "127.1": "127.0.0.1",
		"0x7f.1": "127.0.0.1", "0": "0.0.0.0", "0.0.0.0": "0.0.0.0", "169.254.43518": "169.254.169.254",
		"2852039166": "169.254.169.254", "[::ffff:127.0.0.1]": "::ffff:127.0.0.1", "::1": "::1", "[fe80::1%25eth0]": "fe80::1",
		"example.com": "", "1.2.3.4.5": "", "256.1.1.1": "", "4294967296": "", "08.1.1.1": "", "127.0.0.1.nip.io": "", "": "",
	} {
		ip, ok := ParseHost(host)
		if got := map[bool]string{true: ip.String(), false: ""}[ok]; got != want {
			t.Errorf("ParseHost(%q) = %q, want %q", host, got, want)
		}
	}
}
