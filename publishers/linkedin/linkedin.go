// Package linkedin publishes to LinkedIn through the Posts API: POST
// /rest/posts with the commentary, PUBLIC visibility, the main feed
// distribution and lifecycleState PUBLISHED, as a member
// (urn:li:person:…) or an organization (urn:li:organization:…). A post
// carries one image (content.media), 2–20 images (content.multiImage),
// each uploaded through the Images API (initializeUpload → PUT the bytes
// to the uploadUrl → an urn:li:image), or one article link
// (content.article with source and title). A link together with images
// goes into the commentary, since a post has one kind of content.
//
// Channel config: author (required: the person or organization URN that
// posts), linkedin_version (the LinkedIn-Version header, YYYYMM or
// YYYYMM.RR, default DefaultVersion), base_url (default
// https://api.linkedin.com). Credentials: access_token (required: a
// member token with w_member_social, or w_organization_social for an
// organization; openid for Check).
//
// The commentary is written in LinkedIn's "little" text format, where
// | { } @ [ ] ( ) < > # \ * _ ~ are reserved: Herald escapes each with a
// backslash, so the text shows as written (LinkedIn otherwise drops the
// text from the first unescaped one on).
//
// A post is answered 201 with an empty body and its URN in the
// x-restli-id header; its URL is https://www.linkedin.com/feed/update/<urn>/.
// LinkedIn has no idempotency key, so a post whose answer was lost is
// unknown, not retried. 401 needs new credentials (reauth); 422
// DUPLICATE_POST fails naming the post already published; 429 is
// throttling (LinkedIn sends no reset time: DefaultThrottleWait, or
// Retry-After when given), which blocks the channel (key "linkedin:<channel
// id>": a later publish is a throttled retry without calling); 5xx
// retries; other refusals fail with LinkedIn's message. Blocks come in
// PublishRequest.Blocks and go back in Result.Blocks and Result.NotBefore,
// for other processes; LinkedIn names no pace, so NotBefore is zero unless
// the channel is blocked.
package linkedin

import (
	"context"
	"net/http"
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
	DefaultBaseURL = "https://api.linkedin.com"
	// DefaultVersion is the LinkedIn-Version header sent when the channel
	// sets no linkedin_version. LinkedIn retires a version about a year
	// after its release: set config.linkedin_version to move on.
	DefaultVersion = "202511"
	// ProtocolVersion is the X-Restli-Protocol-Version header every call carries.
	ProtocolVersion = "2.0.0"
	MaxText         = 3000     // commentary characters
	MaxImages       = 20       // images in a multiImage post
	MaxImageBytes   = 36 << 20 // LinkedIn's bound on one image (36 MB)
	// DefaultThrottleWait is the wait after a 429: LinkedIn sends no reset
	// time (its limits are daily, per member and per application), so the
	// channel waits this long unless the answer carries Retry-After.
	DefaultThrottleWait = 15 * time.Minute
)

// Options configure the publisher. Zero values take the defaults above.
type Options struct {
	HTTPClient    *http.Client // built by outbound.New; default outbound.Client(nil): public addresses only
	Logger        zerolog.Logger
	Now           func() time.Time // the throttling clock; herald.Now when nil
	MaxMediaBytes int64            // largest image downloaded; MaxImageBytes when 0
	ThrottleWait  time.Duration    // wait after a 429 without Retry-After; DefaultThrottleWait when 0
}

// Publisher publishes to LinkedIn. It is safe for concurrent use.
type Publisher struct {
	opts   Options
	client *http.Client
	log    zerolog.Logger
	limits *ratelimit.Set
}

// New returns a LinkedIn publisher.
func New(opts Options) *Publisher {
	if opts.Now == nil {
		opts.Now = herald.Now
	}
	if opts.MaxMediaBytes <= 0 {
		opts.MaxMediaBytes = MaxImageBytes
	}
	if opts.ThrottleWait <= 0 {
		opts.ThrottleWait = DefaultThrottleWait
	}
	return &Publisher{opts: opts, client: outbound.Client(opts.HTTPClient), log: opts.Logger, limits: ratelimit.New(opts.Now)}
}

// Idempotent reports false: LinkedIn's Posts API takes no idempotency
// key, so a post whose answer was lost may exist.
func (p *Publisher) Idempotent() bool { return false }

