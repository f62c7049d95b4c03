package mastodon

import (
	"context"
	"net/http"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/httpcall"
)

// Check calls GET /api/v1/accounts/verify_credentials, posting nothing. It
// returns nil on 200; an EUNAUTHORIZED *herald.Error when the instance
// refused the access token (401/403); EUNAVAILABLE on 429, 5xx or no
// answer; EINVALID for anything else or a channel without instance_url or
// access_token. Messages carry the instance's reason, never the token.
func (p *Publisher) Check(ctx context.Context, ch *herald.Channel) error {
	a := p.api(*ch, nil)
	if a.base == "" || a.token == "" {
		return herald.Errorf(herald.EINVALID, "the channel has no instance_url or access_token configured")
	}
	resp, fail := a.call(ctx, http.MethodGet, "/api/v1/accounts/verify_credentials", "", nil, nil, nil)
	if fail == nil {
		if resp.Status == http.StatusOK {
			return nil
		}
		r := a.failure(resp) // Publish's classification, so both agree
		fail = &r
	}
	return httpcall.CheckError(fail.Outcome, a.redact(fail.Reason))
}
