// Package x publishes posts (tweets) to an X account through the X API v2:
// POST /2/tweets with the text and up to four images, uploaded first with
// POST /2/media/upload (bytes downloaded from the post's media URLs).
//
// Channel config: username (required; the handle in post URLs
// https://x.com/<username>/status/<id>), base_url (default
// https://api.x.com; the API and OAuth host), upload_base_url (default
// base_url; the host of /2/media/upload). Credentials: access_token,
// refresh_token and client_id (required), client_secret (for confidential
// clients), expires_at (RFC 3339; written by Herald after a refresh).
//
// The access token is an OAuth 2 user token. It is refreshed when X answers
// 401 or shortly before its known expiry, with the refresh_token grant. X's
// refresh tokens are single-use, so one refresh at a time runs per channel,
// callers that waited on it reuse its new pair, and the pair is stored
// through Options.SaveCredentials before anything else is sent.
//
// Posts are paced per channel (TweetEvery, TweetBurst); a 429 or a used-up
// limit (remaining 0) blocks the channel (key "x:<channel id>") until its
// reset, and a used-up app cap (x-app-limit-24hour-*) every channel of the
// app (key "x:app:<client_id>"). The blocks go back in Result.Blocks and
// Result.NotBefore (TweetEvery after a post) for other processes, whose
// blocks come in PublishRequest.Blocks.
//
// X has no idempotency key: a tweet that may have reached X without an
// answer is unknown, never retried blindly (X refuses an identical text as
// a duplicate, the only guard).
package x

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/httpcall"
	"github.com/heraldhq/herald/publishers/internal/ratelimit"
	"github.com/heraldhq/herald/publishers/internal/validate"
	"github.com/heraldhq/herald/publishers/outbound"
	"github.com/rs/zerolog"
)

// Defaults of Options and the platform's limits.
const (
	DefaultBaseURL       = "https://api.x.com"
	MaxImages            = 4       // images one post carries
	DefaultMaxImageBytes = 5 << 20 // X's bound on an image
	// DefaultTweetEvery and DefaultTweetBurst pace posts per channel at
	// 100 per 15 minutes, X's per-user cap on POST /2/tweets; X's own
	// x-rate-limit-reset blocks the channel beyond that.
	DefaultTweetEvery   = 9 * time.Second
	DefaultTweetBurst   = 100
	DefaultRefreshEarly = time.Minute // refresh this long before expires_at
	// DefaultThrottleWait is the wait after a 429 without x-rate-limit-reset.
	DefaultThrottleWait = time.Minute
)

// Options configure the publisher. Zero values take the defaults above.
type Options struct {
	HTTPClient *http.Client // built by outbound.New; default outbound.Client(nil): public addresses only
	Logger     zerolog.Logger
	Now        func() time.Time // token expiry and rate limits read it; herald.Now when nil
	// SaveCredentials stores a channel's refreshed credentials (keys
	// access_token, refresh_token, expires_at). Without it no refresh is
	// attempted: a rejected access token is reauth, since the single-use
	// refresh token's successor could not be kept.
	SaveCredentials func(ctx context.Context, channelID int64, creds map[string]string) error

	MaxImageBytes int64         // largest image downloaded
	TweetEvery    time.Duration // pace of posts per channel
	TweetBurst    int
	RefreshEarly  time.Duration
}

// Publisher publishes to X. It is safe for concurrent use.
type Publisher struct {
	opts   Options
	client *http.Client
	log    zerolog.Logger
	limits *ratelimit.Set

	mu     sync.Mutex
	tokens map[string]*tokenState // per channel
}

// New returns an X publisher.
func New(opts Options) *Publisher {
	if opts.Now == nil {
		opts.Now = herald.Now
	}
	if opts.MaxImageBytes <= 0 {
		opts.MaxImageBytes = DefaultMaxImageBytes
	}
	if opts.TweetEvery <= 0 {
		opts.TweetEvery = DefaultTweetEvery
	}
	if opts.TweetBurst <= 0 {
		opts.TweetBurst = DefaultTweetBurst
	}
	if opts.RefreshEarly <= 0 {
		opts.RefreshEarly = DefaultRefreshEarly
	}
	return &Publisher{opts: opts, client: outbound.Client(opts.HTTPClient), log: opts.Logger,
		limits: ratelimit.New(opts.Now), tokens: map[string]*tokenState{}}
}

