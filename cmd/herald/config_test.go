package main

import (
	"io"
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
