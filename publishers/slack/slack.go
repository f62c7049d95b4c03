// Package slack publishes to a Slack channel through an incoming webhook:
// POST <webhook_url> with JSON {"text": …}, and, when the post has images,
// blocks: the text in mrkdwn sections and one image block per image URL
// (Slack fetches the images itself).
//
// Channel credentials: webhook_url (required,
// https://hooks.slack.com/services/T…/B…/…; the URL is the secret). No config.
//
// Slack answers a plain-text "ok" and no message id or permalink, so a
// published Result has RemoteID and URL "" and its Response says so.
// Incoming webhooks have no idempotency key: a call that may have reached
// Slack without an answer is unknown. There is no read endpoint either, so
// Check can only validate the URL's shape.
package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/httpcall"
	"github.com/heraldhq/herald/publishers/internal/ratelimit"
	"github.com/heraldhq/herald/publishers/outbound"
	"github.com/rs/zerolog"
)

// Herald's own pace per webhook: Slack allows about one message a second
// with short bursts; its 429 Retry-After blocks the webhook further.
const (
	PaceEvery = time.Second
	PaceBurst = 3
)

// NoID is what a published Result's Response says about the missing id.
const NoID = "Slack incoming webhooks return no message id"

// Options configure the publisher. Zero values take the defaults.
type Options struct {
	HTTPClient *http.Client // built by outbound.New; default outbound.Client(nil): public addresses only
	Logger     zerolog.Logger
	Now        func() time.Time // herald.Now when nil; the rate limiter's clock
}

// Publisher publishes to Slack incoming webhooks. It is safe for concurrent use.
type Publisher struct {
	opts   Options
	client *http.Client
	log    zerolog.Logger
	limits *ratelimit.Set // keys "slack:<channel id>"
}

// New returns a Slack publisher.
func New(opts Options) *Publisher {
	if opts.Now == nil {
		opts.Now = herald.Now
	}
	return &Publisher{opts: opts, client: outbound.Client(opts.HTTPClient), log: opts.Logger, limits: ratelimit.New(opts.Now)}
}

// Idempotent reports false: incoming webhooks have no idempotency key.
func (p *Publisher) Idempotent() bool { return false }

// Endpoints names the settings that decide where the channel's credentials
// are sent: each must be an outbound URL the guard allows, and changing
// one needs the credentials again.
func (p *Publisher) Endpoints() []string { return []string{"credentials.webhook_url"} }

var servicePath = regexp.MustCompile(`/services/(T[A-Z0-9]+)/(B[A-Z0-9]+)/([A-Za-z0-9]+)$`)

// parseWebhook checks a webhook URL: absolute http(s) with a
// /services/T…/B…/secret path. It returns the URL and the secret.
func parseWebhook(raw string) (*url.URL, string, bool) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, "", false
	}
	m := servicePath.FindStringSubmatch(u.Path)
	if m == nil {
		return nil, "", false
	}
	return u, m[3], true
}

const shapeHint = "credentials.webhook_url must look like https://hooks.slack.com/services/T…/B…/…"

// ValidateChannel checks the channel's credentials. It returns an
// EVALIDATION *herald.Error (column "credentials.webhook_url"), or nil.
func (p *Publisher) ValidateChannel(ch *herald.Channel) error {
	var pr *herald.Problem
	switch w := ch.Credentials["webhook_url"]; {
	case strings.TrimSpace(w) == "":
		pr = &herald.Problem{Column: "credentials.webhook_url", Code: "required", Message: "credentials.webhook_url is required: the incoming webhook's URL, https://hooks.slack.com/services/T…/B…/…"}
	default:
		if _, _, ok := parseWebhook(w); !ok {
			pr = &herald.Problem{Column: "credentials.webhook_url", Code: "invalid", Message: shapeHint}
		}
	}
	if pr == nil {
		return nil
	}
	return &herald.Error{Code: herald.EVALIDATION, Message: "invalid slack channel", Details: []herald.Problem{*pr}}
}

// Check validates the webhook URL's shape and calls nothing: Slack offers
// no read endpoint for incoming webhooks, and a test message would post.
// It returns EINVALID for a malformed URL, else nil (which does not prove
// the webhook still works).
func (p *Publisher) Check(_ context.Context, ch *herald.Channel) error {
	if _, _, ok := parseWebhook(ch.Credentials["webhook_url"]); !ok {
		return herald.Errorf(herald.EINVALID, "%s (Slack has no read endpoint for webhooks; only the URL's shape is checked)", shapeHint)
	}
	return nil
}

