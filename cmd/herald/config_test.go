package main

import (
	"io"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestAllowPrivateMediaConfig(t *testing.T) {
	t.Setenv("HERALD_ALLOW_PRIVATE_MEDIA", "")
	cfg, err := parse(nil, serveHelp, io.Discard, io.Discard, (*Config).serveFlags)
	if err != nil || cfg.AllowPrivateMedia {
		t.Fatalf("default: %+v %v, want off", cfg, err)
	}
	if cfg, err = parse([]string{"--allow-private-media"}, serveHelp, io.Discard, io.Discard, (*Config).serveFlags); err != nil || !cfg.AllowPrivateMedia {
		t.Fatalf("flag: %v %v", cfg.AllowPrivateMedia, err)
	}
	t.Setenv("HERALD_ALLOW_PRIVATE_MEDIA", "true")
	if cfg, err = parse(nil, serveHelp, io.Discard, io.Discard, (*Config).serveFlags); err != nil || !cfg.AllowPrivateMedia {
		t.Fatalf("variable: %v %v", cfg.AllowPrivateMedia, err)
	}
	if cfg, err = parse([]string{"--allow-private-media=false"}, serveHelp, io.Discard, io.Discard, (*Config).serveFlags); err != nil || cfg.AllowPrivateMedia {
		t.Fatalf("flag over variable: %v %v", cfg.AllowPrivateMedia, err)
	}
}

func TestAllowPrivateNetworksConfig(t *testing.T) {
	t.Setenv("HERALD_ALLOW_PRIVATE_MEDIA", "")
	t.Setenv("HERALD_ALLOW_PRIVATE_NETWORKS", "")
	cfg, err := parse(nil, serveHelp, io.Discard, io.Discard, (*Config).serveFlags)
	if err != nil || cfg.network().String() != "false" {
		t.Fatalf("default: %v %v, want nothing allowed", cfg.network(), err)
	}
	if cfg, err = parse([]string{"--allow-private-networks", "10.0.0.0/8,masto.lan"}, serveHelp, io.Discard, io.Discard, (*Config).serveFlags); err != nil ||
		cfg.network().String() != "10.0.0.0/8,masto.lan" {
		t.Fatalf("flag: %v %v", cfg.network(), err)
	}
	t.Setenv("HERALD_ALLOW_PRIVATE_NETWORKS", "true")
	if cfg, err = parse(nil, serveHelp, io.Discard, io.Discard, (*Config).serveFlags); err != nil || !cfg.network().All {
		t.Fatalf("variable: %v %v", cfg.network(), err)
	}
	if cfg, err = parse([]string{"--allow-private-networks=192.168.1.0/24"}, serveHelp, io.Discard, io.Discard, (*Config).serveFlags); err != nil || cfg.network().String() != "192.168.1.0/24" {
		t.Fatalf("flag over variable: %v %v", cfg.network(), err)
	}
	if _, err = parse([]string{"--allow-private-networks=10.0.0.0/33"}, serveHelp, io.Discard, io.Discard, (*Config).serveFlags); err == nil {
		t.Fatal("a bad CIDR is accepted")
	}
	t.Setenv("HERALD_ALLOW_PRIVATE_NETWORKS", "not a host!")
	if _, err = parse(nil, serveHelp, io.Discard, io.Discard, (*Config).serveFlags); err == nil || !strings.Contains(err.Error(), "HERALD_ALLOW_PRIVATE_NETWORKS") {
		t.Fatalf("a bad variable: %v", err)
	}
	// The older media setting is an alias of allowing every address.
	t.Setenv("HERALD_ALLOW_PRIVATE_NETWORKS", "")
	t.Setenv("HERALD_ALLOW_PRIVATE_MEDIA", "true")
	if cfg, err = parse(nil, serveHelp, io.Discard, io.Discard, (*Config).serveFlags); err != nil || !cfg.network().All {
		t.Fatalf("HERALD_ALLOW_PRIVATE_MEDIA: %v %v, want every address allowed", cfg.network(), err)
	}
}

// --public-url and HERALD_PUBLIC_URL: unset by default (links on the
// request's host), the flag over the variable, and anything that could not
// prefix a link refused with an error naming the setting and what to give.
func TestPublicURLConfig(t *testing.T) {
	t.Setenv("HERALD_PUBLIC_URL", "")
	cfg, err := parse(nil, serveHelp, io.Discard, io.Discard, (*Config).serveFlags)
	if err != nil || cfg.PublicURL != "" {
		t.Fatalf("default: %q %v, want unset", cfg.PublicURL, err)
	}
	t.Setenv("HERALD_PUBLIC_URL", "https://herald.example.com/")
	if cfg, err = parse(nil, serveHelp, io.Discard, io.Discard, (*Config).serveFlags); err != nil || cfg.PublicURL != "https://herald.example.com/" {
		t.Fatalf("variable: %q %v", cfg.PublicURL, err)
	}
	if cfg, err = parse([]string{"--public-url", "http://127.0.0.1:8080/herald"}, serveHelp, io.Discard, io.Discard, (*Config).serveFlags); err != nil ||
		cfg.PublicURL != "http://127.0.0.1:8080/herald" {
		t.Fatalf("flag over variable: %q %v", cfg.PublicURL, err)
	}
	for _, bad := range []struct{ url, says string }{
		{"herald.example.com", "absolute http:// or https://"},
		{"/api", "absolute http:// or https://"},
		{"ftp://herald.example.com", "absolute http:// or https://"},
		{"https://", "has no host"},
		{"https://:8080", "has no host"},
		{"https://herald.example.com/?a=1", "no query"},
		{"https://herald.example.com/?", "no query"},
		{"https://herald.example.com/#top", "no fragment"},
		{"https://ana:secret@herald.example.com", "user name or password"},
		{"https://herald example.com", "not a URL"},
	} {
		_, err := parse([]string{"--public-url", bad.url}, serveHelp, io.Discard, io.Discard, (*Config).serveFlags)
		if err == nil || !strings.Contains(err.Error(), "--public-url (HERALD_PUBLIC_URL)") || !strings.Contains(err.Error(), bad.says) {
			t.Errorf("--public-url %q: %v, want an error saying %q", bad.url, err, bad.says)
		}
	}
	t.Setenv("HERALD_PUBLIC_URL", "herald.example.com")
	if _, err := parse(nil, serveHelp, io.Discard, io.Discard, (*Config).serveFlags); err == nil || !strings.Contains(err.Error(), "HERALD_PUBLIC_URL") {
		t.Errorf("a bad variable: %v", err)
	}
}

// --session-ttl and HERALD_SESSION_TTL: 12h by default, the flag over the
// variable, 5m to 30 days; anything else refused with an error naming both
// and the bounds.
func TestSessionTTLConfig(t *testing.T) {
	t.Setenv("HERALD_SESSION_TTL", "")
	cfg, err := parse(nil, serveHelp, io.Discard, io.Discard, (*Config).serveFlags)
	if err != nil || cfg.SessionTTL != 12*time.Hour {
		t.Fatalf("default: %v %v, want 12h", cfg.SessionTTL, err)
	}
	t.Setenv("HERALD_SESSION_TTL", "30m")
	if cfg, err = parse(nil, serveHelp, io.Discard, io.Discard, (*Config).serveFlags); err != nil || cfg.SessionTTL != 30*time.Minute {
		t.Fatalf("variable: %v %v", cfg.SessionTTL, err)
	}
	if cfg, err = parse([]string{"--session-ttl", "720h"}, serveHelp, io.Discard, io.Discard, (*Config).serveFlags); err != nil || cfg.SessionTTL != 720*time.Hour {
		t.Fatalf("flag over variable, at the most: %v %v", cfg.SessionTTL, err)
	}
	if cfg, err = parse([]string{"--session-ttl", "5m"}, serveHelp, io.Discard, io.Discard, (*Config).serveFlags); err != nil || cfg.SessionTTL != 5*time.Minute {
		t.Fatalf("the least: %v %v", cfg.SessionTTL, err)
	}
	for _, bad := range []string{"4m59s", "0s", "-1h", "720h1s", "8760h"} {
		_, err := parse([]string{"--session-ttl", bad}, serveHelp, io.Discard, io.Discard, (*Config).serveFlags)
		if err == nil || !strings.Contains(err.Error(), "--session-ttl (HERALD_SESSION_TTL)") || !strings.Contains(err.Error(), "5m to 720h (30 days)") {
			t.Errorf("--session-ttl %s: %v, want an error naming the flag, the variable and the bounds", bad, err)
		}
	}
	for _, bad := range []string{"1m", "twelve hours", "12"} {
		t.Setenv("HERALD_SESSION_TTL", bad)
		_, err := parse(nil, serveHelp, io.Discard, io.Discard, (*Config).serveFlags)
		if err == nil || !strings.Contains(err.Error(), "HERALD_SESSION_TTL") || !strings.Contains(err.Error(), "--session-ttl") {
			t.Errorf("HERALD_SESSION_TTL=%s: %v, want an error naming it", bad, err)
		}
	}
	// A flag value that is no duration is a usage error naming the flag.
	t.Setenv("HERALD_SESSION_TTL", "")
	if _, err := parse([]string{"--session-ttl", "soon"}, serveHelp, io.Discard, io.Discard, (*Config).serveFlags); err == nil {
		t.Error("--session-ttl soon is accepted")
	}
}

// A variable set to what its flag cannot take is refused at start, naming
// both, rather than quietly replaced by the default; given, the flag wins.
func TestMistypedVariablesRefused(t *testing.T) {
	for variable, c := range map[string]struct{ flag, value, given string }{
		"HERALD_WORKERS":             {"workers", "many", "10"},
		"HERALD_MAX_BODY_BYTES":      {"max-body", "1MB", "2048"},
		"HERALD_LEASE":               {"lease", "30", "30s"},
		"HERALD_SHUTDOWN_GRACE":      {"shutdown-grace", "half a minute", "5s"},
		"HERALD_ALLOW_PRIVATE_MEDIA": {"allow-private-media", "yes please", "false"},
	} {
		t.Run(variable, func(t *testing.T) {
			t.Setenv(variable, c.value)
			_, err := parse(nil, serveHelp, io.Discard, io.Discard, (*Config).serveFlags)
			if err == nil || !strings.Contains(err.Error(), "--"+c.flag+" ("+variable+")") || !strings.Contains(err.Error(), strconv.Quote(c.value)) {
				t.Errorf("%s=%s: %v, want an error naming --%s, the variable and its value", variable, c.value, err, c.flag)
			}
			if _, err := parse([]string{"--" + c.flag + "=" + c.given}, serveHelp, io.Discard, io.Discard, (*Config).serveFlags); err != nil {
				t.Errorf("--%s %s over %s=%s: %v", c.flag, c.given, variable, c.value, err)
			}
		})
	}
}
