package webhook

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/httpcall"
	"github.com/heraldhq/herald/publishers/internal/ratelimit"
)

// limitKey is a channel's key in the limiter: receivers name no pace, only
// waits (429 with Retry-After), which block the channel.
func limitKey(ch herald.Channel) string { return "webhook:" + strconv.FormatInt(ch.ID, 10) }

func (p *Publisher) publish(ctx context.Context, lim *ratelimit.Call, req herald.PublishRequest) herald.Result {
	ch := req.Channel
	target, secret := ch.ConfigString("url"), ch.Credentials["secret"]
	if !validURL(target) || secret == "" {
		return herald.Result{Outcome: herald.OutcomeFailed, Reason: "the channel has no valid config.url or no credentials.secret"}
	}
	key := limitKey(ch)
	if d := lim.Blocked(key); d > 0 {
		return herald.Result{Outcome: herald.OutcomeRetry, Throttled: true, RetryAfter: d,
			Reason: "the receiver asked Herald to wait; " + d.String() + " left"}
	}
	idemKey := req.IdempotencyKey
	if idemKey == "" {
		idemKey = fmt.Sprintf("herald-%s-%d", req.Workspace, req.DeliveryID)
	}
	m := req.Message
	body, err := json.Marshal(Payload{DeliveryID: req.DeliveryID, Workspace: req.Workspace, Channel: ch.Name,
		Text: m.Text, Body: m.Body(), Media: nonNil(m.Media), Link: m.Link, Tags: nonNil(m.Tags),
		IdempotencyKey: idemKey, Attempt: req.Attempt})
	if err != nil {
		return herald.Result{Outcome: herald.OutcomeFailed, Reason: "encoding the payload: " + err.Error()}
	}
	redact := func(s string) string { return httpcall.Redact(s, secret) }
	res := herald.Result{Request: redact(httpcall.Summary(http.MethodPost, target, append([]byte("Idempotency-Key: "+idemKey+" "), body...)))}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		res.Outcome, res.Reason = herald.OutcomeFailed, "invalid config.url: "+redact(err.Error())
		return res
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("User-Agent", "Herald-Webhook/1")
	hreq.Header.Set(SignatureHeader, Sign(secret, p.opts.Now(), body))
	hreq.Header.Set("Idempotency-Key", idemKey)
	hreq.Header.Set("Herald-Delivery", strconv.FormatInt(req.DeliveryID, 10))
	if !idempotent(&ch) {
		// The Idempotency-Key header would have Go's transport resend the
		// post by itself after a kept-alive connection closed unanswered,
		// to a receiver that may act on it twice.
		httpcall.NoReplay(hreq)
	}
	resp, sent, err := httpcall.Do(p.client, hreq, 1<<20)
	res.Response = redact(httpcall.Answer(resp))
	if err != nil {
		text := httpcall.ErrorText(err, target, secret)
		switch {
		case httpcall.Stopped(err):
			res.Outcome, res.Reason = herald.OutcomeFailed, "the receiver was not called: "+text
		case resp != nil && resp.Status >= 500:
			res.Outcome, res.Reason = herald.OutcomeRetry, fmt.Sprintf("the receiver answered %d: %s", resp.Status, text)
		case !sent:
			res.Outcome, res.Reason = herald.OutcomeRetry, "the request never reached the receiver: "+text
		case idempotent(&ch):
			res.Outcome, res.Reason = herald.OutcomeRetry, "no answer from the receiver: "+text+" (retried with the same Idempotency-Key: config.idempotent is true)"
		default:
			res.Outcome, res.Reason = herald.OutcomeUnknown, "no answer from the receiver, it may have acted on the post: "+text
		}
		return res
	}
	p.classify(resp, req, lim, key, &res)
	res.Reason = redact(res.Reason)
	return res
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// classify turns the receiver's answer into an outcome.
func (p *Publisher) classify(resp *httpcall.Response, req herald.PublishRequest, lim *ratelimit.Call, key string, res *herald.Result) {
	reason := answerText(resp)
	switch s := resp.Status; {
	case s >= 200 && s < 300:
		res.Outcome = herald.OutcomePublished
		res.RemoteID = strconv.FormatInt(req.DeliveryID, 10)
		var a struct {
			ID  any    `json:"id"`
			URL string `json:"url"`
		}
		if json.Unmarshal(resp.Body, &a) == nil {
			switch id := a.ID.(type) {
			case string:
				if id != "" {
					res.RemoteID = id
				}
			case float64:
				res.RemoteID = strconv.FormatFloat(id, 'f', -1, 64)
			}
			if validURL(a.URL) {
				res.URL = a.URL
			}
		}
	case s == http.StatusTooManyRequests:
		res.Reason = reason
		lim.Throttle(key, res, cmp.Or(httpcall.RetryAfter(resp.Header, p.opts.Now()), DefaultThrottle))
		res.Reason += fmt.Sprintf(" (retry after %s)", res.RetryAfter)
	case s >= 500 || s == http.StatusRequestTimeout:
		res.Outcome, res.Reason = herald.OutcomeRetry, reason
		res.RetryAfter = httpcall.RetryAfter(resp.Header, p.opts.Now())
	case s == http.StatusUnauthorized:
		res.Outcome, res.Reason = herald.OutcomeReauth, reason+" (the receiver refused Herald-Signature: credentials.secret differs from the receiver's)"
	case s == http.StatusGone:
		res.Outcome, res.Reason = herald.OutcomeFailed, reason+" (the receiver is gone)"
	case s >= 300 && s < 400:
		res.Outcome, res.Reason = herald.OutcomeFailed, reason+" (redirects are not followed; set config.url to "+resp.Header.Get("Location")+")"
	default:
		res.Outcome, res.Reason = herald.OutcomeFailed, reason
	}
}

// answerText is the receiver's {"error": …} or {"message": …}, or its
// status and a short body.
func answerText(resp *httpcall.Response) string {
	var e struct {
		Error   any    `json:"error"`
		Message string `json:"message"`
	}
	if json.Unmarshal(resp.Body, &e) == nil {
		if s, ok := e.Error.(string); ok && s != "" {
			return fmt.Sprintf("HTTP %d: %s", resp.Status, s)
		}
		if e.Message != "" {
			return fmt.Sprintf("HTTP %d: %s", resp.Status, e.Message)
		}
	}
	return httpcall.BodyText(resp)
}
