// Package publishers joins Herald's platform adapters: the Publisher
// interface they implement, a flat Registry from platform name to
// constructor, and channel validation against it. Each platform lives in
// its own sub-package with its own fake server for tests; adding a
// platform means adding a folder and one Registry entry (in this file's
// map, or an init in a registry_<platform>.go file).
package publishers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/httpcall"
	"github.com/heraldhq/herald/publishers/mastodon"
	"github.com/heraldhq/herald/publishers/outbound"
	"github.com/heraldhq/herald/publishers/outbox"
	"github.com/heraldhq/herald/publishers/telegram"
	"github.com/rs/zerolog"
)

// Options are what every adapter may need. Zero values get defaults in New.
type Options struct {
	DataDir string           // the data directory (the outbox writes under DataDir/outbox); "data" when empty
	Logger  zerolog.Logger   // adapters log without credentials
	Now     func() time.Time // herald.Now when nil
	// Network is the operator's allowance of non-public addresses
	// (HERALD_ALLOW_PRIVATE_NETWORKS; tests allow loopback, where their
	// fakes listen). Every adapter's platform calls and media downloads go
	// through one outbound client, whose guard refuses at dial time every
	// loopback, private, link-local… address Network does not allow.
	Network outbound.Allow
	// Timeout bounds each HTTP call; outbound.DefaultTimeout when 0.
	Timeout time.Duration
	// Concurrency is how many publishes may run at once (the scheduler's
	// workers): the client keeps that many connections to one host open.
	Concurrency int
	// HTTPClient is the client every HTTP adapter uses; when nil New
	// builds it: outbound.New with Network, Timeout and Concurrency. One given must be
	// built by outbound.New too (or it has no guard).
	HTTPClient *http.Client
	// SaveCredentials stores refreshed credentials of a channel at once
	// (X's single-use refresh tokens, …): keys given replace the stored
	// ones, others are kept. Nil when the caller stores nothing.
	SaveCredentials func(ctx context.Context, channelID int64, creds map[string]string) error
	// SaveDeliveryState stores what a publish saved mid-way (an Instagram
	// container id, …) for a retry to resume: keys given replace the stored
	// ones, others are kept; it refuses (ECONFLICT) once the delivery is no
	// longer publishing. Nil when the caller stores nothing.
	SaveDeliveryState func(ctx context.Context, deliveryID int64, state map[string]string) error
}

// Publisher pushes one delivery attempt to a platform and classifies the
// answer. It has the method set the scheduler calls, plus channel
// validation for the API.
type Publisher interface {
	// Publish makes one attempt; it never returns an error, only a
	// classified Result (published, retry, failed or unknown).
	Publish(ctx context.Context, req herald.PublishRequest) herald.Result
	// Idempotent reports whether a retry with req.IdempotencyKey cannot post twice.
	Idempotent() bool
	// Endpoints names the channel settings ("config.base_url",
	// "credentials.webhook_url") whose values decide where the channel's
	// credentials are sent. ValidateChannel checks each as an outbound URL,
	// and the API asks for the credentials again when one changes. Every
	// URL-valued setting an adapter calls must be listed (the conformance
	// tests check the fakes' channels).
	Endpoints() []string
	// ValidateChannel returns an EVALIDATION *herald.Error listing every
	// missing or bad config key and credential of a channel, or nil.
	ValidateChannel(ch *herald.Channel) error
	// Check calls the platform's cheapest authenticated read and posts
	// nothing. It returns nil when the channel works; otherwise an
	// *herald.Error: EUNAUTHORIZED when the platform rejected the
	// credentials, EUNAVAILABLE when the platform is down or throttling,
	// EINVALID for anything else — with the platform's own reason in
	// Message.
	Check(ctx context.Context, ch *herald.Channel) error
}

// Reconciler is implemented by adapters whose platform can list the
// channel's recent posts (Mastodon, Bluesky, VK, Facebook), so that an
// unknown delivery can be matched against what was actually posted.
type Reconciler interface {
	// Reconcile looks for the delivery's post among the channel's recent
	// posts by content (req.Message.Body() / media count) published after
	// since. found is false when it is not there or can't be told; res is
	// then zero. err reports a failed lookup.
	Reconcile(ctx context.Context, req herald.PublishRequest, since time.Time) (res herald.Result, found bool, err error)
}

// Registry maps each platform name to its adapter's constructor.
var Registry = map[string]func(Options) Publisher{
	"outbox": func(o Options) Publisher {
		return outbox.New(outbox.Options{DataDir: o.DataDir, Now: o.Now, Logger: o.Logger})
	},
	"telegram": func(o Options) Publisher {
		return telegram.New(telegram.Options{HTTPClient: o.HTTPClient, Logger: o.Logger, Now: o.Now})
	},
	"mastodon": func(o Options) Publisher {
		return mastodon.New(mastodon.Options{HTTPClient: o.HTTPClient, Logger: o.Logger, Now: o.Now})
	},
}

// New returns one publisher per registered platform, keyed by platform name.
func New(opts Options) map[string]Publisher {
	if opts.DataDir == "" {
		opts.DataDir = "data"
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = outbound.New(outbound.Options{Allow: opts.Network, Timeout: opts.Timeout, Concurrency: opts.Concurrency})
	}
	if opts.Now == nil {
		opts.Now = herald.Now
	}
	pubs := make(map[string]Publisher, len(Registry))
	for name, newPublisher := range Registry {
		pubs[name] = newPublisher(opts)
	}
	return pubs
}

