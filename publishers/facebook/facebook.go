// Package facebook publishes Page posts through the Facebook Graph API: a
// text post (with an optional link) through POST /{page-id}/feed, one photo
// through POST /{page-id}/photos (url and caption: Facebook fetches the
// photo itself), and several photos by uploading each unpublished
// (published=false) and then posting /{page-id}/feed with
// attached_media[n]={"media_fbid":"<photo id>"}. The post's id is the
// answer's "id" ("post_id" for a single photo); its URL is the post's
// permalink_url, read with one GET /{post-id}?fields=permalink_url after
// posting, or https://www.facebook.com/<post id> when that read fails.
//
// Channel config: page_id (required), graph_version (default
// DefaultGraphVersion), base_url (default https://graph.facebook.com).
// Credentials: page_access_token (required: a Page access token with
// pages_manage_posts and pages_read_engagement).
//
// Graph errors {"error":{"message","type","code","error_subcode",
// "is_transient","fbtrace_id"}} are classed: 190 (and 102) need new
// credentials (reauth); 4, 17, 32, 341 and 613 are throttling (a retry
// that waits as long as the usage headers X-App-Usage, X-Page-Usage and
// X-Business-Use-Case-Usage say, else DefaultThrottleWait); 368 (a
// temporary block) waits BlockedWait; 506 (a duplicate post) fails; 1, 2,
// is_transient and 5xx retry; 10, 100 and 200–299 (permissions,
// parameters) and every other code fail with Facebook's message. Facebook
// has no idempotency key, so a post whose answer was lost is unknown.
//
// Throttling blocks the token (key "facebook:token:<hash>"), for every
// Page posting with it: a later call is a throttled retry without calling
// Facebook. The blocks come in PublishRequest.Blocks and go back in
// Result.Blocks and Result.NotBefore, for other processes; Facebook names
// no pace, so NotBefore is zero unless the token is blocked.
package facebook

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/httpcall"
	"github.com/heraldhq/herald/publishers/internal/ratelimit"
	"github.com/heraldhq/herald/publishers/internal/validate"
	"github.com/heraldhq/herald/publishers/outbound"
	"github.com/rs/zerolog"
)

// Defaults.
const (
	DefaultBaseURL      = "https://graph.facebook.com"
	DefaultGraphVersion = "v21.0"
	// DefaultThrottleWait is how long a throttled channel waits when no
	// usage header names a time to regain access.
	DefaultThrottleWait = 15 * time.Minute
	// BlockedWait is how long a channel waits after error 368 (the Page is
	// temporarily blocked from posting).
	BlockedWait = time.Hour
)

// Options configure the publisher.
type Options struct {
	HTTPClient *http.Client // built by outbound.New; default outbound.Client(nil): public addresses only
	Logger     zerolog.Logger
	Now        func() time.Time // the limiter's clock; herald.Now when nil
}

// Publisher publishes to Facebook Pages. It is safe for concurrent use.
type Publisher struct {
	opts   Options
	client *http.Client
	log    zerolog.Logger
	limits *ratelimit.Set
}

// New returns a Facebook Pages publisher.
func New(opts Options) *Publisher {
	if opts.Now == nil {
		opts.Now = herald.Now
	}
	return &Publisher{opts: opts, client: outbound.Client(opts.HTTPClient), log: opts.Logger, limits: ratelimit.New(opts.Now)}
}

// Idempotent reports false: the Graph API takes no idempotency key, so a
// post whose answer was lost cannot be retried safely.
func (p *Publisher) Idempotent() bool { return false }

// Endpoints names the settings that decide where the channel's credentials
// are sent: each must be an outbound URL the guard allows, and changing
// one needs the credentials again.
func (p *Publisher) Endpoints() []string { return []string{"config.base_url"} }

var (
	versionRe = regexp.MustCompile(`^v[0-9]+\.[0-9]+$`)
	pageIDRe  = regexp.MustCompile(`^[0-9]+$`)
)

