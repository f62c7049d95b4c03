package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
)

// A start on a busy port fails before it creates (and prints, to nobody) the
// first admin token: the next start on a free port prints it, and a start
// after that says how to make another.
func TestFirstTokenSurvivesFailedStart(t *testing.T) {
	t.Setenv("HERALD_SECRET_KEY", "")
	dir := filepath.Join(t.TempDir(), "data")
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()

	cfg := testConfig(dir)
	cfg.Addr = busy.Addr().String()
	var out, errb syncBuffer
	m := NewMain(cfg, &out, &errb)
	err = m.Run(context.Background())
	m.Close()
	if err == nil || !strings.Contains(err.Error(), "listen on "+cfg.Addr) {
		t.Fatalf("start on a busy port: %v, want a listen error", err)
	}
	if tokenRe.MatchString(out.String()) {
		t.Fatalf("a failed start printed a token:\n%s", out.String())
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("a failed start touched the data directory: %v", err)
	}

	cfg.Addr = "127.0.0.1:0"
	cfg.LogLevel = "info"
	first := mustRunMain(t, cfg) // fails the test unless it prints the token
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	out, errb = syncBuffer{}, syncBuffer{}
	again := NewMain(cfg, &out, &errb)
	if err := again.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if tokenRe.MatchString(out.String()) {
		t.Errorf("a start with tokens printed a new one:\n%s", out.String())
	}
	if !strings.Contains(errb.String(), "herald token create --name NAME") {
		t.Errorf("a start with tokens does not say how to make one; logs:\n%s", errb.String())
	}
	// The audit log holds the first token's creation once, by the first start.
	entries, _, err := again.DB.AuditLog(context.Background(), herald.AuditFilter{Action: herald.AuditTokenCreated})
	if err != nil || len(entries) != 1 || entries[0].Actor.ID != "serve" || entries[0].Details["first"] != true {
		t.Errorf("audit log of the first token: %+v %v", entries, err)
	}
}
