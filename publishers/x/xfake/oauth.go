package xfake

import (
	"fmt"
	"net/http"
	"time"
)

// token answers POST /2/oauth2/token with grant_type=refresh_token. A
// confidential client authenticates with HTTP Basic client_id:client_secret
// (a public one sends client_id in the form). The refresh token is
// single-use: it is spent by the answer, which carries a new access token
// and a new refresh token; a spent or unknown one answers 400 invalid_grant.
func (s *Server) token(w http.ResponseWriter, r *http.Request, now time.Time) {
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "Malformed request body.")
		return
	}
	id, secret, basic := r.BasicAuth()
	switch {
	case s.opts.PublicClient && r.PostForm.Get("client_id") != s.opts.ClientID:
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "Missing required parameter [client_id].")
		return
	case !s.opts.PublicClient && (!basic || id != s.opts.ClientID || secret != s.opts.ClientSecret):
		writeOAuthError(w, http.StatusUnauthorized, "unauthorized_client", "Missing valid authorization header")
		return
	}
	if g := r.PostForm.Get("grant_type"); g != "refresh_token" {
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", fmt.Sprintf("Unsupported grant type %q.", g))
		return
	}
	old := r.PostForm.Get("refresh_token")
	s.mu.Lock()
	if !s.refresh[old] {
		s.mu.Unlock()
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "Value passed for the token was invalid.")
		return
	}
	s.issued++
	access := fmt.Sprintf("access-%d-%d", s.issued, now.UnixNano())
	refresh := fmt.Sprintf("refresh-%d-%d", s.issued, now.UnixNano())
	s.refresh[old] = false
	s.refresh[refresh] = true
	s.access[access] = now.Add(s.opts.TokenTTL)
	s.refreshes.Append(Refresh{Old: old, New: refresh, AccessToken: access, Received: now})
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"token_type": "bearer", "expires_in": int(s.opts.TokenTTL / time.Second),
		"access_token": access, "scope": "tweet.read tweet.write users.read media.write offline.access", "refresh_token": refresh})
}

func writeOAuthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}
