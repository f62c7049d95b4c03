package bluesky

import (
	"context"
	"net/http"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/httpcall"
)

// Check opens the channel's session (createSession) or, when one is
// cached, verifies it with com.atproto.server.getSession (refreshing it on
// ExpiredToken), posting nothing. It returns nil when the PDS accepts the
// credentials; an EUNAUTHORIZED *herald.Error when it refuses the handle
// and app password or the session; EUNAVAILABLE on 429, 5xx or no answer;
// EINVALID for anything else or a channel without handle or app_password.
// Messages carry the PDS's reason, never a credential.
func (p *Publisher) Check(ctx context.Context, ch *herald.Channel) error {
	a := p.api(*ch, nil)
	if a.handle == "" || a.password == "" {
		return herald.Errorf(herald.EINVALID, "the channel has no handle or app_password configured")
	}
	fail := a.session(ctx)
	if fail == nil && !a.renewed {
		resp, f := a.authed(ctx, request{method: http.MethodGet, nsid: "com.atproto.server.getSession"})
		switch {
		case f != nil:
			fail = f
		case resp.Status != http.StatusOK:
			r := a.failure(resp, "getSession")
			fail = &r
		}
	}
	if fail == nil {
		return nil
	}
	a.scrub(fail)
	return httpcall.CheckError(fail.Outcome, fail.Reason)
}
