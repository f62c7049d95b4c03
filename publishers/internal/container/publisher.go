package container

import (
	"context"
	"net/http"
	"strings"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/httpcall"
)

// Conn is the channel's API root (config base_url, default Spec.BaseURL,
// plus the version), user (config Spec.UserKey) and access_token.
func (s Spec) Conn(ch *herald.Channel) Conn {
	base := strings.TrimRight(ch.ConfigString("base_url"), "/")
	if base == "" {
		base = s.BaseURL
	}
	v := s.Version
	if s.VersionKey != "" {
		if cv := ch.ConfigString(s.VersionKey); cv != "" {
			v = cv
		}
	}
	return Conn{Base: base + "/" + v, User: ch.ConfigString(s.UserKey), Token: ch.Credentials["access_token"]}
}

// Idempotent reports false: neither platform takes an idempotency key. A
// stored container id still makes most retries safe (see the package doc).
func (e *Publisher) Idempotent() bool { return false }

// Endpoints names the settings that decide where the channel's credentials
// are sent: each must be an outbound URL the guard allows, and changing
// one needs the credentials again.
func (e *Publisher) Endpoints() []string { return []string{"config.base_url"} }

// Check reads GET /{Spec.CheckPath, or the user id}?fields=username,
// posting nothing. It returns nil when the token works; an EUNAUTHORIZED
// *herald.Error when the platform refused the token (190); EUNAVAILABLE
// when it throttles, fails or does not answer; EINVALID otherwise (a wrong
// user id, a channel without user id or access_token). Messages never
// carry the token.
func (e *Publisher) Check(ctx context.Context, ch *herald.Channel) error {
	c := e.spec.Conn(ch)
	if c.User == "" || c.Token == "" {
		return herald.Errorf(herald.EINVALID, "the channel has no %s or access_token configured", e.spec.UserKey)
	}
	path := e.spec.CheckPath
	if path == "" {
		path = c.User
	}
	cv := e.conv(c, nil)
	var got struct {
		Username string `json:"username"`
	}
	if r := cv.call(ctx, http.MethodGet, path, query("fields", "username"), &got); r != nil {
		return httpcall.CheckError(r.Outcome, cv.redact(r.Reason))
	}
	return nil
}