// Names returns the platform names of pubs, sorted.
func Names(pubs map[string]Publisher) []string {
	names := make([]string, 0, len(pubs))
	for name := range pubs {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// ValidateChannel checks that ch's platform is one of pubs, that the
// platform's adapter accepts the channel's config and credentials, and
// that each endpoint the adapter declares is a URL network allows
// (outbound.Allow.CheckURL: http(s), no user info, no literal non-public
// address unless allowed). It returns an EVALIDATION *herald.Error (a
// problem on column "platform" for an unknown platform, else the
// adapter's problems and the endpoints', each naming its key), or nil. It
// does not repeat ch.Validate.
func ValidateChannel(pubs map[string]Publisher, ch *herald.Channel, network outbound.Allow) error {
	if ch == nil {
		return herald.Errorf(herald.EINVALID, "no channel given")
	}
	pub, ok := pubs[ch.Platform]
	if !ok {
		p := herald.Problem{Column: "platform", Code: "unknown_platform",
			Message: fmt.Sprintf("platform %q is not supported; use one of %s", ch.Platform, strings.Join(Names(pubs), ", "))}
		if ch.Platform == "" {
			p.Code, p.Message = "required", "platform is required; use one of "+strings.Join(Names(pubs), ", ")
		}
		return &herald.Error{Code: herald.EVALIDATION, Message: "invalid channel", Details: []herald.Problem{p}}
	}
	if ch.Platform == herald.StandIn && ch.Config["as"] != nil {
		if as := ch.ConfigString("as"); as == herald.StandIn || pubs[as] == nil {
			return &herald.Error{Code: herald.EVALIDATION, Message: "invalid channel", Details: []herald.Problem{{Column: "config.as", Code: "unknown_platform",
				Message: fmt.Sprintf("an outbox channel stands in for another platform: as %q must be one of %s", as, strings.Join(slices.DeleteFunc(Names(pubs), func(n string) bool { return n == herald.StandIn }), ", "))}}}
		}
	}
	err := pub.ValidateChannel(ch)
	if err != nil && herald.ErrorCode(err) != herald.EVALIDATION {
		return err
	}
	ps := herald.ErrorDetails(err)
	flagged := map[string]bool{}
	for _, p := range ps {
		flagged[p.Column] = true
	}
	for _, key := range pub.Endpoints() {
		v := endpointValue(ch, key)
		if v == "" || flagged[key] {
			continue
		}
		if err := network.CheckURL(v); err != nil {
			code := "invalid_url"
			if errors.Is(err, outbound.ErrRefused) {
				code = "address_refused"
			}
			ps = append(ps, herald.Problem{Column: key, Code: code, Message: key + " " + err.Error()})
		}
	}
	if len(ps) == 0 {
		return nil
	}
	msg := "invalid " + ch.Platform + " channel"
	if err != nil {
		msg = herald.ErrorMessage(err)
	}
	return &herald.Error{Code: herald.EVALIDATION, Message: msg, Details: ps}
}

// endpointValue is the value of an endpoint key ("config.base_url",
// "credentials.webhook_url") in ch, "" when unset.
func endpointValue(ch *herald.Channel, key string) string {
	kind, name, _ := strings.Cut(key, ".")
	if kind == "credentials" {
		return strings.TrimSpace(ch.Credentials[name])
	}
	return strings.TrimSpace(ch.ConfigString(name))
}

// Endpoints returns the endpoint keys pubs' adapter for platform declares
// (Publisher.Endpoints), nil for an unknown platform.
func Endpoints(pubs map[string]Publisher, platform string) []string {
	if pub, ok := pubs[platform]; ok {
		return pub.Endpoints()
	}
	return nil
}

// Check runs ch's platform adapter's Check: the platform's cheapest
// authenticated read, posting nothing. It returns nil when the channel
// works; an EINVALID *herald.Error for a nil channel, a platform not in
// pubs, or a channel whose config or credentials the adapter's
// ValidateChannel refuses (every problem in the message); otherwise the
// adapter's *herald.Error (EUNAUTHORIZED, EUNAVAILABLE or EINVALID with the
// platform's reason, at most httpcall.MaxReason bytes of it, with no
// credential of ch in it). It never returns EVALIDATION.
func Check(ctx context.Context, pubs map[string]Publisher, ch *herald.Channel) error {
	if ch == nil {
		return herald.Errorf(herald.EINVALID, "no channel given")
	}
	pub, ok := pubs[ch.Platform]
	if !ok {
		return herald.Errorf(herald.EINVALID, "platform %q is not supported; use one of %s", ch.Platform, strings.Join(Names(pubs), ", "))
	}
	if err := pub.ValidateChannel(ch); err != nil {
		msgs := []string{}
		for _, p := range herald.ErrorDetails(err) {
			msgs = append(msgs, p.Message)
		}
		if len(msgs) == 0 {
			msgs = append(msgs, herald.ErrorMessage(err))
		}
		return herald.Errorf(herald.EINVALID, "the channel cannot be checked: %s", strings.Join(msgs, "; "))
	}
	return bounded(pub.Check(ctx, ch), ch)
}

// bounded cuts an *herald.Error's message to httpcall.MaxReason, after
// masking every credential of ch it still shows: what a check answers is
// never a platform's page verbatim, nor a secret.
func bounded(err error, ch *herald.Channel) error {
	var he *herald.Error
	if !errors.As(err, &he) {
		return err
	}
	secrets := make([]string, 0, len(ch.Credentials))
	for _, v := range ch.Credentials {
		secrets = append(secrets, v)
	}
	return &herald.Error{Code: he.Code, Message: httpcall.Truncate(httpcall.Redact(he.Message, secrets...), httpcall.MaxReason), Details: he.Details}
}
