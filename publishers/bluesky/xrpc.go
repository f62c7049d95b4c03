package bluesky

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/httpcall"
	"github.com/heraldhq/herald/publishers/internal/ratelimit"
)

// api is one operation's conversation with a PDS: it keeps a summary of
// every request for the Result, and the secrets to scrub from it.
type api struct {
	p        *Publisher
	ch       herald.Channel
	lim      *ratelimit.Call // this operation's use of p.limits
	base     string
	handle   string
	password string
	slot     *slot
	sess     *session // the session in use
	renewed  bool     // the session was refreshed or created during this operation
	calls    []string
	last     *httpcall.Response
	secrets  []string // tokens seen during this operation
}

// scrub removes every credential from a Result's texts.
func (a *api) scrub(r *herald.Result) {
	httpcall.Finish(r, a.redact)
}

func (a *api) redact(s string) string {
	return httpcall.Redact(s, append([]string{a.password}, a.secrets...)...)
}

// result builds a Result carrying the conversation so far.
func (a *api) result(o herald.Outcome, reason string) herald.Result {
	return httpcall.NewResult(o, reason, a.calls, a.last)
}

// xrpcError is the PDS's error body.
type xrpcError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// errorOf reads the {"error","message"} of an answer ("" when there is none).
func errorOf(resp *httpcall.Response) xrpcError {
	var e xrpcError
	json.Unmarshal(resp.Body, &e)
	return e
}

// errorText is "Name: message", or the status and body.
func errorText(resp *httpcall.Response) string {
	if e := errorOf(resp); e.Error != "" {
		if e.Message != "" {
			return e.Error + ": " + e.Message
		}
		return e.Error
	}
	return httpcall.BodyText(resp)
}

// expired reports an answer saying the access token expired: 400
// ExpiredToken (some servers answer 401).
func expired(resp *httpcall.Response) bool {
	return (resp.Status == http.StatusBadRequest || resp.Status == http.StatusUnauthorized) && errorOf(resp).Error == "ExpiredToken"
}

// rejected reports an answer refusing the credentials or the session.
func rejected(resp *httpcall.Response) bool {
	if resp.Status == http.StatusUnauthorized {
		return true
	}
	switch errorOf(resp).Error {
	case "InvalidToken", "AuthenticationRequired", "AccountTakedown", "AccountDeactivated", "AuthFactorTokenRequired":
		return true
	}
	return false
}

// request is one XRPC call.
type request struct {
	method string // GET (a query) or POST (a procedure)
	nsid   string
	query  url.Values
	body   []byte
	ctype  string
	shown  []byte // what the attempt record shows of the body; body when nil
	token  string // Bearer token; none when ""
}

// call sends one XRPC request. A transport error comes back as a retry
// Result: every call Herald makes to a PDS is safe to repeat (putRecord
// under a fixed record key included).
func (a *api) call(ctx context.Context, rq request) (*httpcall.Response, *herald.Result) {
	u := a.base + "/xrpc/" + rq.nsid
	if len(rq.query) > 0 {
		u += "?" + rq.query.Encode()
	}
	shown := rq.shown
	if shown == nil {
		shown = rq.body
	}
	a.calls = append(a.calls, httpcall.Summary(rq.method, u, shown))
	var body *bytes.Reader
	if rq.body != nil {
		body = bytes.NewReader(rq.body)
	} else {
		body = bytes.NewReader(nil)
	}
	hreq, err := http.NewRequestWithContext(ctx, rq.method, u, body)
	if err != nil {
		r := a.result(herald.OutcomeFailed, "invalid config.pds_url: "+err.Error())
		return nil, &r
	}
	if rq.token != "" {
		hreq.Header.Set("Authorization", "Bearer "+rq.token)
	}
	if rq.ctype != "" {
		hreq.Header.Set("Content-Type", rq.ctype)
	}
	hreq.Header.Set("Accept", "application/json")
	resp, _, err := httpcall.Do(a.p.client, hreq, 4<<20)
	a.last = resp
	if err != nil {
		o := herald.OutcomeRetry
		if httpcall.Stopped(err) {
			o = herald.OutcomeFailed
		}
		r := a.result(o, "no answer from the PDS: "+httpcall.ErrorText(err, u, a.secrets...))
		return nil, &r
	}
	return resp, nil
}

// failure classifies an answer that is not a success: 429 a throttled
// retry (and the channel held until the reset), 5xx and an ExpiredToken
// that outlived a refresh a retry, a refused
// session or password reauth, anything else failed with the PDS's reason.
func (a *api) failure(resp *httpcall.Response, doing string) herald.Result {
	msg := doing + ": " + errorText(resp)
	switch s := resp.Status; {
	case s == http.StatusTooManyRequests:
		r := a.result(herald.OutcomeRetry, msg)
		a.lim.Throttle(limitKey(a.ch), &r, a.retryAfter(resp.Header))
		r.Reason += fmt.Sprintf(" (the rate limit resets in %s)", r.RetryAfter)
		return r
	case s >= 500:
		return a.result(herald.OutcomeRetry, msg)
	case expired(resp):
		// Still expired after a refresh (clocks apart?): try again later.
		return a.result(herald.OutcomeRetry, msg+" (after refreshing the session)")
	case rejected(resp):
		a.p.sessions.drop(a.slot, a.sess)
		return a.result(herald.OutcomeReauth, "the PDS refused the channel's credentials, set a new app password: "+msg)
	}
	return a.result(herald.OutcomeFailed, msg)
}

// retryAfter is the wait until ratelimit-reset (Unix seconds), or the
// Retry-After header's, or DefaultThrottleWait when neither is there.
func (a *api) retryAfter(h http.Header) time.Duration {
	now := a.p.opts.Now()
	if s, err := strconv.ParseInt(h.Get("ratelimit-reset"), 10, 64); err == nil && s > 0 {
		if d := time.Unix(s, 0).Sub(now); d > 0 {
			return d
		}
	}
	if d := httpcall.RetryAfter(h, now); d > 0 {
		return d
	}
	return DefaultThrottleWait
}

// authed makes an authenticated call with the operation's session. When
// the PDS answers ExpiredToken and the session was not renewed yet during
// this operation, it refreshes the session (one refresh at a time per
// channel) and makes the call once more.
func (a *api) authed(ctx context.Context, rq request) (*httpcall.Response, *herald.Result) {
	if a.sess == nil {
		if fail := a.session(ctx); fail != nil {
			return nil, fail
		}
	}
	rq.token = a.sess.access
	resp, fail := a.call(ctx, rq)
	if fail != nil || !expired(resp) || a.renewed {
		return resp, fail
	}
	if fail := a.renew(ctx); fail != nil {
		return nil, fail
	}
	rq.token = a.sess.access
	return a.call(ctx, rq)
}
