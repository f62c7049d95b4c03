package x

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/httpcall"
	"github.com/heraldhq/herald/publishers/internal/ratelimit"
)

// conv is one Publish or Check call's conversation with X: the channel,
// the token pair in use, and a summary of every request for the Result.
type conv struct {
	p          *Publisher
	ch         *herald.Channel
	key        string          // the channel's key in Publisher.tokens and the rate limits
	lim        *ratelimit.Call // this conversation's use of Publisher.limits
	base       string
	uploadBase string
	tok        pair
	refreshed  bool     // the pair was refreshed during this call
	secrets    []string // scrubbed from every Result field
	calls      []string
	last       *httpcall.Response
}

// conv starts a conversation on ch, with blocks (PublishRequest.Blocks)
// imported into the publisher's limits.
func (p *Publisher) conv(ch *herald.Channel, blocks map[string]time.Time) *conv {
	base := strings.TrimRight(ch.ConfigString("base_url"), "/")
	if base == "" {
		base = DefaultBaseURL
	}
	upload := strings.TrimRight(ch.ConfigString("upload_base_url"), "/")
	if upload == "" {
		upload = base
	}
	key := ch.Name
	if ch.ID != 0 {
		key = strconv.FormatInt(ch.ID, 10)
	}
	c := &conv{p: p, ch: ch, key: key, lim: p.limits.Begin(blocks), base: base, uploadBase: upload, tok: pairOf(ch.Credentials)}
	c.secret(ch.Credentials["access_token"], ch.Credentials["refresh_token"], ch.Credentials["client_secret"])
	return c
}

func (c *conv) secret(s ...string) { c.secrets = append(c.secrets, s...) }

func (c *conv) limitKey() string { return "x:" + c.key }

// appKey is the rate-limit key of the channel's app (its client_id, which
// is public), or "" without one: X's 24-hour app cap holds every channel
// posting with the app.
func (c *conv) appKey() string {
	if id := strings.TrimSpace(c.ch.Credentials["client_id"]); id != "" {
		return "x:app:" + id
	}
	return ""
}

// limits are what the channel's posts obey: its pace, and its app's blocks.
func (c *conv) limits() []ratelimit.Limit {
	l := []ratelimit.Limit{{Key: c.limitKey(), Every: c.p.opts.TweetEvery, Burst: c.p.opts.TweetBurst}}
	if app := c.appKey(); app != "" {
		l = append(l, ratelimit.Limit{Key: app})
	}
	return l
}

// result builds a Result carrying the conversation so far.
func (c *conv) result(o herald.Outcome, reason string) herald.Result {
	return httpcall.NewResult(o, reason, c.calls, c.last)
}

func (c *conv) fail(o herald.Outcome, format string, args ...any) *herald.Result {
	r := c.result(o, fmt.Sprintf(format, args...))
	return &r
}

// finish scrubs every secret of the conversation from res.
func (c *conv) finish(res *herald.Result) {
	httpcall.Finish(res, func(s string) string { return httpcall.Redact(s, c.secrets...) })
}

// answer is one exchange: the response, or the transport error and
// whether the request may have reached X.
type answer struct {
	resp *httpcall.Response
	sent bool
	err  error
}

// send makes one request; bearer adds the current access token.
func (c *conv) send(ctx context.Context, method, u, contentType string, body, shown []byte, bearer bool, prepare func(*http.Request)) answer {
	c.calls = append(c.calls, httpcall.Summary(method, u, shown))
	hreq, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return answer{err: fmt.Errorf("invalid config.base_url: %w", err)}
	}
	if bearer {
		hreq.Header.Set("Authorization", "Bearer "+c.tok.access)
	}
	if contentType != "" {
		hreq.Header.Set("Content-Type", contentType)
	}
	hreq.Header.Set("Accept", "application/json")
	if prepare != nil {
		prepare(hreq)
	}
	resp, sent, err := httpcall.Do(c.p.client, hreq, 1<<20)
	c.last = resp
	if err == nil && resp != nil {
		c.calls[len(c.calls)-1] += fmt.Sprintf(" → %d", resp.Status)
	}
	return answer{resp: resp, sent: sent, err: err}
}

// authed sends with the access token. On 401 it refreshes the pair (once
// per conversation) and sends again; stop ends the publish when the
// refresh did not give a usable pair.
func (c *conv) authed(ctx context.Context, method, u, contentType string, body, shown []byte) (a answer, stop *herald.Result) {
	a = c.send(ctx, method, u, contentType, body, shown, true, nil)
	if a.err != nil || a.resp.Status != http.StatusUnauthorized || c.refreshed {
		return a, nil
	}
	if stop := c.refresh(ctx); stop != nil {
		return a, stop
	}
	return c.send(ctx, method, u, contentType, body, shown, true, nil), nil
}

