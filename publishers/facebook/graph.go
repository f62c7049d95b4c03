package facebook

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/httpcall"
	"github.com/heraldhq/herald/publishers/internal/ratelimit"
)

// conversation is one Publish, Check or Reconcile talking to the Graph
// API: it keeps a summary of each call for the Result.
type conversation struct {
	p       *Publisher
	base    string
	version string
	token   string
	page    string
	key     string          // the rate limiter's key: one per token
	lim     *ratelimit.Call // this conversation's use of p.limits
	// publishing marks the call that may make the post public: a network
	// error after sending it is unknown, not a retry.
	publishing bool
	calls      []string
	last       *httpcall.Response
}

func (c *conversation) redact(s string) string { return httpcall.Redact(s, c.token) }

// result builds a Result carrying the conversation so far.
func (c *conversation) result(o herald.Outcome, reason string) *herald.Result {
	r := httpcall.NewResult(o, reason, c.calls, c.last)
	return &r
}

// throttled is a throttled retry after d, with the pause fed to the limiter.
func (c *conversation) throttled(d time.Duration, reason string) *herald.Result {
	r := c.result(herald.OutcomeRetry, reason)
	c.lim.Throttle(c.key, r, d)
	return r
}

// limit is what the conversation's calls obey: Facebook names no pace,
// only waits, which block the token.
func (c *conversation) limit() ratelimit.Limit { return ratelimit.Limit{Key: c.key} }

