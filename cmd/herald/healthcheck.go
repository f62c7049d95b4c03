package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/heraldhq/herald/api"
)

// cmdHealthcheck asks the server at --addr (HERALD_ADDR) for GET /readyz and
// exits 0 when it answers 200 within --timeout, 1 otherwise with one line
// saying why — Docker's HEALTHCHECK, on an image without curl.
func cmdHealthcheck(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var timeout time.Duration
	cfg, err := parse(args, healthcheckHelp, stdout, stderr, func(c *Config, fs *flag.FlagSet) {
		c.addrFlag(fs)
		fs.DurationVar(&timeout, "timeout", 3*time.Second, "give up after this long")
	})
	if err == nil && timeout <= 0 {
		err = errors.New("--timeout must be positive")
	}
	if err != nil {
		return exitFor(stderr, healthcheckHelp.name(), err)
	}
	if err := checkReady(ctx, cfg.Addr, timeout); err != nil {
		fmt.Fprintf(stderr, "herald healthcheck: %s\n", oneLine(err.Error()))
		return exitFail
	}
	fmt.Fprintln(stdout, "ready")
	return exitOK
}

// checkReady returns nil when GET /readyz at the listen address addr answers
// 200 within timeout, and an error saying what it got otherwise.
func checkReady(ctx context.Context, addr string, timeout time.Duration) error {
	u, err := readyURL(addr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("--addr %q: %v", addr, err)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	var env api.Envelope
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if json.Unmarshal(b, &env) == nil && env.Error.Message != "" {
		return fmt.Errorf("GET %s answered %s: %s", u, resp.Status, env.Error.Message)
	}
	return fmt.Errorf("GET %s answered %s", u, resp.Status)
}

// readyURL is the /readyz URL of a listen address. A host that listens on
// every interface (0.0.0.0, ::, none) is asked on loopback; an http(s) URL
// is taken as the server's base URL.
func readyURL(addr string) (string, error) {
	if strings.HasPrefix(addr, "http://") || strings.HasPrefix(addr, "https://") {
		return strings.TrimRight(addr, "/") + "/readyz", nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("--addr %q is not host:port: %v", addr, err)
	}
	if ip := net.ParseIP(host); host == "" || ip.To4() != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	} else if ip != nil && ip.IsUnspecified() {
		host = "::1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/readyz", nil
}
