// Package vk publishes to a VK wall — a community's (negative owner_id) or
// a user's — through the VK API: wall.post with the message, up to 10
// photos uploaded through the upload-server flow
// (photos.getWallUploadServer → upload → photos.saveWallPhoto) and at most
// one link, all as attachments. Herald schedules, so VK's own publish_date
// is not used.
//
// Channel config: owner_id (required; negative for a community, e.g.
// -123456), api_version (default 5.199), base_url (default
// https://api.vk.com). Credentials: access_token (required: a user token of
// a community admin, scopes wall and photos).
//
// Every wall.post carries a guid derived from the delivery's idempotency
// key; VK answers the same post for an hour instead of posting again, so a
// call whose answer was lost is retried, not left unknown. Errors arrive
// with HTTP 200 and an error code: 1 and 10 retry; 5 (and 27, a community
// token) need new credentials (reauth); 6, 9 and 29 are throttling (a
// retry that waits); 14 (captcha) and every other code fail with VK's
// message. Calls are paced below VK's 3 requests a second per user token,
// and the throttling codes block the token (key "vk:token:<hash>"), for
// every channel posting with it: the blocks come in PublishRequest.Blocks
// and go back in Result.Blocks, and Result.NotBefore is when the token's
// pace allows the next call (RateEvery after a text post).
package vk

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
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
	DefaultBaseURL    = "https://api.vk.com"
	DefaultAPIVersion = "5.199"
	MaxPhotos         = 10       // photos one post carries
	MaxPhotoBytes     = 50 << 20 // VK's bound on one photo
	// DefaultRateEvery and DefaultRateBurst pace calls per token so that no
	// second ever holds more than VK's 3 requests of a user token: two at
	// once, then one every 510 ms.
	DefaultRateEvery = 510 * time.Millisecond
	DefaultRateBurst = 2
	// MaxInlineWait is the longest pause a publish takes between its calls
	// (after the first) to keep the pace; a longer wait ends it as a
	// throttled retry.
	MaxInlineWait = 5 * time.Second
	// Waits VK's throttling codes impose: 6 (too many requests per
	// second), 9 (flood control: not soon) and 29 (a method's quota).
	TooManyRequestsWait = time.Second
	FloodControlWait    = 30 * time.Minute
	RateLimitWait       = time.Hour
)

// Options configure the publisher. Zero values take the defaults above.
type Options struct {
	HTTPClient *http.Client // built by outbound.New; default outbound.Client(nil): public addresses only
	Logger     zerolog.Logger
	Now        func() time.Time // the pace's clock; herald.Now when nil
	// Wait pauses a publish for d between calls to keep the pace; it
	// returns ctx's error when ctx ends first. A timer when nil; tests
	// advance their clock instead.
	Wait          func(ctx context.Context, d time.Duration) error
	MaxMediaBytes int64         // largest photo downloaded; MaxPhotoBytes when 0
	RateEvery     time.Duration // pace per token: one call per RateEvery…
	RateBurst     int           // …after a burst of RateBurst
}

// Publisher publishes to VK. It is safe for concurrent use.
type Publisher struct {
	opts   Options
	client *http.Client
	log    zerolog.Logger
	limits *ratelimit.Set
}

// New returns a VK publisher.
func New(opts Options) *Publisher {
	if opts.Now == nil {
		opts.Now = herald.Now
	}
	if opts.Wait == nil {
		opts.Wait = ratelimit.Sleep
	}
	if opts.MaxMediaBytes <= 0 {
		opts.MaxMediaBytes = MaxPhotoBytes
	}
	if opts.RateEvery <= 0 {
		opts.RateEvery = DefaultRateEvery
	}
	if opts.RateBurst <= 0 {
		opts.RateBurst = DefaultRateBurst
	}
	return &Publisher{opts: opts, client: outbound.Client(opts.HTTPClient), log: opts.Logger, limits: ratelimit.New(opts.Now)}
}

// Idempotent reports true: wall.post carries a guid derived from the
// delivery, and VK answers the original post for an hour instead of
// posting again.
func (p *Publisher) Idempotent() bool { return true }

// Endpoints names the settings that decide where the channel's credentials
// are sent: each must be an outbound URL the guard allows, and changing
// one needs the credentials again.
func (p *Publisher) Endpoints() []string { return []string{"config.base_url"} }

var versionRe = regexp.MustCompile(`^[0-9]+\.[0-9]+$`)

