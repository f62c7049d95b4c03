// Package mastodon publishes statuses to a Mastodon account (also
// GoToSocial, Pleroma and Akkoma, which share the client API).
//
// Channel config: instance_url (required, e.g. https://mastodon.social),
// visibility (public, unlisted, private or direct; default public),
// language (optional ISO 639 code). Credentials: access_token (required;
// scopes write:statuses and write:media to publish, read:accounts (or
// profile) and read:statuses for Check and Reconcile).
//
// Every status is sent with the delivery's Idempotency-Key, which the
// instance honours for an hour by answering the original status, so any
// error that leaves the outcome open (network, 5xx) is safely retried.
// Media are downloaded with the internal media package (size bound, type
// check, private addresses refused unless the client allows them). Check calls
// verify_credentials; Reconcile finds a status among the account's own.
package mastodon

import (
	"context"
	"fmt"
	"net/http"
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

// Defaults of Options.
const (
	DefaultMaxMediaBytes = 40 << 20
	DefaultMediaWait     = 60 * time.Second
	DefaultPollInterval  = time.Second
)

// Options configure the publisher. Zero values take the defaults above.
type Options struct {
	HTTPClient *http.Client // built by outbound.New; default outbound.Client(nil): public addresses only
	Logger     zerolog.Logger
	Now        func() time.Time // reads X-RateLimit-Reset against it; herald.Now when nil

	MaxMediaBytes int64         // largest media file downloaded
	MediaWait     time.Duration // bound on waiting for the instance to process an upload
	PollInterval  time.Duration // between polls of a processing upload
}

// Publisher publishes to Mastodon. It is safe for concurrent use.
type Publisher struct {
	opts   Options
	client *http.Client
	log    zerolog.Logger
	limits *ratelimit.Set
}

// New returns a Mastodon publisher.
func New(opts Options) *Publisher {
	if opts.Now == nil {
		opts.Now = herald.Now
	}
	if opts.MaxMediaBytes <= 0 {
		opts.MaxMediaBytes = DefaultMaxMediaBytes
	}
	if opts.MediaWait <= 0 {
		opts.MediaWait = DefaultMediaWait
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = DefaultPollInterval
	}
	return &Publisher{opts: opts, client: outbound.Client(opts.HTTPClient), log: opts.Logger, limits: ratelimit.New(opts.Now)}
}

// Idempotent reports true: statuses carry an Idempotency-Key, so a retry
// answers the original status instead of posting again.
func (p *Publisher) Idempotent() bool { return true }

// Endpoints names the settings that decide where the channel's credentials
// are sent: each must be an outbound URL the guard allows, and changing
// one needs the credentials again.
func (p *Publisher) Endpoints() []string { return []string{"config.instance_url"} }

// Visibilities are the accepted config.visibility values.
var Visibilities = []string{"public", "unlisted", "private", "direct"}

// ValidateChannel checks the channel's Mastodon config and credentials. It
// returns an EVALIDATION *herald.Error listing every problem (columns
// "config.instance_url", "config.visibility", "credentials.access_token"),
// or nil.
func (p *Publisher) ValidateChannel(ch *herald.Channel) error {
	var ps validate.Problems
	switch u := ch.ConfigString("instance_url"); {
	case u == "":
		ps.Add("config.instance_url", "required", "config.instance_url is required, e.g. https://mastodon.social")
	case !httpcall.ValidBaseURL(u):
		ps.Add("config.instance_url", "invalid", "config.instance_url must be an absolute http(s) URL, e.g. https://mastodon.social")
	}
	if v := ch.ConfigString("visibility"); v != "" && !validVisibility(v) {
		ps.Add("config.visibility", "invalid", "config.visibility must be public, unlisted, private or direct")
	}
	if strings.TrimSpace(ch.Credentials["access_token"]) == "" {
		ps.Add("credentials.access_token", "required", "credentials.access_token is required (scopes write:statuses and write:media)")
	}
	return ps.Err("mastodon")
}

func validVisibility(v string) bool {
	for _, s := range Visibilities {
		if v == s {
			return true
		}
	}
	return false
}

// Publish uploads the message's media (downloaded from their URLs), then
// posts the status with req.IdempotencyKey, and classifies the answer:
// 200 published (id and url of the status); 401/403 reauth (the token was
// refused or lacks a scope); 422 failed with the instance's reason; 429 a
// throttled retry, RetryAfter until X-RateLimit-Reset; 5xx and network
// errors retry. A media URL that cannot be used (not found, too large, not
// an image or video, a private address) fails the post.
//
// The account is paced at StatusEvery with bursts of StatusBurst (300
// statuses in 3 hours), and held back until X-RateLimit-Reset after a 429
// or an answer with X-RateLimit-Remaining 0: a publish then is a throttled
// retry without calling the instance. The hold (key "mastodon:<channel
// id>") goes back in Result.Blocks and Result.NotBefore, at least
// StatusEvery after a status, for other processes (PublishRequest.Blocks).
func (p *Publisher) Publish(ctx context.Context, req herald.PublishRequest) herald.Result {
	start := time.Now()
	a := p.api(req.Channel, req.Blocks)
	var res herald.Result
	if wait := a.lim.DelayAll(a.limit()); wait > 0 {
		res = herald.Result{Outcome: herald.OutcomeRetry, Throttled: true, RetryAfter: wait,
			Reason: fmt.Sprintf("held back by the instance's rate limit; next in %s", wait)}
	} else {
		res = a.publish(ctx, req)
	}
	a.lim.Finish(&res, a.limit())
	httpcall.Finish(&res, a.redact)
	httpcall.LogPublish(&p.log, "mastodon", req, res, start)
	return res
}

// api starts a conversation on ch, with blocks (PublishRequest.Blocks)
// imported into the publisher's limits.
func (p *Publisher) api(ch herald.Channel, blocks map[string]time.Time) *api {
	a := &api{
		p:     p,
		lim:   p.limits.Begin(blocks),
		base:  strings.TrimRight(ch.ConfigString("instance_url"), "/"),
		token: ch.Credentials["access_token"],
	}
	a.limitKey = "mastodon:" + strconv.FormatInt(ch.ID, 10)
	if ch.ID == 0 { // a channel not stored (tests, checks): its account
		a.limitKey = "mastodon:" + a.base + "/" + ch.Name
	}
	return a
}

// The documented pace of statuses: 300 per account in 3 hours.
const (
	StatusBurst = 300
	StatusEvery = 3 * time.Hour / StatusBurst
)

// limit is the account's pace of statuses.
func (a *api) limit() ratelimit.Limit {
	return ratelimit.Limit{Key: a.limitKey, Every: StatusEvery, Burst: StatusBurst}
}
