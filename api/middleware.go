package api

import (
	"fmt"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/labstack/echo/v4"
)

// tokenKey is where authenticate leaves the caller's *herald.Token.
const tokenKey = "herald.token"

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

// authenticate requires a valid bearer token on every path under /api/v1,
// routed or not, but the public ones (publicPath). It runs before routing.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if !apiPath(r.URL.Path) && !apiPath(echo.GetPath(r)) || publicPath(r.URL.Path) && publicPath(echo.GetPath(r)) {
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
				return herald.Errorf(herald.EUNAUTHORIZED, "invalid token")
			}
			return fmt.Errorf("authenticate: %w", err)
		}
		c.Set(tokenKey, tok)
		// What the request changes is recorded as the token's doing.
		actor := herald.Actor{Kind: "token", ID: strconv.FormatInt(tok.ID, 10), Name: tok.Name}
		c.SetRequest(r.WithContext(herald.WithActor(r.Context(), actor)))
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