// transport describes a transport error without secrets.
func (c *conv) transport(a answer, u string) string {
	return httpcall.ErrorText(a.err, u, c.secrets...)
}

// failure classifies an answer that is not a success. what names the call
// ("posting", "uploading …") in the reason.
func (c *conv) failure(resp *httpcall.Response, what string) herald.Result {
	msg := problemText(resp)
	switch s := resp.Status; {
	case s == http.StatusUnauthorized:
		return c.result(herald.OutcomeReauth, "X rejected the access token even after a refresh, reauthorize the channel: "+msg)
	case s == http.StatusForbidden && strings.Contains(strings.ToLower(msg), "duplicate content"):
		return c.result(herald.OutcomeFailed, "X rejected it as a duplicate of a recent post (it may already be published: "+
			"look for it on the account before posting it again): "+msg)
	case s == http.StatusTooManyRequests:
		return c.throttled(resp.Header, what+": "+msg)
	case s >= 500:
		return c.result(herald.OutcomeRetry, what+": "+msg)
	}
	return c.result(herald.OutcomeFailed, what+": "+msg)
}

// throttled is a throttled retry until X's reset time, which also blocks
// the channel's limiter so that other deliveries wait without calling.
func (c *conv) throttled(h http.Header, reason string) herald.Result {
	now := c.p.opts.Now()
	reset, ok := resetTime(h)
	wait := DefaultThrottleWait
	if ok {
		wait = max(reset.Sub(now), time.Second)
	}
	r := c.result(herald.OutcomeRetry, fmt.Sprintf("%s (X's rate limit resets in %s)", reason, wait.Round(time.Second)))
	c.lim.Throttle(c.limitKey(), &r, wait)
	c.holdExhausted(h)
	return r
}

// holdExhausted blocks the channel until the latest reset of its used-up
// limits (x-rate-limit-*, x-user-limit-24hour-*), and the app until the
// reset of its used-up cap (x-app-limit-24hour-*), so that later posts
// wait without calling X.
func (c *conv) holdExhausted(h http.Header) {
	if reset, ok := exhausted(h, userLimits...); ok {
		c.lim.BlockUntil(c.limitKey(), reset)
	}
	if reset, ok := exhausted(h, appLimits...); ok && c.appKey() != "" {
		c.lim.BlockUntil(c.appKey(), reset)
	}
}

// resetTime is when X's limits let the channel post again: the latest
// reset among the exhausted ones (see exhausted), else x-rate-limit-reset.
func resetTime(h http.Header) (time.Time, bool) {
	if t, ok := exhausted(h, append(userLimits, appLimits...)...); ok {
		return t, true
	}
	return epoch(h.Get("x-rate-limit-reset"))
}

// The header prefixes of X's limits: the endpoint's window and the
// account's daily cap hold the channel, the app's daily cap every channel
// of the app.
var (
	userLimits = []string{"x-rate-limit-", "x-user-limit-24hour-"}
	appLimits  = []string{"x-app-limit-24hour-"}
)

// exhausted is the latest reset (epoch seconds) among the limits of the
// header prefixes whose remaining is 0.
func exhausted(h http.Header, prefixes ...string) (time.Time, bool) {
	var latest time.Time
	for _, prefix := range prefixes {
		if strings.TrimSpace(h.Get(prefix+"remaining")) != "0" {
			continue
		}
		if t, ok := epoch(h.Get(prefix + "reset")); ok && t.After(latest) {
			latest = t
		}
	}
	return latest, !latest.IsZero()
}

func epoch(s string) (time.Time, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}, false
	}
	return time.Unix(n, 0), true
}

// problemText is X's error: a problem's detail (or title), the messages of
// {"errors":[…]}, an OAuth error, or the status and body.
func problemText(resp *httpcall.Response) string {
	var p struct {
		Title  string `json:"title"`
		Detail string `json:"detail"`
		Errors []struct {
			Message string `json:"message"`
			Detail  string `json:"detail"`
		} `json:"errors"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if json.Unmarshal(resp.Body, &p) == nil {
		var msgs []string
		for _, e := range p.Errors {
			if m := cmp.Or(e.Message, e.Detail); m != "" {
				msgs = append(msgs, m)
			}
		}
		switch {
		case len(msgs) > 0:
			return strings.Join(msgs, "; ")
		case p.Detail != "" || p.Title != "":
			return cmp.Or(p.Detail, p.Title)
		case p.Error != "" && p.Description != "":
			return p.Error + ": " + p.Description
		case p.Error != "":
			return p.Error
		}
	}
	return httpcall.BodyText(resp)
}
