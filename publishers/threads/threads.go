// Package threads publishes to a Threads profile through the Threads API:
// text only (media_type=TEXT), one image (IMAGE) or a carousel of 2 to 20
// images (CAROUSEL), with the post's text and link as the text — the first
// URL in it becomes the link preview. Threads downloads the images itself,
// so their URLs are passed on, never fetched by Herald.
//
// The flow is Instagram's container flow on the Threads host (see
// publishers/internal/container): POST /{user-id}/threads makes a
// container (carousel children with is_carousel_item=true first), its id
// is stored with the delivery at once, GET /{container}?fields=status is
// polled until FINISHED, GET /{user-id}/threads_publishing_limit is checked
// (250 posts per rolling 24 hours; at the cap a throttled retry), POST
// /{user-id}/threads_publish (creation_id) publishes, and GET
// /{media}?fields=permalink gives the URL.
//
// Channel config: user_id (required), base_url (default
// https://graph.threads.net; the API version v1.0 is appended).
// Credentials: access_token (required: a token with threads_basic and
// threads_content_publish).
//
// Threads has no idempotency key, so Idempotent is false; a retry whose
// earlier attempt stored a container id resumes that container instead of
// making another (published when FINISHED, looked up by text when already
// PUBLISHED), so only an answer lost on threads_publish itself is unknown;
// Reconcile settles that one from the stored container's status.
// Errors come in the Graph format and are classed as Instagram's: 190
// reauth; 4, 17, 32, 341, 613 throttled; 1, 2 and is_transient retry; the
// rest fail with the platform's message.
package threads

import (
	"regexp"
	"strings"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/container"
	"github.com/heraldhq/herald/publishers/internal/httpcall"
	"github.com/heraldhq/herald/publishers/internal/validate"
)

// Defaults and limits.
const (
	DefaultBaseURL    = "https://graph.threads.net"
	APIVersion        = "v1.0"
	MaxItems          = 20  // carousel items
	MaxText           = 500 // text characters
	DefaultQuotaTotal = 250 // posts per rolling 24 hours when the limit answer has no quota_total
)

// Spec is Threads' dialect of the container flow.
var Spec = container.Spec{
	Platform: "threads", Name: "Threads",
	CreatePath: "threads", PublishPath: "threads_publish", LimitPath: "threads_publishing_limit", ListPath: "threads",
	TextParam: "text", StatusField: "status", ImageType: true, TextType: true,
	MaxItems: MaxItems, MaxText: MaxText, QuotaTotal: DefaultQuotaTotal,
	BaseURL: DefaultBaseURL, Version: APIVersion, UserKey: "user_id", CheckPath: "me",
}

// Options configure the publisher. Zero values take the container package's defaults.
type Options = container.Options

// Publisher publishes to Threads: Publish, Check, Reconcile and Idempotent
// (false: Threads takes no idempotency key; a stored container id still
// makes most retries safe, see the package doc) come from the shared
// container flow. It is safe for concurrent use.
type Publisher struct{ *container.Publisher }

// New returns a Threads publisher.
func New(opts Options) *Publisher { return &Publisher{container.New(Spec, opts)} }

var idRe = regexp.MustCompile(`^[0-9]+$`)

// ValidateChannel checks the channel's Threads config and credentials. It
// returns an EVALIDATION *herald.Error listing every problem (columns
// "config.user_id", "config.base_url", "credentials.access_token"), or nil.
func (p *Publisher) ValidateChannel(ch *herald.Channel) error {
	var ps validate.Problems
	switch id := ch.ConfigString("user_id"); {
	case id == "":
		ps.Add("config.user_id", "required", "config.user_id is required: the Threads user's id (digits)")
	case !idRe.MatchString(id):
		ps.Add("config.user_id", "invalid", "config.user_id must be the Threads user's numeric id")
	}
	if b := ch.ConfigString("base_url"); b != "" && !httpcall.ValidBaseURL(b) {
		ps.Add("config.base_url", "invalid", "config.base_url must be an absolute http(s) URL such as https://graph.threads.net")
	}
	if strings.TrimSpace(ch.Credentials["access_token"]) == "" {
		ps.Add("credentials.access_token", "required", "credentials.access_token is required: a token with threads_content_publish")
	}
	return ps.Err("threads")
}