// Endpoints names the settings that decide where the channel's credentials
// are sent: each must be an outbound URL the guard allows, and changing
// one needs the credentials again.
func (p *Publisher) Endpoints() []string { return []string{"config.base_url"} }

var (
	authorRe  = regexp.MustCompile(`^urn:li:(person|organization):[A-Za-z0-9_-]+$`)
	versionRe = regexp.MustCompile(`^[0-9]{6}(\.[0-9]{2})?$`)
)

// ValidateChannel checks the channel's LinkedIn config and credentials. It
// returns an EVALIDATION *herald.Error listing every problem (columns
// "config.author", "config.linkedin_version", "config.base_url",
// "credentials.access_token"), or nil.
func (p *Publisher) ValidateChannel(ch *herald.Channel) error {
	var ps validate.Problems
	switch a := ch.ConfigString("author"); {
	case a == "":
		ps.Add("config.author", "required", "config.author is required: the URN that posts, urn:li:person:<id> or urn:li:organization:<id>")
	case !authorRe.MatchString(a):
		ps.Add("config.author", "invalid", "config.author must be urn:li:person:<id> or urn:li:organization:<id>")
	}
	if v := ch.ConfigString("linkedin_version"); v != "" && !versionRe.MatchString(v) {
		ps.Add("config.linkedin_version", "invalid", "config.linkedin_version must look like 202511 (YYYYMM) or 202511.01")
	}
	if b := ch.ConfigString("base_url"); b != "" && !httpcall.ValidBaseURL(b) {
		ps.Add("config.base_url", "invalid", "config.base_url must be an absolute http(s) URL such as https://api.linkedin.com")
	}
	if strings.TrimSpace(ch.Credentials["access_token"]) == "" {
		ps.Add("credentials.access_token", "required", "credentials.access_token is required: a token with w_member_social (or w_organization_social for an organization)")
	}
	return ps.Err("linkedin")
}

// PostURL is the public link of a post, by LinkedIn's convention.
func PostURL(urn string) string {
	return "https://www.linkedin.com/feed/update/" + urn + "/"
}

// reserved are the characters LinkedIn's little text format reserves.
const reserved = `|{}@[]()<>#\*_~`

// Escape writes text in LinkedIn's little text format: each reserved
// character (| { } @ [ ] ( ) < > # \ * _ ~) is preceded by a backslash,
// so that LinkedIn shows the text as written.
func Escape(text string) string {
	if !strings.ContainsAny(text, reserved) {
		return text
	}
	var b strings.Builder
	b.Grow(len(text) + 8)
	for _, r := range text {
		if strings.ContainsRune(reserved, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Publish uploads the message's images, then creates the post, and
// classifies the answer (see the package doc). Images that cannot be used
// (not found, too large, not JPG/PNG/GIF) fail the post; more than
// MaxImages fail it before anything is sent.
func (p *Publisher) Publish(ctx context.Context, req herald.PublishRequest) herald.Result {
	start := time.Now()
	c := p.conv(&req.Channel, req.Blocks)
	res := c.publish(ctx, req)
	c.lim.Finish(&res, c.limit())
	c.finish(&res)
	httpcall.LogPublish(&p.log, "linkedin", req, res, start)
	return res
}

// Check calls GET /v2/userinfo (OpenID Connect: needs the openid scope),
// posting nothing. It returns nil when the token works and, for a person
// author, belongs to that person; an EUNAUTHORIZED *herald.Error when
// LinkedIn refused the token (401); EUNAVAILABLE when LinkedIn throttles
// (429), fails (5xx) or does not answer; EINVALID otherwise (another
// member's token, a token without the openid scope, a channel without
// author or access_token). Messages carry LinkedIn's reason, never the token.
func (p *Publisher) Check(ctx context.Context, ch *herald.Channel) error {
	c := p.conv(ch, nil)
	if c.author == "" || c.token == "" {
		return herald.Errorf(herald.EINVALID, "the channel has no author or access_token configured")
	}
	return c.check(ctx)
}

// limitKey is the channel's key in the limiter.
func limitKey(ch *herald.Channel) string {
	if ch.ID != 0 {
		return "linkedin:" + strconv.FormatInt(ch.ID, 10)
	}
	return "linkedin:" + ch.Name
}
