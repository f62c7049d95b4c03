// Package container is the Graph API container flow Instagram and Threads
// share: create a media container (children first for a carousel), store
// its id with the delivery, poll its status until FINISHED, check the
// publishing cap, publish the container, and read the post's permalink.
//
// A retry of a delivery whose earlier attempt stored a container id
// resumes that container instead of creating another: FINISHED or
// IN_PROGRESS is published, EXPIRED is replaced by a new container, ERROR
// fails, and PUBLISHED (the earlier attempt published it but its answer was
// lost) is looked up among the account's recent posts by text — published
// when found, unknown when it can't be told. So only an answer lost on the
// publish call itself leaves a delivery unknown, and Publisher.Reconcile
// settles it from the stored container's status.
//
// Throttling and the publishing cap block the account (key
// "<platform>:<user id>"): a later publish is a throttled retry without
// calling. The blocks come in PublishRequest.Blocks and go back in
// Result.Blocks and Result.NotBefore, for other processes; the platforms
// name no pace, so NotBefore is zero unless the account is blocked.
package container

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/httpcall"
	"github.com/heraldhq/herald/publishers/internal/ratelimit"
	"github.com/heraldhq/herald/publishers/outbound"
	"github.com/rs/zerolog"
)

// StateContainer is the PublishRequest.State key holding the container id.
const StateContainer = "container_id"

// Container statuses, as the status endpoint answers them.
const (
	StatusInProgress = "IN_PROGRESS"
	StatusFinished   = "FINISHED"
	StatusPublished  = "PUBLISHED"
	StatusError      = "ERROR"
	StatusExpired    = "EXPIRED"
)

// Defaults of Options, and the waits of the Results.
const (
	DefaultPollEvery    = 3 * time.Second
	DefaultMaxPollWait  = 30 * time.Second
	DefaultInProgress   = time.Minute     // retry wait when a container is still processing
	DefaultThrottleWait = 5 * time.Minute // a throttling code without a usage header
	DefaultPolicyWait   = time.Hour       // code 368
	DefaultQuotaWait    = time.Hour       // the publishing cap is reached
	RecentPosts         = 25              // posts looked through for a published container
)

// Spec is one platform's dialect of the flow.
type Spec struct {
	Platform    string // "instagram": limiter keys
	Name        string // "Instagram": reasons
	CreatePath  string // POST /{user}/<CreatePath> creates a container: "media", "threads"
	PublishPath string // POST /{user}/<PublishPath> publishes one: "media_publish", "threads_publish"
	LimitPath   string // GET /{user}/<LimitPath>: "content_publishing_limit", "threads_publishing_limit"
	ListPath    string // GET /{user}/<ListPath> lists recent posts: "media", "threads"
	TextParam   string // the text's parameter and field: "caption", "text"
	StatusField string // the container's status field: "status_code", "status"
	ImageType   bool   // images carry media_type=IMAGE (Threads)
	TextType    bool   // a post without media is media_type=TEXT (Threads); else media is required
	MaxItems    int    // carousel items at most
	MaxText     int    // text length at most, in characters
	QuotaTotal  int    // the cap when the limit answer has no config.quota_total
	BaseURL     string // the API host when the channel's config has no base_url
	Version     string // the API version appended to the host: "v21.0", "v1.0"
	VersionKey  string // the config key overriding Version ("graph_version"); "" when fixed
	UserKey     string // the config key of the user id: "ig_user_id", "user_id"
	CheckPath   string // what Check reads ?fields=username of: "me"; "" is the user id
}

// Options configure a Publisher; instagram.Options and threads.Options
// are this type. Zero values take the defaults above.
type Options struct {
	HTTPClient *http.Client
	Logger     zerolog.Logger
	Now        func() time.Time
	// Wait pauses between status polls; it returns ctx's error when ctx
	// ends first. A timer when nil; tests pass one that returns at once.
	Wait        func(ctx context.Context, d time.Duration) error
	PollEvery   time.Duration // pause between status polls
	MaxPollWait time.Duration // longest a publish waits for a container; then it retries later
	// SaveDeliveryState stores the container id with the delivery (see
	// publishers.Options.SaveDeliveryState); nil stores nothing, and a
	// retry then creates a new container.
	SaveDeliveryState func(ctx context.Context, deliveryID int64, state map[string]string) error
}

// Conn is the channel a call talks to.
type Conn struct {
	Base  string // the API root with its version, without a trailing slash
	User  string // the Instagram or Threads user id
	Token string
}

// Publisher runs the flow for one platform: Publish, Check, Reconcile and
// Idempotent of publishers.Publisher and Reconciler. The platform packages
// embed it and add ValidateChannel. It is safe for concurrent use.
type Publisher struct {
	spec   Spec
	opts   Options
	client *http.Client
	limits *ratelimit.Set
}

// New returns a Publisher for spec.
func New(spec Spec, opts Options) *Publisher {
	if opts.Now == nil {
		opts.Now = herald.Now
	}
	if opts.Wait == nil {
		opts.Wait = ratelimit.Sleep
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&opts.PollEvery, DefaultPollEvery)
	def(&opts.MaxPollWait, DefaultMaxPollWait)
	return &Publisher{spec: spec, opts: opts, client: outbound.Client(opts.HTTPClient), limits: ratelimit.New(opts.Now)}
}

// conv is one Publish or Check: the calls made so far, for the Result.
type conv struct {
	e     *Publisher
	conn  Conn
	lim   *ratelimit.Call // this conversation's use of e.limits
	calls []string
	last  *httpcall.Response
	lost  bool // the last call's POST may have reached the platform without an answer
}

