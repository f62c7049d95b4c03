// Package bluesky publishes posts to a Bluesky (AT Protocol) account.
//
// Channel config: pds_url (the account's PDS, default https://bsky.social;
// base_url, when set, overrides it as on every platform), handle
// (required, e.g. brand.bsky.social). Credentials: app_password (required;
// an app password, not the account password).
//
// A session (com.atproto.server.createSession) is opened once per channel
// and kept in memory, keyed by the channel and a hash of its credentials;
// when a call answers ExpiredToken it is refreshed
// (com.atproto.server.refreshSession, one refresh at a time per channel)
// and the call is made again once. Posts are app.bsky.feed.post records
// written with com.atproto.repo.putRecord under a TID record key derived
// from the delivery's idempotency key (RecordKey), so a retry after a lost
// answer finds or rewrites the same record and never posts twice. Links in
// the text get link facets (UTF-8 byte offsets); a post with a link and no
// images gets a link card (app.bsky.embed.external); 1–4 images are
// uploaded with com.atproto.repo.uploadBlob into app.bsky.embed.images.
package bluesky

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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

// Defaults of Options, and the platform's documented limits.
const (
	DefaultPDS    = "https://bsky.social"
	AppURL        = "https://bsky.app" // post URLs: AppURL/profile/<handle>/post/<rkey>
	MaxImages     = 4
	MaxImageBytes = 1000000
	// DefaultThrottleWait is the wait reported for a 429 that names no reset time.
	DefaultThrottleWait = time.Minute
	// WritesPerHour and WritesPerDay are the record creations an account may
	// make (5,000 and 35,000 points, 3 points each); the adapter paces
	// posts per channel to stay within them.
	WritesPerHour = 5000 / 3
	WritesPerDay  = 35000 / 3
)

// Options configure the publisher. Zero values take the defaults above.
type Options struct {
	HTTPClient    *http.Client // built by outbound.New; default outbound.Client(nil): public addresses only
	Logger        zerolog.Logger
	Now           func() time.Time // createdAt of posts, ratelimit-reset against it; herald.Now when nil
	MaxImageBytes int64            // largest image downloaded; MaxImageBytes when 0
}

// Publisher publishes to Bluesky. It is safe for concurrent use; it keeps
// one session per channel in memory.
type Publisher struct {
	opts     Options
	client   *http.Client
	log      zerolog.Logger
	limits   *ratelimit.Set
	sessions sessions
}

// New returns a Bluesky publisher.
func New(opts Options) *Publisher {
	if opts.Now == nil {
		opts.Now = herald.Now
	}
	if opts.MaxImageBytes <= 0 {
		opts.MaxImageBytes = MaxImageBytes
	}
	return &Publisher{opts: opts, client: outbound.Client(opts.HTTPClient), log: opts.Logger,
		limits: ratelimit.New(opts.Now), sessions: sessions{m: map[string]*slot{}}}
}

// Idempotent reports true: a post's record key is derived from the
// delivery's idempotency key, so a retry writes the same record.
func (p *Publisher) Idempotent() bool { return true }

// Endpoints names the settings that decide where the channel's credentials
// are sent: each must be an outbound URL the guard allows, and changing
// one needs the credentials again.
func (p *Publisher) Endpoints() []string { return []string{"config.pds_url", "config.base_url"} }

// ValidateChannel checks the channel's Bluesky config and credentials. It
// returns an EVALIDATION *herald.Error listing every problem (columns
// "config.pds_url", "config.handle", "credentials.app_password"), or nil.
func (p *Publisher) ValidateChannel(ch *herald.Channel) error {
	var ps validate.Problems
	for _, key := range []string{"pds_url", "base_url"} {
		u := ch.ConfigString(key)
		if u != "" && !httpcall.ValidBaseURL(u) {
			ps.Add("config."+key, "invalid", "config."+key+" must be an absolute http(s) URL, e.g. "+DefaultPDS)
		}
	}
	if h := strings.TrimPrefix(ch.ConfigString("handle"), "@"); h == "" {
		ps.Add("config.handle", "required", "config.handle is required, e.g. brand.bsky.social")
	} else if strings.ContainsAny(h, " /?#") || !strings.Contains(h, ".") && !strings.HasPrefix(h, "did:") {
		ps.Add("config.handle", "invalid", "config.handle must be a handle such as brand.bsky.social (or a DID)")
	}
	if strings.TrimSpace(ch.Credentials["app_password"]) == "" {
		ps.Add("credentials.app_password", "required", "credentials.app_password is required (Settings → Privacy and security → App passwords)")
	}
	return ps.Err("bluesky")
}

// Publish downloads the message's images, makes sure of a session, and
// writes the post with putRecord under RecordKey(req.IdempotencyKey); when
// that record already exists (a retry after a lost answer) it is answered
// as published without writing again. Outcomes: published (RemoteID the
// record's at:// URI, URL its bsky.app address); retry on 5xx, network
// errors and 429 (Throttled, RetryAfter until ratelimit-reset; also when
// the channel's own pace or an earlier 429 holds it, without calling the
// PDS); reauth when the PDS rejects the app password or the session
// (AuthenticationRequired, InvalidToken, 401); failed for other refusals
// (InvalidRequest…), more than 4 images, or an image that cannot be used.
// For other processes a 429's block (key "bluesky:<channel id>") comes in
// req.Blocks and goes back in Result.Blocks, and Result.NotBefore is the
// channel's pace: a day's writes spread evenly, 24h/WritesPerDay after a
// post.
func (p *Publisher) Publish(ctx context.Context, req herald.PublishRequest) herald.Result {
	start := time.Now()
	a := p.api(req.Channel, req.Blocks)
	res := a.publish(ctx, req)
	a.lim.Finish(&res, a.limits()...)
	a.scrub(&res)
	httpcall.LogPublish(&p.log, "bluesky", req, res, start)
	return res
}

// limitKey is the ratelimit key of a channel.
func limitKey(ch herald.Channel) string { return "bluesky:" + channelKey(ch) }

// limits are the channel's paces of writes: per hour and per day.
func (a *api) limits() []ratelimit.Limit {
	return []ratelimit.Limit{
		{Key: limitKey(a.ch), Every: time.Hour / WritesPerHour, Burst: WritesPerHour},
		{Key: limitKey(a.ch) + ":day", Every: 24 * time.Hour / WritesPerDay, Burst: WritesPerDay},
	}
}

// channelKey names a channel in the session cache and the limiter.
func channelKey(ch herald.Channel) string {
	if ch.ID != 0 {
		return strconv.FormatInt(ch.ID, 10)
	}
	return "name:" + ch.Name
}

// credentialHash tells one set of a channel's credentials from another
// without keeping the password in the cache key.
func credentialHash(base, handle, password string) string {
	sum := sha256.Sum256([]byte(base + "\x00" + handle + "\x00" + password))
	return hex.EncodeToString(sum[:])
}

// api starts an operation on ch, with blocks (PublishRequest.Blocks)
// imported into the publisher's limits.
func (p *Publisher) api(ch herald.Channel, blocks map[string]time.Time) *api {
	base := ch.ConfigString("base_url")
	if base == "" {
		base = ch.ConfigString("pds_url")
	}
	if base == "" {
		base = DefaultPDS
	}
	a := &api{p: p, ch: ch, lim: p.limits.Begin(blocks), base: strings.TrimRight(base, "/"),
		handle: strings.TrimPrefix(ch.ConfigString("handle"), "@"), password: ch.Credentials["app_password"]}
	a.slot = p.sessions.slot(channelKey(ch), credentialHash(a.base, a.handle, a.password))
	return a
}
