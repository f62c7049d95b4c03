package container

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/httpcall"
)

// GraphError is Meta's Graph API error object, the "error" of every
// refusal: {"error":{"message","type","code","error_subcode","fbtrace_id"}}
// (Instagram adds is_transient and error_user_msg).
type GraphError struct {
	Message     string `json:"message"`
	Type        string `json:"type"`
	Code        int    `json:"code"`
	Subcode     int    `json:"error_subcode,omitempty"`
	IsTransient bool   `json:"is_transient,omitempty"`
	UserMsg     string `json:"error_user_msg,omitempty"`
	FBTraceID   string `json:"fbtrace_id"`
}

// Graph error codes and subcodes the adapters tell apart (platforms.md).
const (
	CodeUnknown        = 1
	CodeService        = 2
	CodeAppLimit       = 4
	CodeUserLimit      = 17
	CodePageLimit      = 32
	CodeCallLimit      = 341
	CodeRateLimit      = 613
	CodePermission     = 10
	CodeInvalidParam   = 100
	CodeSession        = 102
	CodeInvalidToken   = 190
	CodePolicyBlock    = 368
	CodeNotReady       = 9007    // media_publish before the container is FINISHED
	SubDownloadTimeout = 2207003 // Meta could not download the media in time: retry
	SubServerError     = 2207001 // retry
	SubExpired         = 2207020 // the container expired: create another
	SubTooLarge        = 2207004 // the image is too large: permanent
	SubNotReady        = 2207027 // the container is not ready to publish yet
	SubCapReached      = 2207042 // the publishing cap of the rolling 24 hours is reached
)

// call is one Graph request: GET with a query or POST with a form; the
// access token travels as the access_token parameter, as the Graph API
// documents, and is scrubbed from everything recorded.
func (c *conv) call(ctx context.Context, method, path string, params url.Values, out any) *herald.Result {
	if params == nil {
		params = url.Values{}
	}
	u := c.conn.Base + "/" + strings.TrimLeft(path, "/")
	shown := u
	params.Set("access_token", c.conn.Token)
	var req *http.Request
	var err error
	if method == http.MethodGet {
		if q := params.Encode(); q != "" {
			u += "?" + q
		}
		c.calls = append(c.calls, httpcall.Summary(method, c.redact(u), nil))
		req, err = http.NewRequestWithContext(ctx, method, u, nil)
	} else {
		body := params.Encode()
		c.calls = append(c.calls, httpcall.Summary(method, shown, []byte(c.redact(body))))
		req, err = http.NewRequestWithContext(ctx, method, u, strings.NewReader(body))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	}
	if err != nil {
		return c.result(herald.OutcomeFailed, "invalid config.base_url: "+c.redact(err.Error()))
	}
	resp, sent, err := httpcall.Do(c.e.client, req, 1<<20)
	c.last = resp
	if err != nil {
		c.lost = sent && method == http.MethodPost && !httpcall.Stopped(err)
		return c.result(httpcall.Unanswered(err), fmt.Sprintf("no answer from %s to %s %s: %s", c.e.spec.Name, method, path, httpcall.ErrorText(err, shown, c.conn.Token)))
	}
	var env struct {
		Error *GraphError `json:"error"`
	}
	if json.Unmarshal(resp.Body, &env) == nil && env.Error != nil {
		return c.classify(resp, env.Error)
	}
	if resp.Status != http.StatusOK {
		o := herald.OutcomeFailed
		switch {
		case resp.Status == http.StatusUnauthorized:
			o = herald.OutcomeReauth
		case resp.Status >= 500 || resp.Status == http.StatusTooManyRequests:
			o = herald.OutcomeRetry
		}
		return c.result(o, fmt.Sprintf("%s answered HTTP %d %s to %s %s", c.e.spec.Name, resp.Status, http.StatusText(resp.Status), method, path))
	}
	if out != nil {
		if err := json.Unmarshal(resp.Body, out); err != nil {
			return c.result(herald.OutcomeRetry, fmt.Sprintf("%s's answer to %s %s is not JSON: %v", c.e.spec.Name, method, path, err))
		}
	}
	return nil
}

// classify turns a Graph error into a Result: 190 (and 102) need new
// credentials; 4, 17, 32, 341 and 613 are throttling (waiting what
// X-Business-Use-Case-Usage or X-App-Usage say, else DefaultThrottleWait); 1, 2,
// is_transient, 9007, the download/server subcodes and 2207020 (the
// container expired: the retry makes another) retry; 368 (a policy
// block) retries after DefaultPolicyWait; subcode 2207042 (the publishing cap) is
// a throttled retry after DefaultQuotaWait; everything else fails with Meta's message.
func (c *conv) classify(resp *httpcall.Response, e *GraphError) *herald.Result {
	msg := fmt.Sprintf("%s error %d", c.e.spec.Name, e.Code)
	if e.Subcode != 0 {
		msg += fmt.Sprintf("/%d", e.Subcode)
	}
	msg += ": " + e.Message
	if e.UserMsg != "" && e.UserMsg != e.Message {
		msg += " (" + e.UserMsg + ")"
	}
	switch {
	case e.Code == CodeInvalidToken || e.Code == CodeSession:
		return c.result(herald.OutcomeReauth, msg+" (the access token was refused: reauthorize the channel)")
	case e.Code == CodeAppLimit || e.Code == CodeUserLimit || e.Code == CodePageLimit || e.Code == CodeCallLimit || e.Code == CodeRateLimit:
		return c.throttled(usageWait(resp.Header, DefaultThrottleWait), msg)
	case e.Subcode == SubCapReached:
		return c.throttled(DefaultQuotaWait, msg+" (the publishing cap of 24 hours is reached)")
	case e.Code == CodePolicyBlock:
		r := c.result(herald.OutcomeRetry, msg+" (a temporary block: trying again much later)")
		r.RetryAfter = DefaultPolicyWait
		return r
	case e.Subcode == SubTooLarge:
		return c.result(herald.OutcomeFailed, msg)
	case e.Subcode == SubExpired:
		return c.result(herald.OutcomeRetry, msg+" (the container expired before it was published: a retry makes another)")
	case e.Code == CodeUnknown || e.Code == CodeService || e.IsTransient || e.Code == CodeNotReady ||
		e.Subcode == SubDownloadTimeout || e.Subcode == SubServerError || e.Subcode == SubNotReady:
		return c.result(herald.OutcomeRetry, msg)
	case resp.Status >= 500 && e.Code == 0:
		return c.result(herald.OutcomeRetry, msg)
	}
	return c.result(herald.OutcomeFailed, msg)
}

// usageWait reads the longest estimated_time_to_regain_access (minutes)
// in X-Business-Use-Case-Usage or X-App-Usage; def when none is given.
func usageWait(h http.Header, def time.Duration) time.Duration {
	longest := 0
	if v := h.Get("X-Business-Use-Case-Usage"); v != "" {
		var buc map[string][]struct {
			Minutes int `json:"estimated_time_to_regain_access"`
		}
		if json.Unmarshal([]byte(v), &buc) == nil {
			for _, list := range buc {
				for _, u := range list {
					longest = max(longest, u.Minutes)
				}
			}
		}
	}
	if v := h.Get("X-App-Usage"); v != "" {
		var app struct {
			Minutes int `json:"estimated_time_to_regain_access"`
		}
		if json.Unmarshal([]byte(v), &app) == nil {
			longest = max(longest, app.Minutes)
		}
	}
	if longest > 0 {
		return time.Duration(longest) * time.Minute
	}
	return def
}
