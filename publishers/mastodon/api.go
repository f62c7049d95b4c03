package mastodon

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/httpcall"
	"github.com/heraldhq/herald/publishers/internal/ratelimit"
)

// api is one Publish call's conversation with an instance: it keeps a
// summary of every request for the Result.
type api struct {
	p        *Publisher
	base     string
	token    string
	limitKey string          // the account's key in p.limits
	lim      *ratelimit.Call // this conversation's use of p.limits
	calls    []string
	last     *httpcall.Response
}

func (a *api) redact(s string) string { return httpcall.Redact(s, a.token) }

// result builds a Result carrying the conversation so far.
func (a *api) result(o herald.Outcome, reason string) herald.Result {
	return httpcall.NewResult(o, reason, a.calls, a.last)
}

func (a *api) publish(ctx context.Context, req herald.PublishRequest) herald.Result {
	if a.base == "" || a.token == "" {
		return herald.Result{Outcome: herald.OutcomeFailed, Reason: "the channel has no instance_url or access_token configured"}
	}
	ids := make([]string, 0, len(req.Message.Media))
	for _, u := range req.Message.Media {
		id, fail := a.media(ctx, u)
		if fail != nil {
			return *fail
		}
		ids = append(ids, id)
	}
	return a.postStatus(ctx, req, ids)
}

// call sends one request to the instance. A transport error comes back as a
// retry Result: every Mastodon call Herald makes is safe to repeat.
func (a *api) call(ctx context.Context, method, path, contentType string, body, shown []byte, header http.Header) (*httpcall.Response, *herald.Result) {
	u := a.base + path
	a.calls = append(a.calls, httpcall.Summary(method, u, shown))
	hreq, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		r := a.result(herald.OutcomeFailed, "invalid config.instance_url: "+err.Error())
		return nil, &r
	}
	for k, vs := range header {
		hreq.Header[k] = vs
	}
	hreq.Header.Set("Authorization", "Bearer "+a.token)
	if contentType != "" {
		hreq.Header.Set("Content-Type", contentType)
	}
	hreq.Header.Set("Accept", "application/json")
	resp, _, err := httpcall.Do(a.p.client, hreq, 1<<20)
	a.last = resp
	if err != nil {
		o := herald.OutcomeRetry
		if httpcall.Stopped(err) {
			o = herald.OutcomeFailed
		}
		r := a.result(o, "no answer from the instance: "+httpcall.ErrorText(err, u, a.token))
		return nil, &r
	}
	a.observeLimit(resp)
	return resp, nil
}

// failure classifies an answer that is not a success.
func (a *api) failure(resp *httpcall.Response) herald.Result {
	msg := errorText(resp)
	switch s := resp.Status; {
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		return a.result(herald.OutcomeReauth, "the instance refused the access token, reauthorize the channel: "+msg)
	case s == http.StatusUnprocessableEntity:
		return a.result(herald.OutcomeFailed, msg)
	case s == http.StatusTooManyRequests:
		r := a.result(herald.OutcomeRetry, msg)
		a.lim.Throttle(a.limitKey, &r, a.retryAfter(resp.Header))
		if r.RetryAfter > 0 {
			r.Reason += fmt.Sprintf(" (the rate limit resets in %s)", r.RetryAfter)
		}
		return r
	case s >= 500:
		return a.result(herald.OutcomeRetry, msg)
	}
	return a.result(herald.OutcomeFailed, msg)
}

// observeLimit holds the account back until X-RateLimit-Reset when an
// answer says no request is left in the window.
func (a *api) observeLimit(resp *httpcall.Response) {
	if strings.TrimSpace(resp.Header.Get("X-RateLimit-Remaining")) != "0" {
		return
	}
	if wait := a.retryAfter(resp.Header); wait > 0 {
		a.lim.BlockFor(a.limitKey, wait)
	}
}

// retryAfter is the wait until X-RateLimit-Reset (an ISO time), or the
// Retry-After header's, or 0 when neither is there.
func (a *api) retryAfter(h http.Header) time.Duration {
	if reset, err := time.Parse(time.RFC3339Nano, h.Get("X-RateLimit-Reset")); err == nil {
		return max(0, reset.Sub(a.p.opts.Now()))
	}
	return httpcall.RetryAfter(h, a.p.opts.Now())
}

// errorText is the instance's {"error": "…"}, or the status and body.
func errorText(resp *httpcall.Response) string {
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if json.Unmarshal(resp.Body, &e) == nil && e.Error != "" {
		if e.Description != "" {
			return e.Error + ": " + e.Description
		}
		return e.Error
	}
	return httpcall.BodyText(resp)
}

type status struct {
	ID  string `json:"id"`
	URL string `json:"url"`
	URI string `json:"uri"`
}

// postStatus sends POST /api/v1/statuses with the delivery's Idempotency-Key.
func (a *api) postStatus(ctx context.Context, req herald.PublishRequest, mediaIDs []string) herald.Result {
	body := map[string]any{"status": req.Message.Body(), "visibility": req.Channel.ConfigString("visibility")}
	if body["visibility"] == "" {
		body["visibility"] = "public"
	}
	if len(mediaIDs) > 0 {
		body["media_ids"] = mediaIDs
	}
	if lang := req.Channel.ConfigString("language"); lang != "" {
		body["language"] = lang
	}
	b, err := json.Marshal(body)
	if err != nil {
		return a.result(herald.OutcomeFailed, "encoding the status: "+err.Error())
	}
	key := req.IdempotencyKey
	if key == "" {
		key = fmt.Sprintf("herald-%s-%d", req.Workspace, req.DeliveryID)
	}
	shown := append([]byte("Idempotency-Key: "+key+" "), b...)
	resp, fail := a.call(ctx, http.MethodPost, "/api/v1/statuses", "application/json", b, shown,
		http.Header{"Idempotency-Key": {key}})
	if fail != nil {
		fail.Reason += " (retried with the same Idempotency-Key)"
		return *fail
	}
	if resp.Status < 200 || resp.Status > 299 {
		return a.failure(resp)
	}
	var st status
	if err := json.Unmarshal(resp.Body, &st); err != nil || st.ID == "" {
		// Posted or not, a retry with the same key answers the original status.
		return a.result(herald.OutcomeRetry, "the instance's answer has no status id; retried with the same Idempotency-Key")
	}
	r := a.result(herald.OutcomePublished, "")
	r.RemoteID, r.URL = st.ID, st.URL
	if r.URL == "" {
		r.URL = st.URI
	}
	return r
}
