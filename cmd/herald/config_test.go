package main

import (
	"io"
	"testing"
)

func TestAllowPrivateMediaConfig(t *testing.T) {
	t.Setenv("HERALD_ALLOW_PRIVATE_MEDIA", "")
	cfg, err := parse("serve", nil, io.Discard, nil)
	if err != nil || cfg.AllowPrivateMedia {
		t.Fatalf("default: %+v %v, want off", cfg, err)
	}
	if cfg, err = parse("serve", []string{"--allow-private-media"}, io.Discard, nil); err != nil || !cfg.AllowPrivateMedia {
		t.Fatalf("flag: %v %v", cfg.AllowPrivateMedia, err)
	}
	t.Setenv("HERALD_ALLOW_PRIVATE_MEDIA", "true")
	if cfg, err = parse("serve", nil, io.Discard, nil); err != nil || !cfg.AllowPrivateMedia {
		t.Fatalf("variable: %v %v", cfg.AllowPrivateMedia, err)
	}
	if cfg, err = parse("serve", []string{"--allow-private-media=false"}, io.Discard, nil); err != nil || cfg.AllowPrivateMedia {
		t.Fatalf("flag over variable: %v %v", cfg.AllowPrivateMedia, err)
	}
}
