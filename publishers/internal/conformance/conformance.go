// Package conformance is the harness every publisher adapter passes: the
// same scenarios (a text post, throttling, server errors, permanent
// refusals, rejected credentials, a lost answer — retried once with the
// same key where the platform takes one, unknown everywhere else — no
// credentials in results) run against each platform's fake, the network
// scenarios (see Network) against every endpoint it declares, and the
// replica scenarios (see Replicas: the pace and the platform's waits
// shared through the database) with two instances of the adapter.
//
// A platform joins by wrapping its fake in a Platform and registering an
// Entry in publishers/conformance_<platform>_test.go:
//
//	func init() {
//		platforms = append(platforms, conformance.Entry{Name: "vk", Start: startVK, Replica: newVK,
//			Pace: vk.DefaultRateEvery})
//	}
//
//	func startVK(t *testing.T, client *http.Client, clock conformance.Clock) (conformance.Platform, conformance.Publisher) {
//		p := vkPlatform{vkfake.New(vkfake.Options{Now: clock.Now})}
//		return p, newVK(p, client, clock)
//	}
//
//	func newVK(_ conformance.Platform, client *http.Client, clock conformance.Clock) conformance.Publisher {
//		return vk.New(vk.Options{HTTPClient: client, Now: clock.Now, Wait: clock.Wait})
//	}
//
// Start starts a fresh fake and returns it with the adapter configured
// against it, calling out through the client it is given and reading the
// clock it is given; Run calls Start once per scenario.
package conformance

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/ratelimit"
)

// Fault is a failure a fake answers the next publish call with, shaped as
// the platform documents it.
type Fault int

// The faults every platform scripts.
const (
	// Throttle: the platform's rate-limit answer, with its wait signal
	// (Retry-After, retry_after, X-RateLimit-Reset…) of at least a second.
	Throttle Fault = iota + 1
	// ServerError: a 5xx (or the platform's "internal error" envelope).
	ServerError
	// Permanent: a refusal a retry cannot fix (validation, too long…),
	// with a reason.
	Permanent
	// Unauthorized: the platform rejects the credentials (401, invalid
	// token code…).
	Unauthorized
	// LostAnswer: the platform makes the post but its answer never
	// reaches Herald: the fake handles the call, then closes the
	// connection without answering (every fake's DropAfterPost). A
	// platform whose publish takes several calls scripts it on the one
	// that publishes (media_publish, wall.post, /feed…), not on an earlier
	// step. Every platform that calls out scripts it (see LostAnswers).
	LostAnswer
)

// AllFaults are every Fault, in the order the scenarios run them.
var AllFaults = []Fault{Throttle, ServerError, Permanent, Unauthorized, LostAnswer}

func (f Fault) String() string {
	switch f {
	case Throttle:
		return "throttle"
	case ServerError:
		return "server-error"
	case Permanent:
		return "permanent"
	case Unauthorized:
		return "unauthorized"
	case LostAnswer:
		return "lost-answer"
	}
	return "fault(?)"
}

// Posted is one post as the fake published it.
type Posted struct {
	ID    string // the remote id the fake answered ("" when the platform answers none)
	URL   string // the URL the fake answered, or the documented convention's ("" when none)
	Text  string // the post's text as the platform stores it
	Media int    // how many media items it carries
}

// Platform is one platform's fake as the harness drives it.
type Platform interface {
	Name() string
	// Channel is a channel configured against the running fake (base_url
	// etc.) with valid credentials.
	Channel() *herald.Channel
	// Script makes the next publish call answer with f.
	Script(f Fault)
	// Posted returns what the fake published, in order.
	Posted() []Posted
	Close()
}

// FaultLister is implemented by a Platform that can script only some
// faults; the scenarios of the others are skipped, except LostAnswer's
// when the publisher is not Idempotent: that one fails, since it checks
// what the lifecycle relies on (see LostAnswers). A Platform without it
// must script every Fault.
type FaultLister interface {
	Faults() []Fault
}

// EarlyLoss is implemented by a Platform whose publish takes several calls
// and that can lose the answer of a call before the one that publishes
// (Instagram's container creation, Facebook's upload of an unpublished
// photo): the platform keeps what that call made, but nothing is posted,
// so the publish must be a plain retry, and the retry must post once.
type EarlyLoss interface {
	// ScriptEarlyLoss makes the answer of such a call of the next publish
	// get lost, and adds to req what the flow needs to make that call
	// (Facebook's several photos).
	ScriptEarlyLoss(req *herald.PublishRequest)
}

// Sharer is implemented by a Platform whose Throttle answer blocks a
// rate-limit key wider than the channel: a token, an app, an account or a
// chat that other channels post to as well.
type Sharer interface {
	// SharedChannel is a channel other than Channel() (another id) on the
	// key the Throttle answer blocks, configured against the running fake.
	SharedChannel() *herald.Channel
}

// Clock is what a scenario's fake and adapter read the time from, and
// what the adapter pauses with (VK's pace, …): the real one (RealClock),
// or in the replica scenarios a pinned one that moves only when the
// scenario moves it or the adapter waits (*testkit.Clock).
type Clock interface {
	Now() time.Time
	Wait(ctx context.Context, d time.Duration) error
}

// RealClock is herald.Now, with waits that take as long as they say.
var RealClock Clock = realClock{}

type realClock struct{}

func (realClock) Now() time.Time                                  { return herald.Now() }
func (realClock) Wait(ctx context.Context, d time.Duration) error { return ratelimit.Sleep(ctx, d) }

// Publisher is the adapter under test: the publishers.Publisher methods the
// harness calls.
type Publisher interface {
	Publish(ctx context.Context, req herald.PublishRequest) herald.Result
	Idempotent() bool
	Check(ctx context.Context, ch *herald.Channel) error
	Endpoints() []string
}

// Entry registers one platform with the harness.
type Entry struct {
	Name string
	// Start starts a fresh fake reading clock and returns it with the
	// adapter under test configured against it, with client as its
	// HTTPClient (the harness passes one that allows loopback, where the
	// fakes listen, or the default one that does not) and clock as its
	// clock (Now, and Wait where the adapter pauses). The harness closes
	// the Platform when the scenario ends.
	Start func(t *testing.T, client *http.Client, clock Clock) (Platform, Publisher)
	// Replica returns another instance of the adapter for the fake p Start
	// returned, configured as Start configures its own but with client and
	// clock: what another replica of herald serve, on the same database,
	// runs. It shares nothing in memory with the first. Every platform that
	// paces or scripts Throttle has one (see Replicas).
	Replica func(p Platform, client *http.Client, clock Clock) Publisher
	// Pace is the documented pace of posts on one channel as the adapter
	// holds it: after one text post at t on a fresh adapter,
	// Result.NotBefore is exactly t+Pace. 0 when the adapter paces nothing
	// (NotBefore is then zero after a post).
	Pace time.Duration
	// NeedsImage says the platform cannot post text alone (Instagram): the
	// harness's posts then carry one image, Image, and the text scenario
	// expects Posted to count it.
	NeedsImage bool
}

// Image is the image an Entry with NeedsImage gets on every post.
const Image = "https://cdn.example.com/conformance.jpg"