// conv starts a conversation on conn, with blocks (PublishRequest.Blocks)
// imported into the publisher's limits.
func (e *Publisher) conv(conn Conn, blocks map[string]time.Time) *conv {
	conn.Base = strings.TrimRight(conn.Base, "/")
	return &conv{e: e, conn: conn, lim: e.limits.Begin(blocks)}
}

func (c *conv) redact(s string) string { return httpcall.Redact(s, c.conn.Token) }

func (c *conv) key() string { return c.e.spec.Platform + ":" + c.conn.User }

// limit is what the account's calls obey: the platform names no pace,
// only waits, which block the account.
func (c *conv) limit() ratelimit.Limit { return ratelimit.Limit{Key: c.key()} }

// result builds a Result carrying the conversation so far.
func (c *conv) result(o herald.Outcome, reason string) *herald.Result {
	r := httpcall.NewResult(o, reason, c.calls, c.last)
	return &r
}

// throttled is a throttled retry after d; later calls of the channel wait too.
func (c *conv) throttled(d time.Duration, reason string) *herald.Result {
	c.lim.BlockFor(c.key(), d)
	r := c.result(herald.OutcomeRetry, reason)
	r.Throttled, r.RetryAfter = true, d
	return r
}

// Publish makes the post through the container flow (see the package
// doc) and returns its classified Result, with the token scrubbed from
// every field. A post the Spec cannot carry (no images where they are
// required, more than MaxItems, text over MaxText characters) fails
// before anything is sent.
func (e *Publisher) Publish(ctx context.Context, req herald.PublishRequest) herald.Result {
	start := time.Now()
	c := e.conv(e.spec.Conn(&req.Channel), req.Blocks)
	res := c.publish(ctx, req)
	c.lim.Finish(&res, c.limit())
	httpcall.Finish(&res, c.redact)
	httpcall.LogPublish(&e.opts.Logger, e.spec.Platform, req, res, start)
	return res
}

// Validate returns why m cannot be posted with spec, or "".
func (s Spec) Validate(m herald.Message) string {
	n := len(m.Media)
	switch {
	case n == 0 && !s.TextType:
		return s.Name + " posts need at least one image; this post has none"
	case n == 0 && strings.TrimSpace(m.Body()) == "":
		return "the post has neither text nor images"
	case n > s.MaxItems:
		return fmt.Sprintf("a %s carousel holds at most %d items; this post has %d", s.Name, s.MaxItems, n)
	}
	if l := len([]rune(m.Body())); s.MaxText > 0 && l > s.MaxText {
		return fmt.Sprintf("%s text is at most %d characters; this one has %d", s.Name, s.MaxText, l)
	}
	return ""
}

func (c *conv) publish(ctx context.Context, req herald.PublishRequest) herald.Result {
	if c.conn.User == "" || c.conn.Token == "" {
		return herald.Result{Outcome: herald.OutcomeFailed, Reason: "the channel has no user id or access_token configured"}
	}
	if reason := c.e.spec.Validate(req.Message); reason != "" {
		return herald.Result{Outcome: herald.OutcomeFailed, Reason: reason}
	}
	if d := c.lim.Blocked(c.key()); d > 0 {
		r := c.result(herald.OutcomeRetry, fmt.Sprintf("%s asked to slow down: next call in %s", c.e.spec.Name, d.Round(time.Second)))
		r.Throttled, r.RetryAfter = true, d
		return *r
	}
	id, status := req.State[StateContainer], ""
	if id != "" {
		var r *herald.Result
		status, r = c.status(ctx, id)
		if r != nil {
			if r.Outcome == herald.OutcomeFailed {
				r.Outcome = herald.OutcomeUnknown
				r.Reason = fmt.Sprintf("the container %s an earlier attempt made can't be read, so whether it was published is unknown: %s", id, r.Reason)
			}
			return *r
		}
		if status == StatusExpired {
			id, status = "", "" // never published: make another
		}
	}
	if id == "" {
		var r *herald.Result
		if id, r = c.create(ctx, req.Message); r != nil {
			return *r
		}
		if save := c.e.opts.SaveDeliveryState; save != nil {
			if err := save(ctx, req.DeliveryID, map[string]string{StateContainer: id}); err != nil {
				return *c.result(herald.OutcomeRetry, fmt.Sprintf("the container %s was made but could not be stored, so it was not published: %v", id, err))
			}
		}
	}
	if r := c.waitFinished(ctx, req, id, status); r != nil {
		return *r
	}
	if r := c.quota(ctx); r != nil {
		return *r
	}
	var pub struct {
		ID string `json:"id"`
	}
	if r := c.call(ctx, http.MethodPost, c.conn.User+"/"+c.e.spec.PublishPath, query("creation_id", id), &pub); r != nil {
		if r.Outcome == herald.OutcomeRetry && c.lost {
			r.Outcome = herald.OutcomeUnknown
			r.Reason += fmt.Sprintf(" (the container %s may be published; a retry checks it first)", id)
		}
		return *r
	}
	if pub.ID == "" {
		return *c.result(herald.OutcomeUnknown, fmt.Sprintf("%s's answer to %s has no id", c.e.spec.Name, c.e.spec.PublishPath))
	}
	return c.published(ctx, pub.ID, "")
}

// published is the Result for media id, with its permalink read when not
// given; a permalink that can't be read leaves URL empty (the post is live).
func (c *conv) published(ctx context.Context, id, permalink string) herald.Result {
	reason := ""
	if permalink == "" {
		var got struct {
			Permalink string `json:"permalink"`
		}
		if r := c.call(ctx, http.MethodGet, id, query("fields", "permalink"), &got); r != nil {
			reason = "published, but its permalink could not be read: " + r.Reason
		}
		permalink = got.Permalink
	}
	r := c.result(herald.OutcomePublished, reason)
	r.RemoteID, r.URL = id, permalink
	return *r
}