// Publish posts req's message through the webhook and classifies Slack's
// plain-text answer: 200 ok published (no id; Response says so); 429 a
// throttled retry after Retry-After; invalid_token, no_service, no_team,
// team_disabled, token_revoked, token_expired reauth; other 4xx
// (invalid_payload, no_text, invalid_blocks, action_prohibited,
// channel_not_found, channel_is_archived) failed; 5xx retry; no answer after
// sending unknown. Herald's own pace per webhook, and the wait of an
// earlier 429, give a throttled retry without calling Slack. For other
// processes the 429's block (key "slack:<channel id>") comes in req.Blocks
// and goes back in Result.Blocks, and Result.NotBefore is PaceEvery after
// a message.
func (p *Publisher) Publish(ctx context.Context, req herald.PublishRequest) herald.Result {
	start := time.Now()
	lim := p.limits.Begin(req.Blocks)
	res := p.publish(ctx, lim, req)
	lim.Finish(&res, limit(req.Channel))
	hook := req.Channel.Credentials["webhook_url"]
	_, secret, _ := parseWebhook(hook)
	httpcall.Finish(&res, func(s string) string { return httpcall.Redact(s, hook, secret) })
	p.log.Debug().Str("platform", "slack").Str("workspace", req.Workspace).
		Str("channel", req.Channel.Name).Int64("delivery", req.DeliveryID).Int("attempt", req.Attempt).
		Str("outcome", string(res.Outcome)).Str("reason", res.Reason).
		Dur("took", time.Since(start)).Msg("slack publish")
	return res
}

// limit is Herald's pace of a channel's webhook.
func limit(ch herald.Channel) ratelimit.Limit {
	return ratelimit.Limit{Key: "slack:" + strconv.FormatInt(ch.ID, 10), Every: PaceEvery, Burst: PaceBurst}
}

func (p *Publisher) publish(ctx context.Context, lim *ratelimit.Call, req herald.PublishRequest) herald.Result {
	u, secret, ok := parseWebhook(req.Channel.Credentials["webhook_url"])
	if !ok {
		return herald.Result{Outcome: herald.OutcomeFailed, Reason: "the channel has no valid " + shapeHint}
	}
	l := limit(req.Channel)
	key := l.Key
	if d := lim.DelayAll(l); d > 0 {
		return herald.Result{Outcome: herald.OutcomeRetry, Throttled: true, RetryAfter: d,
			Reason: "Herald holds this webhook for " + d.String() + " (Slack's rate limit)"}
	}
	body, err := json.Marshal(payload(req.Message))
	if err != nil {
		return herald.Result{Outcome: herald.OutcomeFailed, Reason: "encoding the message: " + err.Error()}
	}
	shown := strings.Replace(u.String(), "/"+secret, "/<redacted>", 1)
	redact := func(s string) string { return httpcall.Redact(s, u.String(), secret) }
	res := herald.Result{Request: redact(httpcall.Summary(http.MethodPost, shown, body))}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		res.Outcome, res.Reason = herald.OutcomeFailed, "invalid credentials.webhook_url"
		return res
	}
	hreq.Header.Set("Content-Type", "application/json")
	resp, sent, err := httpcall.Do(p.client, hreq, 64<<10)
	res.Response = redact(httpcall.Answer(resp))
	if err != nil {
		text := httpcall.ErrorText(err, shown, secret)
		switch {
		case httpcall.Stopped(err):
			res.Outcome, res.Reason = herald.OutcomeFailed, "Slack was not called: "+text
		case resp != nil && resp.Status >= 500:
			res.Outcome, res.Reason = herald.OutcomeRetry, fmt.Sprintf("Slack answered %d: %s", resp.Status, text)
		case !sent:
			res.Outcome, res.Reason = herald.OutcomeRetry, "the request never reached Slack: "+text
		default:
			res.Outcome, res.Reason = herald.OutcomeUnknown, "no answer from Slack, the message may have been posted: "+text
		}
		return res
	}
	res.Outcome, res.Reason = classify(resp)
	res.Reason = redact(res.Reason)
	switch res.Outcome {
	case herald.OutcomePublished:
		res.Response += " (" + NoID + ")"
	case herald.OutcomeRetry:
		if resp.Status == http.StatusTooManyRequests {
			lim.Throttle(key, &res, httpcall.RetryAfter(resp.Header, p.opts.Now()))
			if res.RetryAfter > 0 {
				res.Reason += fmt.Sprintf(" (retry after %s)", res.RetryAfter)
			}
		}
	}
	return res
}

// reauthCodes are Slack's answers meaning the webhook's credentials are gone.
var reauthCodes = map[string]bool{"invalid_token": true, "no_service": true, "no_team": true,
	"team_disabled": true, "token_revoked": true, "token_expired": true}

// classify maps Slack's status and plain-text code to an outcome and reason.
func classify(resp *httpcall.Response) (herald.Outcome, string) {
	code, ok := httpcall.Quotable(resp) // Slack's codes are one short word
	if !ok || code == "" {
		code = httpcall.BodyText(resp)
	}
	switch s := resp.Status; {
	case s == http.StatusOK && code == "ok":
		return herald.OutcomePublished, ""
	case s == http.StatusTooManyRequests:
		return herald.OutcomeRetry, code
	case reauthCodes[code]:
		return herald.OutcomeReauth, code + " (Slack refused the webhook: create a new one and put its URL in credentials.webhook_url)"
	case s >= 500:
		return herald.OutcomeRetry, code
	case s >= 200 && s < 300:
		return herald.OutcomeUnknown, "unexpected answer from Slack: " + code
	}
	return herald.OutcomeFailed, code
}
