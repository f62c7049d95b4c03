package api

import (
	"fmt"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/labstack/echo/v4"
)

// logRequests logs one line per request: method, path, status, latency.
// Never headers (Authorization) nor bodies (credentials). It writes error
// answers itself so the status it logs is the one sent.
func (s *Server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		if err := next(c); err != nil {
			c.Error(err)
		}
		r := c.Request()
		status := c.Response().Status
		ev := s.log.Info()
		if status >= 500 {
			ev = s.log.Error()
		}
		ev.Str("method", r.Method).
			Str("path", r.URL.Path).
			Int("status", status).
			Dur("latency", time.Since(start)).
			Int64("bytes", c.Response().Size).
			Msg("request")
		return nil
	}
}

// recoverPanics turns a handler panic into a logged internal error (500).
func (s *Server) recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				err = fmt.Errorf("panic: %v\n%s", v, debug.Stack())
			}
		}()
		return next(c)
	}
}

// publicRoutes are the /api/v1 routes that need no bearer token ("METHOD
// path"; a path ending in "/" covers every path under it). Every path
// outside /api/v1 (/healthz, /readyz) needs none either. This is the one
// list: authenticate lets them through, authorize checks nothing more.
var publicRoutes = []string{
	"POST /api/v1/sessions", // signing in
	// A client's review link: the token in the path is the credential
	// (api/review.go); wrong ones are throttled like wrong bearers.
	"GET /api/v1/review/",
	"POST /api/v1/review/",
}

// publicPath reports whether a request for method and path (as sent, or a
// route as registered) needs no bearer token.
func publicPath(method, path string) bool {
	if !apiPath(path) {
		return true
	}
	for _, r := range publicRoutes {
		m, p, _ := strings.Cut(r, " ")
		if m != method {
			continue
		}
		if path == p || strings.HasSuffix(p, "/") && strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// authenticate requires a valid bearer — the bootstrap admin token, a
// user's API token or a sign-in session — on every path under /api/v1,
// routed or not, but the public ones. It runs before routing, and puts the
// herald.Caller it resolves in the request's context (authorize, after
// routing, checks what the route needs).
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if publicPath(r.Method, r.URL.Path) && publicPath(r.Method, echo.GetPath(r)) {
			return next(c)
		}
		secret, ok := bearer(r.Header.Get("Authorization"))
		if !ok {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="herald"`)
			return herald.Errorf(herald.EUNAUTHORIZED, "missing or malformed Authorization header; send \"Authorization: Bearer <token>\"")
		}
		from := addr(r)
		if wait := s.failures.blocked(from); wait > 0 {
			c.Response().Header().Set("Retry-After", retryAfter(wait))
			return herald.Errorf(herald.ERATELIMITED, "too many wrong tokens from this address; try again in %s", retryAfter(wait)+"s")
		}
		tok, err := s.store.Authenticate(r.Context(), secret)
		if err != nil {
			if herald.ErrorCode(err) == herald.EUNAUTHORIZED {
				s.failures.fail(from)
				s.log.Warn().Str("addr", from).Str("path", r.URL.Path).Msg("wrong API token")
				c.Response().Header().Set("WWW-Authenticate", `Bearer realm="herald", error="invalid_token"`)
				msg := herald.ErrorMessage(err)
				if !strings.Contains(msg, "expired") && !strings.Contains(msg, "revoked") {
					msg = "invalid token"
				}
				return herald.Errorf(herald.EUNAUTHORIZED, "%s", msg)
			}
			return fmt.Errorf("authenticate: %w", err)
		}
		// What the request changes is recorded as the caller's doing.
		c.SetRequest(r.WithContext(herald.WithCaller(r.Context(), tok.Caller())))
		return next(c)
	}
}

func apiPath(p string) bool { return strings.HasPrefix(p, "/api/v1") }

// bearer extracts the token of an "Authorization: Bearer <token>" header.
func bearer(h string) (string, bool) {
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	if tok == "" || strings.ContainsAny(tok, " \t") {
		return "", false
	}
	return tok, true
}

// maxQueryBytes bounds a request's query string (filters, ?channels=).
const maxQueryBytes = 16 << 10

// limitBody bounds the query string, then the request body to MaxBodyBytes: a declared length over
// it is refused at once, a longer streamed body fails on read (the handlers
// turn that into 413).
func (s *Server) limitBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if len(r.URL.RawQuery) > maxQueryBytes {
			return herald.Errorf(herald.EINVALID, "the query string is %d bytes; at most %d", len(r.URL.RawQuery), maxQueryBytes)
		}
		if r.ContentLength > s.cfg.MaxBodyBytes {
			return tooLarge(s.cfg.MaxBodyBytes)
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(c.Response(), r.Body, s.cfg.MaxBodyBytes)
		}
		return next(c)
	}
}

func tooLarge(limit int64) error {
	return herald.Errorf(herald.ETOOLARGE, "request body is larger than %d bytes", limit)
}
