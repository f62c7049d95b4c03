package mastodon

import (
	"context"
	"net/http"

	"github.com/heraldhq/herald"
)

// Check calls GET /api/v1/accounts/verify_credentials, posting nothing. It
// returns nil on 200; an EUNAUTHORIZED *herald.Error when the instance
// refused the access token (401/403); EUNAVAILABLE on 429, 5xx or no
// answer; EINVALID for anything else or a channel without instance_url or
// access_token. Messages carry the instance's reason, never the token.
func (p *Publisher) Check(ctx context.Context, ch *herald.Channel) error {
	a := p.api(*ch)
	if a.base == "" || a.token == "" {
		return herald.Errorf(herald.EINVALID, "the channel has no instance_url or access_token configured")
	}
	resp, fail := a.call(ctx, http.MethodGet, "/api/v1/accounts/verify_credentials", "", nil, nil, nil)
	if fail != nil {
		code := herald.EUNAVAILABLE
		if fail.Outcome == herald.OutcomeFailed {
			code = herald.EINVALID
		}
		return herald.Errorf(code, "%s", a.redact(fail.Reason))
	}
	if resp.Status == http.StatusOK {
		return nil
	}
	msg := a.redact(errorText(resp))
	switch s := resp.Status; {
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		return herald.Errorf(herald.EUNAUTHORIZED, "the instance refused the access token: %s", msg)
	case s == http.StatusTooManyRequests || s >= 500:
		return herald.Errorf(herald.EUNAVAILABLE, "%s", msg)
	}
	return herald.Errorf(herald.EINVALID, "%s", msg)
}