// ValidateChannel checks the channel's Facebook config and credentials. It
// returns an EVALIDATION *herald.Error listing every problem (columns
// "config.page_id", "config.graph_version", "config.base_url",
// "credentials.page_access_token"), or nil.
func (p *Publisher) ValidateChannel(ch *herald.Channel) error {
	var ps validate.Problems
	switch id := strings.TrimSpace(ch.ConfigString("page_id")); {
	case id == "":
		ps.Add("config.page_id", "required", "config.page_id is required: the Page's numeric id")
	case !pageIDRe.MatchString(id):
		ps.Add("config.page_id", "invalid", "config.page_id must be the Page's numeric id (e.g. 104857600012345)")
	}
	if v := ch.ConfigString("graph_version"); v != "" && !versionRe.MatchString(v) {
		ps.Add("config.graph_version", "invalid", "config.graph_version must look like "+DefaultGraphVersion)
	}
	if b := ch.ConfigString("base_url"); b != "" && !httpcall.ValidBaseURL(b) {
		ps.Add("config.base_url", "invalid", "config.base_url must be an absolute http(s) URL such as "+DefaultBaseURL)
	}
	if strings.TrimSpace(ch.Credentials["page_access_token"]) == "" {
		ps.Add("credentials.page_access_token", "required", "credentials.page_access_token is required: a Page access token with pages_manage_posts")
	}
	return ps.Err("facebook")
}

// PostURL is the public link of a Page post by Facebook's convention, used
// when its permalink_url cannot be read.
func PostURL(postID string) string { return "https://www.facebook.com/" + postID }

// Publish posts req's message to the Page (see the package doc) and
// classifies the answer. It never returns an error, only a Result.
func (p *Publisher) Publish(ctx context.Context, req herald.PublishRequest) herald.Result {
	start := time.Now()
	c := p.conversation(&req.Channel, req.Blocks)
	res := c.publish(ctx, req)
	c.lim.Finish(&res, c.limit())
	httpcall.Finish(&res, c.redact)
	httpcall.LogPublish(&p.log, "facebook", req, res, start)
	return res
}

// Check reads the Page's name (GET /{page-id}?fields=name), posting
// nothing. It returns nil when the token can read the Page; an
// EUNAUTHORIZED *herald.Error when Facebook refused the token (190);
// EUNAVAILABLE when Facebook throttles, fails or does not answer; EINVALID
// otherwise (a wrong page_id, missing permissions, a channel without
// page_id or page_access_token). Messages carry Facebook's reason, never
// the token.
func (p *Publisher) Check(ctx context.Context, ch *herald.Channel) error {
	c := p.conversation(ch, nil)
	if c.page == "" || c.token == "" {
		return herald.Errorf(herald.EINVALID, "the channel has no page_id or page_access_token configured")
	}
	var page struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	r := c.call(ctx, http.MethodGet, c.page, params("fields", "name"), &page)
	if r == nil {
		return nil
	}
	return httpcall.CheckError(r.Outcome, c.redact(r.Reason))
}

// conversation starts talking to the Graph API for ch, with blocks
// (PublishRequest.Blocks) imported into the publisher's limits.
func (p *Publisher) conversation(ch *herald.Channel, blocks map[string]time.Time) *conversation {
	c := &conversation{
		p:       p,
		lim:     p.limits.Begin(blocks),
		base:    strings.TrimRight(ch.ConfigString("base_url"), "/"),
		version: ch.ConfigString("graph_version"),
		token:   strings.TrimSpace(ch.Credentials["page_access_token"]),
		page:    strings.TrimSpace(ch.ConfigString("page_id")),
	}
	if c.base == "" {
		c.base = DefaultBaseURL
	}
	if c.version == "" {
		c.version = DefaultGraphVersion
	}
	sum := sha256.Sum256([]byte(c.token))
	c.key = "facebook:token:" + hex.EncodeToString(sum[:8])
	return c
}
