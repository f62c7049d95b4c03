package x

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/httpcall"
)

// pair is an OAuth 2 access token with its refresh token.
type pair struct {
	access, refresh string
	expires         time.Time // zero when unknown
}

func pairOf(creds map[string]string) pair {
	p := pair{access: creds["access_token"], refresh: creds["refresh_token"]}
	p.expires, _ = time.Parse(time.RFC3339, creds["expires_at"])
	return p
}

func (p pair) creds() map[string]string {
	m := map[string]string{"access_token": p.access, "refresh_token": p.refresh}
	if !p.expires.IsZero() {
		m["expires_at"] = p.expires.UTC().Format(time.RFC3339)
	}
	return m
}

// tokenState is what Herald knows of one channel's tokens beyond the
// credentials a delivery carries: the latest pair, the refresh tokens
// already spent (a delivery claimed before a refresh still carries one),
// and a pair whose storing failed.
type tokenState struct {
	sem chan struct{} // one refresh at a time

	mu      sync.Mutex
	latest  pair
	spent   map[string]bool
	unsaved bool // latest is not stored yet
}

func (p *Publisher) state(key string) *tokenState {
	p.mu.Lock()
	defer p.mu.Unlock()
	st, ok := p.tokens[key]
	if !ok {
		st = &tokenState{sem: make(chan struct{}, 1), spent: map[string]bool{}}
		p.tokens[key] = st
	}
	return st
}

// ready settles the pair to send with: the latest known one when the
// channel's refresh token was already spent (storing it first if an
// earlier store failed), then a refresh when it expires within
// Options.RefreshEarly.
func (c *conv) ready(ctx context.Context) *herald.Result {
	st := c.p.state(c.key)
	st.mu.Lock()
	newer, unsaved := st.spent[c.tok.refresh], st.unsaved
	if newer {
		c.tok = st.latest
		c.secret(c.tok.access, c.tok.refresh)
	}
	st.mu.Unlock()
	if newer && unsaved {
		if fail := c.save(ctx, st, c.tok); fail != nil {
			return fail
		}
	}
	if c.tok.access == "" {
		return c.fail(herald.OutcomeReauth, "the channel has no credentials.access_token: reauthorize it")
	}
	if c.p.opts.SaveCredentials != nil && !c.tok.expires.IsZero() &&
		!c.p.opts.Now().Before(c.tok.expires.Add(-c.p.opts.RefreshEarly)) {
		return c.refresh(ctx)
	}
	return nil
}

// refresh exchanges the refresh token for a new pair, one exchange at a
// time per channel: a caller that waited while another refreshed takes
// the pair that one got. The new pair is stored before refresh returns.
func (c *conv) refresh(ctx context.Context) *herald.Result {
	c.refreshed = true
	if c.p.opts.SaveCredentials == nil {
		return c.fail(herald.OutcomeReauth, "X rejected the access token (expired or revoked) and Herald has no credential store "+
			"to keep a refreshed pair in, so the single-use refresh token was not spent: reauthorize the channel")
	}
	st := c.p.state(c.key)
	select {
	case st.sem <- struct{}{}:
	case <-ctx.Done():
		return c.fail(herald.OutcomeRetry, "stopped waiting for another refresh of the channel's token: %v", ctx.Err())
	}
	defer func() { <-st.sem }()
	st.mu.Lock()
	if st.spent[c.tok.refresh] && st.latest.access != c.tok.access {
		c.tok = st.latest
		st.mu.Unlock()
		c.secret(c.tok.access, c.tok.refresh)
		return nil
	}
	st.mu.Unlock()
	if c.tok.refresh == "" {
		return c.fail(herald.OutcomeReauth, "X rejected the access token and the channel has no credentials.refresh_token: reauthorize it")
	}
	next, fail := c.exchange(ctx)
	if fail != nil {
		return fail
	}
	st.mu.Lock()
	st.spent[c.tok.refresh] = true
	st.latest, st.unsaved = next, true
	st.mu.Unlock()
	c.tok = next
	return c.save(ctx, st, next)
}

// save stores pair through Options.SaveCredentials. When that fails the
// pair stays in memory (unsaved) for the next attempt, which stores it
// first; the attempt is retried with the reason.
func (c *conv) save(ctx context.Context, st *tokenState, next pair) *herald.Result {
	if err := c.p.opts.SaveCredentials(ctx, c.ch.ID, next.creds()); err != nil {
		c.p.log.Error().Str("platform", "x").Str("channel", c.ch.Name).Int64("channel_id", c.ch.ID).
			Str("error", httpcall.Redact(err.Error(), c.secrets...)).Msg("x: storing the refreshed token pair failed; it is kept in memory " +
			"and stored again on the next attempt (lost if Herald stops first: then the channel needs reauthorizing)")
		return c.fail(herald.OutcomeRetry, "X issued a new token pair but storing it failed (kept in memory, stored on the next attempt): %v", err)
	}
	st.mu.Lock()
	if st.latest.refresh == next.refresh {
		st.unsaved = false
	}
	st.mu.Unlock()
	return nil
}

// exchange sends the refresh_token grant to POST /2/oauth2/token: a
// confidential client (client_secret set) authenticates with HTTP Basic,
// a public one sends client_id in the form.
func (c *conv) exchange(ctx context.Context) (pair, *herald.Result) {
	creds := c.ch.Credentials
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {c.tok.refresh}}
	if creds["client_secret"] == "" {
		form.Set("client_id", creds["client_id"])
	}
	u := c.base + "/2/oauth2/token"
	shown := []byte("grant_type=refresh_token refresh_token=<redacted>")
	a := c.send(ctx, http.MethodPost, u, "application/x-www-form-urlencoded", []byte(form.Encode()), shown, false,
		func(r *http.Request) {
			if s := creds["client_secret"]; s != "" {
				r.SetBasicAuth(creds["client_id"], s)
			}
		})
	if a.err != nil {
		return pair{}, c.fail(httpcall.Unanswered(a.err), "refreshing the access token: no answer from X: %s", c.transport(a, u))
	}
	switch s := a.resp.Status; {
	case s == http.StatusOK:
	case s == http.StatusTooManyRequests:
		r := c.throttled(a.resp.Header, "refreshing the access token: "+problemText(a.resp))
		return pair{}, &r
	case s >= 500:
		return pair{}, c.fail(herald.OutcomeRetry, "refreshing the access token: %s", problemText(a.resp))
	default: // invalid_grant (a spent or revoked refresh token), invalid_request, unauthorized_client …
		return pair{}, c.fail(herald.OutcomeReauth, "X refused to refresh the access token (%s): reauthorize the channel", problemText(a.resp))
	}
	var t struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		ExpiresIn    int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(a.resp.Body, &t); err != nil || t.AccessToken == "" {
		return pair{}, c.fail(herald.OutcomeRetry, "refreshing the access token: X's answer has no access_token")
	}
	c.secret(t.AccessToken, t.RefreshToken)
	next := pair{access: t.AccessToken, refresh: t.RefreshToken}
	if next.refresh == "" {
		next.refresh = c.tok.refresh // not rotated: the old one stays valid
	}
	if t.ExpiresIn > 0 {
		next.expires = c.p.opts.Now().Add(time.Duration(t.ExpiresIn) * time.Second)
	}
	return next, nil
}