// ValidateChannel checks the channel's VK config and credentials. It
// returns an EVALIDATION *herald.Error listing every problem (columns
// "config.owner_id", "config.api_version", "config.base_url",
// "credentials.access_token"), or nil.
func (p *Publisher) ValidateChannel(ch *herald.Channel) error {
	var ps validate.Problems
	switch o := ch.ConfigString("owner_id"); {
	case o == "":
		ps.Add("config.owner_id", "required", "config.owner_id is required: the wall's owner, negative for a community (e.g. -123456)")
	case ownerID(ch) == 0:
		ps.Add("config.owner_id", "invalid", "config.owner_id must be a non-zero integer, negative for a community (e.g. -123456)")
	}
	if v := ch.ConfigString("api_version"); v != "" && !versionRe.MatchString(v) {
		ps.Add("config.api_version", "invalid", "config.api_version must look like 5.199")
	}
	if b := ch.ConfigString("base_url"); b != "" && !httpcall.ValidBaseURL(b) {
		ps.Add("config.base_url", "invalid", "config.base_url must be an absolute http(s) URL such as https://api.vk.com")
	}
	if strings.TrimSpace(ch.Credentials["access_token"]) == "" {
		ps.Add("credentials.access_token", "required", "credentials.access_token is required: a community admin's user token with the wall and photos scopes")
	}
	return ps.Err("vk")
}

// ownerID is the channel's owner_id, or 0 when missing or not an integer.
func ownerID(ch *herald.Channel) int64 {
	n, err := strconv.ParseInt(strings.TrimSpace(ch.ConfigString("owner_id")), 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// PostURL is the public link of a wall post, by VK's convention.
func PostURL(owner, postID int64) string {
	return fmt.Sprintf("https://vk.com/wall%d_%d", owner, postID)
}

var guidRe = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

// GUID is the wall.post guid of req: its idempotency key when short and
// plain (or "herald-<workspace>-<delivery id>" without one), else a hash of it.
func GUID(req herald.PublishRequest) string {
	key := req.IdempotencyKey
	if key == "" {
		key = fmt.Sprintf("herald-%s-%d", req.Workspace, req.DeliveryID)
	}
	if guidRe.MatchString(key) {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	return "herald-" + hex.EncodeToString(sum[:16])
}

// Publish uploads the message's images, then posts to the wall with the
// delivery's guid, and classifies the answer (see the package doc). Images
// that cannot be used (not found, too large, not JPG/PNG/GIF) fail the
// post; more than MaxPhotos fail it before anything is sent.
func (p *Publisher) Publish(ctx context.Context, req herald.PublishRequest) herald.Result {
	start := time.Now()
	c := p.conversation(&req.Channel, req.Blocks)
	res := c.publish(ctx, req)
	c.lim.Finish(&res, c.limit())
	httpcall.Finish(&res, c.redact)
	httpcall.LogPublish(&p.log, "vk", req, res, start)
	return res
}

// Check calls groups.getById for a community wall (users.get for a user's),
// posting nothing. It returns nil when the token works (and, where VK says,
// its user administers the community); an EUNAUTHORIZED *herald.Error when
// VK refused the token (code 5 or 27); EUNAVAILABLE when VK throttles
// (6, 9, 29), fails internally (1, 10, 5xx) or does not answer; EINVALID
// otherwise (a wrong owner_id, a user who is not an admin, a channel
// without owner_id or access_token). Messages carry VK's reason, never the token.
func (p *Publisher) Check(ctx context.Context, ch *herald.Channel) error {
	c := p.conversation(ch, nil)
	if c.owner == 0 || c.token == "" {
		return herald.Errorf(herald.EINVALID, "the channel has no valid owner_id or access_token configured")
	}
	c.wait = true
	fail := func(r *herald.Result) error { return httpcall.CheckError(r.Outcome, c.redact(r.Reason)) }
	if c.owner > 0 {
		var users []struct{ ID int64 }
		if r := c.method(ctx, "users.get", nil, &users); r != nil {
			return fail(r)
		}
		return nil
	}
	var raw json.RawMessage
	if r := c.method(ctx, "groups.getById", params("group_id", -c.owner), &raw); r != nil {
		return fail(r)
	}
	for _, g := range groups(raw) {
		if g.IsAdmin != nil && *g.IsAdmin == 0 {
			return herald.Errorf(herald.EINVALID, "the token's user is not an admin of %q (club%d): VK would refuse its posts", g.Name, g.ID)
		}
	}
	return nil
}

// conversation starts talking to VK for ch, with blocks
// (PublishRequest.Blocks) imported into the publisher's limits.
func (p *Publisher) conversation(ch *herald.Channel, blocks map[string]time.Time) *conversation {
	c := &conversation{
		p:       p,
		lim:     p.limits.Begin(blocks),
		base:    strings.TrimRight(ch.ConfigString("base_url"), "/"),
		version: ch.ConfigString("api_version"),
		token:   ch.Credentials["access_token"],
		owner:   ownerID(ch),
	}
	if c.base == "" {
		c.base = DefaultBaseURL
	}
	if c.version == "" {
		c.version = DefaultAPIVersion
	}
	sum := sha256.Sum256([]byte(c.token))
	c.key = "vk:token:" + hex.EncodeToString(sum[:8])
	return c
}