// params builds url.Values from key, value pairs.
func params(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// graphError is the Graph API's error object.
type graphError struct {
	Message     string `json:"message"`
	Type        string `json:"type"`
	Code        int    `json:"code"`
	Subcode     int    `json:"error_subcode"`
	IsTransient bool   `json:"is_transient"`
	FBTraceID   string `json:"fbtrace_id"`
}

// call makes one Graph API call — POST with form (access_token in the
// body) or GET with form as the query — to /{version}/{path} and decodes
// the answer into out. It returns nil on success, or the classified Result.
func (c *conversation) call(ctx context.Context, method, path string, form url.Values, out any) *herald.Result {
	if d := c.lim.Blocked(c.key); d > 0 {
		r := c.result(herald.OutcomeRetry, fmt.Sprintf("Facebook's usage limits for this Page are reached: next call in %s", d.Round(time.Second)))
		r.Throttled, r.RetryAfter = true, d
		return r
	}
	u := c.base + "/" + c.version + "/" + path
	public := form.Encode()
	form = maps.Clone(form)
	if form == nil {
		form = url.Values{}
	}
	form.Set("access_token", c.token)
	var req *http.Request
	var err error
	if method == http.MethodGet {
		c.calls = append(c.calls, httpcall.Summary(method, u+"?"+public, nil))
		req, err = http.NewRequestWithContext(ctx, method, u+"?"+form.Encode(), nil)
	} else {
		c.calls = append(c.calls, httpcall.Summary(method, u, []byte(public)))
		req, err = http.NewRequestWithContext(ctx, method, u, strings.NewReader(form.Encode()))
	}
	if err != nil {
		return c.result(herald.OutcomeFailed, "invalid config.base_url: "+c.redact(err.Error()))
	}
	if method != http.MethodGet {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, sent, err := httpcall.Do(c.p.client, req, 4<<20)
	c.last = resp
	if err != nil {
		reason := "no answer from Facebook: " + httpcall.ErrorText(err, u, c.token)
		if httpcall.Stopped(err) {
			return c.result(herald.OutcomeFailed, reason)
		}
		if sent && c.publishing {
			return c.result(herald.OutcomeUnknown, reason+" (the post may have been made; Facebook has no idempotency key, so it is not retried)")
		}
		return c.result(herald.OutcomeRetry, reason)
	}
	var env struct {
		Error *graphError `json:"error"`
	}
	if json.Unmarshal(resp.Body, &env) == nil && env.Error != nil {
		return c.classify(resp, env.Error)
	}
	if resp.Status != http.StatusOK {
		switch {
		case resp.Status == http.StatusTooManyRequests:
			return c.throttled(c.usageWait(resp.Header), "Facebook answered HTTP 429 Too Many Requests")
		case resp.Status >= 500:
			return c.result(herald.OutcomeRetry, fmt.Sprintf("Facebook answered HTTP %d %s", resp.Status, http.StatusText(resp.Status)))
		}
		return c.result(herald.OutcomeFailed, fmt.Sprintf("Facebook answered HTTP %d %s", resp.Status, http.StatusText(resp.Status)))
	}
	c.noteUsage(resp.Header)
	if out != nil {
		if err := json.Unmarshal(resp.Body, out); err != nil {
			o := herald.OutcomeRetry
			if c.publishing {
				o = herald.OutcomeUnknown // it answered 200: the post may exist
			}
			return c.result(o, fmt.Sprintf("Facebook's answer to %s %s is not what it documents: %v", method, path, err))
		}
	}
	return nil
}

// classify maps a Graph error to an outcome (the package doc's table).
func (c *conversation) classify(resp *httpcall.Response, e *graphError) *herald.Result {
	msg := fmt.Sprintf("Facebook error %d", e.Code)
	if e.Subcode != 0 {
		msg += fmt.Sprintf(" (subcode %d)", e.Subcode)
	}
	msg += ": " + e.Message
	if e.FBTraceID != "" {
		msg += " [fbtrace_id " + e.FBTraceID + "]"
	}
	switch e.Code {
	case 190, 102:
		return c.result(herald.OutcomeReauth, msg+" (Facebook refused the Page access token: reauthorize the channel)")
	case 4, 17, 32, 341, 613:
		return c.throttled(c.usageWait(resp.Header), msg+" (rate limited: waiting before posting again)")
	case 368:
		return c.throttled(max(BlockedWait, c.usageWait(resp.Header)), msg+" (the Page is temporarily blocked from posting: retrying much later)")
	case 506:
		return c.result(herald.OutcomeFailed, "Facebook rejected it as a duplicate: "+msg)
	case 1, 2:
		return c.result(herald.OutcomeRetry, msg)
	case 10, 100:
		return c.result(herald.OutcomeFailed, msg)
	}
	switch {
	case e.Code >= 200 && e.Code <= 299:
		return c.result(herald.OutcomeFailed, msg+" (the token lacks a permission)")
	case e.IsTransient || resp.Status >= 500:
		return c.result(herald.OutcomeRetry, msg)
	}
	return c.result(herald.OutcomeFailed, msg)
}

// usage is one usage report: percentages of the limit used, and where
// Facebook says so the minutes until access returns.
type usage struct {
	CallCount    float64 `json:"call_count"`
	TotalCPUTime float64 `json:"total_cputime"`
	TotalTime    float64 `json:"total_time"`
	RegainMins   float64 `json:"estimated_time_to_regain_access"`
}

func (u usage) full() bool { return max(u.CallCount, u.TotalCPUTime, u.TotalTime) >= 100 }

// usages reads the usage headers of an answer: X-App-Usage, X-Page-Usage
// ({…} each) and X-Business-Use-Case-Usage ({"<id>":[{…}, …]}).
func usages(h http.Header) []usage {
	var out []usage
	for _, name := range []string{"X-App-Usage", "X-Page-Usage"} {
		var u usage
		if v := h.Get(name); v != "" && json.Unmarshal([]byte(v), &u) == nil {
			out = append(out, u)
		}
	}
	var buc map[string][]usage
	if v := h.Get("X-Business-Use-Case-Usage"); v != "" && json.Unmarshal([]byte(v), &buc) == nil {
		for _, us := range buc {
			out = append(out, us...)
		}
	}
	return out
}

// usageWait is the longest estimated_time_to_regain_access the usage
// headers give, or DefaultThrottleWait when none gives one.
func (c *conversation) usageWait(h http.Header) time.Duration {
	var mins float64
	for _, u := range usages(h) {
		mins = max(mins, u.RegainMins)
	}
	if mins <= 0 {
		return DefaultThrottleWait
	}
	return time.Duration(mins * float64(time.Minute))
}

// noteUsage blocks the channel's calls when a successful answer's usage
// headers say a limit is used up, so the next call does not hit it.
func (c *conversation) noteUsage(h http.Header) {
	for _, u := range usages(h) {
		if u.full() {
			c.lim.BlockFor(c.key, c.usageWait(h))
			return
		}
	}
}
