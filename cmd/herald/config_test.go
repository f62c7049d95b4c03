package main

import (
	"io"
	"strings"
	"testing"
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
