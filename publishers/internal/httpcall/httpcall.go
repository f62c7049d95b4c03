// Package httpcall holds what the HTTP publisher adapters share: one call
// that tells whether a failed request may have reached the server, bounded
// reading of answers, their description (a page that is not JSON is
// summarised, never quoted), scrubbing of secrets from any text that leaves
// an adapter, and then — never before — truncation for the attempt record.
package httpcall

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/heraldhq/herald/publishers/outbound"
)

// MaxRecorded is how much of an answer is kept in a Result (twice as much
// of the requests); Finish cuts there, after redacting.
const MaxRecorded = 2048

// MaxReason is how much of a Result's Reason, or of a Check's message, is
// kept: the platform's words are quoted within it.
const MaxReason = 500

// Response is a platform's answer with its body read up to a bound.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// RedirectError is Do's error for a 3xx answer with a Location: the
// outbound client follows no redirect of a platform call, so that the
// credentials it carries go nowhere else.
type RedirectError struct {
	Status   int
	Location string
}

func (e *RedirectError) Error() string {
	// Callers redact the secrets they know from the text, the Location's too.
	return fmt.Sprintf("answered %d %s, a redirect to %s, which Herald does not follow for platform calls "+
		"(the credentials would go along): set the channel's endpoint to the final URL", e.Status, http.StatusText(e.Status), Truncate(e.Location, 200))
}

// Stopped reports whether err (from Do) means the call can never succeed
// as configured: the outbound guard refused the address, or the platform
// answered a redirect. The publish then fails (a retry would do the same),
// and Check answers EINVALID.
func Stopped(err error) bool {
	var re *RedirectError
	return outbound.Refused(err) || errors.As(err, &re)
}

// Do sends req with c and reads at most max bytes of the answer's body.
// A redirect (3xx with a Location) comes back as the Response together
// with a *RedirectError. On error, sent reports whether the request may have reached the server:
// it is false only when the request was never completely written (DNS or
// dial error, refused connection, TLS handshake failure, a reused connection
// found closed before the request went out, context ended before sending);
// a server cannot act on a request it did not receive whole. When the status line arrived but the body could not be read,
// Do returns the partial Response together with the error.
func Do(c *http.Client, req *http.Request, max int64) (resp *Response, sent bool, err error) {
	var wrote atomic.Bool
	trace := &httptrace.ClientTrace{WroteRequest: func(i httptrace.WroteRequestInfo) {
		if i.Err == nil {
			wrote.Store(true)
		}
	}}
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
	r, err := c.Do(req)
	if err != nil {
		return nil, wrote.Load() && !isDialError(err), err
	}
	defer r.Body.Close()
	resp = &Response{Status: r.StatusCode, Header: r.Header}
	resp.Body, err = io.ReadAll(io.LimitReader(r.Body, max))
	if err != nil {
		return resp, true, fmt.Errorf("reading the answer: %w", err)
	}
	if loc := r.Header.Get("Location"); r.StatusCode >= 300 && r.StatusCode < 400 && loc != "" {
		return resp, true, &RedirectError{Status: r.StatusCode, Location: loc}
	}
	return resp, true, nil
}

// NoReplay keeps Go's transport from sending req a second time by itself.
// The transport resends a request carrying an Idempotency-Key (or
// X-Idempotency-Key) header when a kept-alive connection closes before any
// answer — after the server may have acted on it — so that only a server
// honouring the key may be sent such a request without it. With NoReplay
// the request goes out once at most; one that could not be written at all
// is not resent either (Do reports it unsent, a retry for the adapter). A
// redirect still comes back as a *RedirectError.
func NoReplay(req *http.Request) { req.GetBody = nil }

func isDialError(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

// ErrorText describes a transport error without the request URL's secrets:
// for a *url.Error the URL is replaced by redactedURL, and every secret is
// scrubbed from the rest.
func ErrorText(err error, redactedURL string, secrets ...string) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return Redact(fmt.Sprintf("%s %s: %v", ue.Op, redactedURL, ue.Err), secrets...)
	}
	return Redact(err.Error(), secrets...)
}

// Truncate cuts s to at most n bytes on a rune boundary, saying how long it was.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (truncated, %d bytes in all)", s[:cut], len(s))
}

// Summary formats one call for a Result's Request field: method, URL
// (already free of secrets) and body. It is not cut here: Finish cuts the
// Request once its secrets are redacted.
func Summary(method, redactedURL string, body []byte) string {
	if len(body) == 0 {
		return method + " " + redactedURL
	}
	return method + " " + redactedURL + " " + string(body)
}

// ValidBaseURL reports whether s looks like an absolute http(s) URL: it
// starts with https:// or http:// and has more than "https://" in it.
func ValidBaseURL(s string) bool {
	return (strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")) && len(s) > len("https://")
}

// RetryAfter reads a Retry-After header: seconds (fractions allowed) or an
// HTTP date, counted from now. It is 0 when the header is missing or says
// nothing usable.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	v := h.Get("Retry-After")
	if s, err := strconv.ParseFloat(v, 64); err == nil && s > 0 {
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, t.Sub(now))
	}
	return 0
}
