// Package discord publishes to a Discord channel through an incoming
// webhook: POST <webhook_url>?wait=true with JSON {content}, or with images
// as multipart files[n] + payload_json (the images are downloaded first,
// through publishers/internal/media).
//
// Channel credentials: webhook_url (required, https://discord.com/api/webhooks/{id}/{token};
// the URL is the secret). Config, all optional: guild_id (the server's id,
// for message links), username and avatar_url (override the webhook's name
// and avatar).
//
// ?wait=true makes Discord answer the message object, whose id becomes the
// RemoteID; without it Discord answers 204 and no id. The message object
// carries channel_id but no guild_id, so the URL
// https://discord.com/channels/{guild_id}/{channel_id}/{id} needs the
// guild: from config.guild_id, else from one GET of the webhook object
// after the first post (stored back through Result.ConfigUpdate). When
// neither gives a guild the URL is "".
//
// Discord webhooks have no idempotency key: a call that may have reached
// Discord without an answer is unknown, never retried blindly.
package discord

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/httpcall"
	"github.com/heraldhq/herald/publishers/internal/ratelimit"
	"github.com/heraldhq/herald/publishers/internal/validate"
	"github.com/heraldhq/herald/publishers/outbound"
	"github.com/rs/zerolog"
)

// Defaults and limits.
const (
	// DefaultMaxMediaBytes is Discord's per-file upload limit without boosts.
	DefaultMaxMediaBytes = 10 << 20
	MaxFiles             = 10   // attachments per message
	MaxContent           = 2000 // characters of content
	// PaceEvery and PaceBurst are Herald's own pace per webhook: 5
	// executes per 2 s [3p]. Discord's X-RateLimit-* headers and 429s
	// block the webhook further.
	PaceEvery = 400 * time.Millisecond
	PaceBurst = 5
)

// Options configure the publisher. Zero values take the defaults.
type Options struct {
	HTTPClient    *http.Client // built by outbound.New; default outbound.Client(nil): public addresses only
	Logger        zerolog.Logger
	Now           func() time.Time // herald.Now when nil; the rate limiter's clock
	MaxMediaBytes int64            // largest image downloaded; DefaultMaxMediaBytes when 0
}

// Publisher publishes to Discord webhooks. It is safe for concurrent use.
type Publisher struct {
	opts   Options
	client *http.Client
	log    zerolog.Logger
	limits *ratelimit.Set
}

// New returns a Discord publisher.
func New(opts Options) *Publisher {
	if opts.Now == nil {
		opts.Now = herald.Now
	}
	if opts.MaxMediaBytes <= 0 {
		opts.MaxMediaBytes = DefaultMaxMediaBytes
	}
	return &Publisher{opts: opts, client: outbound.Client(opts.HTTPClient), log: opts.Logger, limits: ratelimit.New(opts.Now)}
}

// Idempotent reports false: webhooks have no idempotency key, so a retry
// after a lost answer could post twice.
func (p *Publisher) Idempotent() bool { return false }

// Endpoints names the settings that decide where the channel's credentials
// are sent: each must be an outbound URL the guard allows, and changing
// one needs the credentials again.
func (p *Publisher) Endpoints() []string { return []string{"credentials.webhook_url"} }

var (
	webhookPath = regexp.MustCompile(`/api(/v\d+)?/webhooks/(\d+)/([A-Za-z0-9_-]+)/?$`)
	snowflake   = regexp.MustCompile(`^\d{1,20}$`)
)

// parseWebhook checks a webhook URL: absolute http(s) with a
// /api/webhooks/{id}/{token} path. It returns the URL and the token.
func parseWebhook(raw string) (*url.URL, string, bool) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, "", false
	}
	m := webhookPath.FindStringSubmatch(u.Path)
	if m == nil {
		return nil, "", false
	}
	return u, m[3], true
}

// ValidateChannel checks the channel's credentials and config. It returns
// an EVALIDATION *herald.Error listing every problem (columns
// "credentials.webhook_url", "config.guild_id", "config.avatar_url"), or nil.
func (p *Publisher) ValidateChannel(ch *herald.Channel) error {
	var ps validate.Problems
	switch w := ch.Credentials["webhook_url"]; {
	case strings.TrimSpace(w) == "":
		ps.Add("credentials.webhook_url", "required", "credentials.webhook_url is required: the channel's webhook URL, https://discord.com/api/webhooks/{id}/{token}")
	default:
		if _, _, ok := parseWebhook(w); !ok {
			ps.Add("credentials.webhook_url", "invalid", "credentials.webhook_url must look like https://discord.com/api/webhooks/{id}/{token}")
		}
	}
	if g := ch.ConfigString("guild_id"); g != "" && !snowflake.MatchString(g) {
		ps.Add("config.guild_id", "invalid", "config.guild_id must be the server's numeric id")
	}
	if a := ch.ConfigString("avatar_url"); a != "" && !strings.HasPrefix(a, "https://") && !strings.HasPrefix(a, "http://") {
		ps.Add("config.avatar_url", "invalid", "config.avatar_url must be an absolute http(s) URL")
	}
	return ps.Err("discord")
}

