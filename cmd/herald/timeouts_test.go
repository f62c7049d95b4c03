package main

import (
	"fmt"
	"net"
	"testing"
	"time"
)

// A client that sends its body a byte at a time holds the connection no
// longer than --read-timeout.
func TestSlowBodyIsCutAtReadTimeout(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.ReadTimeout = time.Second
	tm := mustRunMain(t, cfg)
	conn, err := net.Dial("tcp", tm.Main.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "PUT /api/v1/workspaces/brand/plans/slow HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: text/csv\r\nContent-Length: 1000\r\n\r\n", tm.Token)
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		buf := make([]byte, 4096)
		for {
			if _, err := conn.Read(buf); err != nil {
				return
			}
		}
	}()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(15 * time.Second)
	for {
		select {
		case <-ended:
			return
		case <-tick.C:
			conn.Write([]byte("k")) // keeps trickling; errors once the server has closed
		case <-deadline:
			t.Fatal("the server still holds a connection sending one byte every 200ms after 15s (read timeout 1s)")
		}
	}
}
