package blueskyfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// ExpireAccessTokens makes every access token issued so far expired: the
// next call with one answers 400 ExpiredToken.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for tok := range s.access {
		s.access[tok] = time.Time{}
	}
}

// RevokeSessions forgets every token issued so far: calls with one answer
// 401 InvalidToken, and refreshSession 400 ExpiredToken ("revoked").
func (s *Server) RevokeSessions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.access, s.refresh = map[string]time.Time{}, map[string]time.Time{}
}

// issue opens a session. Called with s.mu held.
func (s *Server) issue(now time.Time) map[string]any {
	s.next++
	access := fmt.Sprintf("fake-access-jwt-%d", s.next)
	refresh := fmt.Sprintf("fake-refresh-jwt-%d", s.next)
	s.access[access] = now.Add(s.opts.AccessTTL)
	s.refresh[refresh] = now.Add(s.opts.RefreshTTL)
	return map[string]any{"accessJwt": access, "refreshJwt": refresh, "handle": s.Handle, "did": s.DID, "active": true}
}

// createSession answers com.atproto.server.createSession {identifier,
// password}: the handle or DID with the app password opens a session; a
// wrong pair answers 401 AuthenticationRequired; past SessionLimit calls in
// SessionWindow, 429 RateLimitExceeded.
func (s *Server) createSession(w http.ResponseWriter, body []byte, now time.Time) {
	var in struct {
		Identifier string `json:"identifier"`
		Password   string `json:"password"`
	}
	if err := json.Unmarshal(body, &in); err != nil || in.Identifier == "" || in.Password == "" {
		writeError(w, http.StatusBadRequest, "InvalidRequest", "Input must have the properties \"identifier\", \"password\"")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.windowStart.IsZero() || !now.Before(s.windowStart.Add(SessionWindow)) {
		s.windowStart, s.windowUsed = now, 0
	}
	s.windowUsed++
	if s.windowUsed > SessionLimit {
		s.blockedUntil = s.windowStart.Add(SessionWindow)
		s.rateLimited(w, s.blockedUntil)
		return
	}
	id := strings.TrimPrefix(strings.ToLower(in.Identifier), "@")
	if (id != strings.ToLower(s.Handle) && id != s.DID) || in.Password != s.AppPassword {
		writeError(w, http.StatusUnauthorized, "AuthenticationRequired", "Invalid identifier or password")
		return
	}
	s.sessions++
	writeJSON(w, http.StatusOK, s.issue(now))
}

// refreshSession answers com.atproto.server.refreshSession with Bearer
// <refreshJwt>: a new pair, the old refresh token revoked. An expired or
// revoked refresh token answers 400 ExpiredToken; an access token 400
// InvalidToken.
func (s *Server) refreshSession(w http.ResponseWriter, r *http.Request, now time.Time) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		writeError(w, http.StatusUnauthorized, "AuthenticationRequired", "Authentication Required")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, isAccess := s.access[tok]; isAccess {
		writeError(w, http.StatusBadRequest, "InvalidToken", "Invalid token type")
		return
	}
	exp, known := s.refresh[tok]
	switch {
	case !known && strings.HasPrefix(tok, "fake-refresh-jwt-"):
		writeError(w, http.StatusBadRequest, "ExpiredToken", "Token has been revoked")
		return
	case !known:
		writeError(w, http.StatusBadRequest, "InvalidToken", "Token could not be verified")
		return
	case !now.Before(exp):
		writeError(w, http.StatusBadRequest, "ExpiredToken", "Token has expired")
		return
	}
	delete(s.refresh, tok)
	s.refreshes++
	writeJSON(w, http.StatusOK, s.issue(now))
}

// authorize checks the Bearer access token of a call. It answers 401
// AuthenticationRequired without one, 400 ExpiredToken for an expired one,
// 400 InvalidToken for a refresh token, 401 InvalidToken for an unknown one,
// and reports whether the call may go on.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, now time.Time) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		writeError(w, http.StatusUnauthorized, "AuthenticationRequired", "Authentication Required")
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, isRefresh := s.refresh[tok]; isRefresh {
		writeError(w, http.StatusBadRequest, "InvalidToken", "Invalid token type")
		return false
	}
	exp, known := s.access[tok]
	switch {
	case !known:
		writeError(w, http.StatusUnauthorized, "InvalidToken", "Token could not be verified")
		return false
	case !now.Before(exp):
		writeError(w, http.StatusBadRequest, "ExpiredToken", "Token has expired")
		return false
	}
	return true
}