// Check reads the webhook object (GET <webhook_url>), which needs the
// webhook's token and posts nothing. It returns nil when the webhook
// exists; EUNAUTHORIZED when Discord answers 401 or 404 (wrong token, or
// the webhook was deleted); EUNAVAILABLE for 429, 5xx or no answer;
// EINVALID for a malformed URL or any other answer. Messages carry
// Discord's reason, never the token.
func (p *Publisher) Check(ctx context.Context, ch *herald.Channel) error {
	u, token, ok := parseWebhook(ch.Credentials["webhook_url"])
	if !ok {
		return herald.Errorf(herald.EINVALID, "credentials.webhook_url must look like https://discord.com/api/webhooks/{id}/{token}")
	}
	c := call{p: p, hook: u, token: token}
	wh, resp, err := c.webhook(ctx)
	switch {
	case herald.ErrorCode(err) == herald.EINVALID: // a refused address or a redirect
		return err
	case err != nil:
		return herald.Errorf(herald.EUNAVAILABLE, "no answer from Discord: %s", err)
	case resp.Status == http.StatusOK:
		if wh.ID == "" {
			return herald.Errorf(herald.EINVALID, "Discord's answer is not a webhook object: %s", c.redact(httpcall.Answer(resp)))
		}
		return nil
	case resp.Status == http.StatusUnauthorized || resp.Status == http.StatusNotFound:
		return herald.Errorf(herald.EUNAUTHORIZED, "%s", c.redact(errorText(resp)))
	case resp.Status == http.StatusTooManyRequests || resp.Status >= 500:
		return herald.Errorf(herald.EUNAVAILABLE, "%s", c.redact(errorText(resp)))
	}
	return herald.Errorf(herald.EINVALID, "%s", c.redact(errorText(resp)))
}

// Publish posts req's message through the webhook and classifies the
// answer: 200 published (RemoteID the message id, URL when the guild is
// known); 429 a throttled retry after the float retry_after; 401 (invalid
// token) and 404 (unknown webhook: deleted) reauth; 5xx retry; other 4xx
// failed with Discord's reason; no answer after sending unknown. Images that
// cannot be used (not found, too large, not an image or video) fail the
// post; a media host that is down retries. Herald's own pace per webhook
// (PaceEvery, PaceBurst) and blocks from Discord's rate-limit headers give
// a throttled retry without calling Discord. For other processes the
// blocks (key "discord:<channel id>") come in req.Blocks and go back in
// Result.Blocks, and Result.NotBefore is PaceEvery after a message.
func (p *Publisher) Publish(ctx context.Context, req herald.PublishRequest) herald.Result {
	start := time.Now()
	lim := p.limits.Begin(req.Blocks)
	res := p.publish(ctx, lim, req)
	lim.Finish(&res, limit(req.Channel))
	httpcall.LogPublish(&p.log, "discord", req, res, start)
	return res
}

// limit is Herald's pace of a channel's webhook.
func limit(ch herald.Channel) ratelimit.Limit {
	return ratelimit.Limit{Key: "discord:" + strconv.FormatInt(ch.ID, 10), Every: PaceEvery, Burst: PaceBurst}
}

func (p *Publisher) publish(ctx context.Context, lim *ratelimit.Call, req herald.PublishRequest) herald.Result {
	u, token, ok := parseWebhook(req.Channel.Credentials["webhook_url"])
	if !ok {
		return herald.Result{Outcome: herald.OutcomeFailed, Reason: "the channel has no valid credentials.webhook_url (https://discord.com/api/webhooks/{id}/{token})"}
	}
	if n := len(req.Message.Media); n > MaxFiles {
		return herald.Result{Outcome: herald.OutcomeFailed, Reason: "a Discord message holds at most 10 attachments; this post has " + strconv.Itoa(n)}
	}
	l := limit(req.Channel)
	if d := lim.DelayAll(l); d > 0 {
		return herald.Result{Outcome: herald.OutcomeRetry, Throttled: true, RetryAfter: d,
			Reason: "Herald holds this webhook for " + d.String() + " (Discord's rate limit)"}
	}
	c := call{p: p, hook: u, token: token, key: l.Key, lim: lim}
	return c.execute(ctx, req)
}
