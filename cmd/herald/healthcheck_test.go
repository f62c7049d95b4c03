package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// healthcheck exits 0 against a running Main (by --addr or HERALD_ADDR)
// and 1, with one line why, against a closed port, a server that is not
// ready and one that does not answer within --timeout.
func TestHealthcheck(t *testing.T) {
	tm := mustRunMain(t, testConfig(t.TempDir()))
	if code, out, errs := runHerald(t, "healthcheck", "--addr", tm.Addr()); code != exitOK || out != "ready\n" || errs != "" {
		t.Errorf("against a running Main: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	t.Setenv("HERALD_ADDR", tm.Addr())
	if code, _, errs := runHerald(t, "healthcheck"); code != exitOK {
		t.Errorf("HERALD_ADDR of a running Main: exit %d, %q", code, errs)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	if code, _, errs := runHerald(t, "healthcheck", "--addr", closed); code != exitFail || strings.Count(errs, "\n") != 1 ||
		!strings.Contains(errs, "herald healthcheck: GET http://"+closed+"/readyz") {
		t.Errorf("closed port: exit %d, stderr %q; want exit 1 and one line", code, errs)
	}

	notReady := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"error":{"code":"unavailable","message":"not ready: run herald migrate"}}`))
	}))
	defer notReady.Close()
	if code, _, errs := runHerald(t, "healthcheck", "--addr", notReady.Listener.Addr().String()); code != exitFail ||
		!strings.Contains(errs, "503 Service Unavailable: not ready: run herald migrate") {
		t.Errorf("not ready: exit %d, stderr %q", code, errs)
	}

	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer hung.Close()
	start := herald.Now()
	code, _, errs := runHerald(t, "healthcheck", "--addr", hung.Listener.Addr().String(), "--timeout", "100ms")
	if code != exitFail || !strings.Contains(errs, "deadline exceeded") {
		t.Errorf("no answer: exit %d, stderr %q", code, errs)
	}
	if took := herald.Now().Sub(start); took > 5*time.Second {
		t.Errorf("--timeout 100ms took %s", took)
	}
	if code, _, _ := runHerald(t, "healthcheck", "--timeout", "0s"); code != exitUsage {
		t.Errorf("--timeout 0s: exit %d, want 2", code)
	}
}

// An address on every interface is asked on loopback.
func TestReadyURL(t *testing.T) {
	for addr, want := range map[string]string{
		"0.0.0.0:8080":            "http://127.0.0.1:8080/readyz",
		":8080":                   "http://127.0.0.1:8080/readyz",
		"[::]:8080":               "http://[::1]:8080/readyz",
		"127.0.0.1:9":             "http://127.0.0.1:9/readyz",
		"herald.internal:80":      "http://herald.internal:80/readyz",
		"https://herald.example/": "https://herald.example/readyz",
	} {
		if got, err := readyURL(addr); err != nil || got != want {
			t.Errorf("readyURL(%q) = %q, %v; want %q", addr, got, err, want)
		}
	}
	if _, err := readyURL("no-port"); err == nil {
		t.Error("an address without a port was accepted")
	}
}