// Idempotent reports false: X has no idempotency key, so a retry after a
// lost answer could post twice.
func (p *Publisher) Idempotent() bool { return false }

// Endpoints names the settings that decide where the channel's credentials
// are sent: each must be an outbound URL the guard allows, and changing
// one needs the credentials again.
func (p *Publisher) Endpoints() []string {
	return []string{"config.base_url", "config.upload_base_url"}
}

var usernameRe = regexp.MustCompile(`^@?[A-Za-z0-9_]{1,15}$`)

// ValidateChannel checks the channel's X config and credentials. It returns
// an EVALIDATION *herald.Error listing every problem (columns
// "config.username", "config.base_url", "config.upload_base_url",
// "credentials.access_token", "credentials.refresh_token",
// "credentials.client_id", "credentials.expires_at"), or nil.
func (p *Publisher) ValidateChannel(ch *herald.Channel) error {
	var ps validate.Problems
	switch u := ch.ConfigString("username"); {
	case u == "":
		ps.Add("config.username", "required", "config.username is required: the account's handle, e.g. heraldhq")
	case !usernameRe.MatchString(u):
		ps.Add("config.username", "invalid", "config.username must be an X handle: 1-15 letters, digits or '_'")
	}
	for _, key := range []string{"base_url", "upload_base_url"} {
		if b := ch.ConfigString(key); b != "" && !httpcall.ValidBaseURL(b) {
			ps.Add("config."+key, "invalid", "config."+key+" must be an absolute http(s) URL such as "+DefaultBaseURL)
		}
	}
	for _, key := range []string{"access_token", "refresh_token", "client_id"} {
		if strings.TrimSpace(ch.Credentials[key]) == "" {
			ps.Add("credentials."+key, "required", "credentials."+key+" is required (an OAuth 2 user token with the offline.access scope, and the app's client id)")
		}
	}
	if e := ch.Credentials["expires_at"]; e != "" {
		if _, err := time.Parse(time.RFC3339, e); err != nil {
			ps.Add("credentials.expires_at", "invalid", "credentials.expires_at must be an RFC 3339 time")
		}
	}
	return ps.Err("x")
}

// Publish uploads the message's images, then posts the tweet, and
// classifies the answer: 201 published (data.id, URL from config.username);
// 401 refreshes the token pair once and sends again, a second 401 or a
// refused refresh token is reauth; 403 duplicate content and other
// refusals failed with X's reason; 429 a throttled retry until
// x-rate-limit-reset; 5xx retry; a network error before the request was
// sent retry, after it unknown. A media URL that cannot be used (not
// found, too large, not an image) fails the post; more than MaxImages
// fails before anything is sent.
func (p *Publisher) Publish(ctx context.Context, req herald.PublishRequest) herald.Result {
	start := time.Now()
	c := p.conv(&req.Channel, req.Blocks)
	res := c.publish(ctx, req)
	c.lim.Finish(&res, c.limits()...)
	c.finish(&res)
	httpcall.LogPublish(&p.log, "x", req, res, start)
	return res
}

// Check reads GET /2/users/me with the channel's token (refreshing it on
// 401, as Publish does) and posts nothing. It returns nil when the token
// works for config.username; an *herald.Error with EUNAUTHORIZED when X
// rejects the credentials, EUNAVAILABLE when X is down or throttling, and
// EINVALID otherwise (e.g. the token belongs to another account), with X's
// reason in Message.
func (p *Publisher) Check(ctx context.Context, ch *herald.Channel) error {
	c := p.conv(ch, nil)
	res := c.check(ctx)
	c.finish(&res)
	if res.Outcome == herald.OutcomePublished {
		return nil
	}
	return httpcall.CheckError(res.Outcome, res.Reason)
}
