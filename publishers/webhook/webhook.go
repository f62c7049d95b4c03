// Package webhook hands posts to any HTTP receiver (Zapier-style hand-offs,
// a team's own systems): a signed JSON POST of the post to a URL.
//
// Channel config: url (required, the receiver's http(s) URL), idempotent
// (optional, true when the receiver honours the Idempotency-Key header by
// answering a repeated key without acting twice). Credentials: secret
// (required; the HMAC key, shared with the receiver).
//
// Each request carries the Payload as JSON, the header
// "Herald-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>"
// (receivers check it with Verify), "Idempotency-Key" (the delivery's key,
// the same on every retry) and "Herald-Delivery" (the delivery id).
//
// The receiver's answer: 2xx published (RemoteID the answer's JSON "id" when
// there is one, else the delivery id; URL the answer's "url" when it is an
// http(s) URL); 429 a throttled retry after Retry-After; 408 and 5xx retry;
// 401 reauth (the receiver refused the signature, so the secrets differ);
// 410, any other 4xx and 3xx (redirects are not followed: config.url must
// name the receiver itself) failed. When no answer comes after the request was
// sent the outcome is unknown, unless the channel is idempotent: then it is
// retried with the same Idempotency-Key. Only then may Go's transport send
// a request again by itself (it does, for the Idempotency-Key header, when
// a kept-alive connection closes unanswered); otherwise each attempt goes
// out once at most. Idempotent() reports false because it cannot speak for
// every receiver; IdempotentOn(channel) speaks for one, so that a delivery
// interrupted by a crash is retried on an idempotent channel too.
package webhook

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/httpcall"
	"github.com/heraldhq/herald/publishers/internal/ratelimit"
	"github.com/heraldhq/herald/publishers/internal/validate"
	"github.com/heraldhq/herald/publishers/outbound"
	"github.com/rs/zerolog"
)

// DefaultThrottle is the wait after a 429 without a Retry-After header.
const DefaultThrottle = time.Minute

// Payload is the JSON body POSTed for each delivery attempt.
type Payload struct {
	DeliveryID     int64    `json:"delivery_id"`
	Workspace      string   `json:"workspace"` // the workspace's slug
	Channel        string   `json:"channel"`   // the channel's name
	Text           string   `json:"text"`
	Body           string   `json:"body"` // Text with Link appended, as text-only platforms publish it
	Media          []string `json:"media"`
	Link           string   `json:"link"`
	Tags           []string `json:"tags"`
	IdempotencyKey string   `json:"idempotency_key"`
	Attempt        int      `json:"attempt"`
}

// Options configure the publisher. Zero values take the defaults.
type Options struct {
	HTTPClient *http.Client // built by outbound.New; default outbound.Client(nil): public addresses only
	Logger     zerolog.Logger
	Now        func() time.Time // signature timestamps and the limiter's clock; herald.Now when nil
}

// Publisher posts to webhook receivers. It is safe for concurrent use.
type Publisher struct {
	opts   Options
	client *http.Client
	log    zerolog.Logger
	limits *ratelimit.Set // keys "webhook:<channel id>", fed by 429s
}

// New returns a webhook publisher.
func New(opts Options) *Publisher {
	if opts.Now == nil {
		opts.Now = herald.Now
	}
	// The outbound client follows no redirect: Go would turn the POST into
	// a GET, and a 2xx to that GET would look like a delivery.
	return &Publisher{opts: opts, client: outbound.Client(opts.HTTPClient), log: opts.Logger, limits: ratelimit.New(opts.Now)}
}

// Idempotent reports false: whether a receiver honours Idempotency-Key is
// per channel (config.idempotent), not something the publisher can promise;
// IdempotentOn says it for a channel.
func (p *Publisher) Idempotent() bool { return false }

// IdempotentOn reports whether ch's receiver honours Idempotency-Key
// (config.idempotent): then a delivery interrupted by a crash is retried
// with the same key, as an unanswered call is (scheduler.ChannelIdempotent).
func (p *Publisher) IdempotentOn(ch herald.Channel) bool { return idempotent(&ch) }

// Endpoints names the settings that decide where the channel's credentials
// are sent: each must be an outbound URL the guard allows, and changing
// one needs the credentials again.
func (p *Publisher) Endpoints() []string { return []string{"config.url"} }

// idempotent reports whether the channel says its receiver honours Idempotency-Key.
func idempotent(ch *herald.Channel) bool {
	switch v := ch.Config["idempotent"].(type) {
	case bool:
		return v
	case string:
		return v == "true"
	}
	return false
}

func validURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// ValidateChannel checks the channel's config and credentials. It returns
// an EVALIDATION *herald.Error listing every problem (columns "config.url",
// "config.idempotent", "credentials.secret"), or nil.
func (p *Publisher) ValidateChannel(ch *herald.Channel) error {
	var ps validate.Problems
	switch u := ch.ConfigString("url"); {
	case u == "":
		ps.Add("config.url", "required", "config.url is required: the receiver's http(s) URL")
	case !validURL(u):
		ps.Add("config.url", "invalid", "config.url must be an absolute http(s) URL")
	}
	switch v := ch.Config["idempotent"].(type) {
	case nil, bool:
	case string:
		if v != "true" && v != "false" {
			ps.Add("config.idempotent", "invalid", "config.idempotent must be true or false")
		}
	default:
		ps.Add("config.idempotent", "invalid", "config.idempotent must be true or false")
	}
	if strings.TrimSpace(ch.Credentials["secret"]) == "" {
		ps.Add("credentials.secret", "required", "credentials.secret is required: the key the receiver checks Herald-Signature with")
	}
	return ps.Err("webhook")
}

// Check validates the channel's config and calls nothing: a receiver's
// only documented endpoint is the POST that acts on a delivery, and a HEAD
// or GET is not safe to assume. It returns EINVALID naming the problems, or
// nil (which says nothing about the receiver being up).
func (p *Publisher) Check(_ context.Context, ch *herald.Channel) error {
	if err := p.ValidateChannel(ch); err != nil {
		var msgs []string
		for _, pr := range herald.ErrorDetails(err) {
			msgs = append(msgs, pr.Message)
		}
		return herald.Errorf(herald.EINVALID, "%s (no remote check: webhook receivers have no read endpoint)", strings.Join(msgs, "; "))
	}
	return nil
}

// Publish POSTs the signed Payload of req to the channel's url and
// classifies the answer (see the package doc). A block from an earlier 429
// gives a throttled retry without calling the receiver. For other
// processes the block (key "webhook:<channel id>") comes in req.Blocks and
// goes back in Result.Blocks and Result.NotBefore; receivers name no pace,
// so NotBefore is zero unless the channel is blocked.
func (p *Publisher) Publish(ctx context.Context, req herald.PublishRequest) herald.Result {
	start := time.Now()
	lim := p.limits.Begin(req.Blocks)
	res := p.publish(ctx, lim, req)
	lim.Finish(&res, ratelimit.Limit{Key: limitKey(req.Channel)})
	secret := req.Channel.Credentials["secret"]
	httpcall.Finish(&res, func(s string) string { return httpcall.Redact(s, secret) })
	httpcall.LogPublish(&p.log, "webhook", req, res, start)
	return res
}
