// Package instagram publishes to an Instagram professional account through
// the Graph API's content publishing: one image, or a carousel of 2 to 10,
// with the post's text (and link) as the caption. Instagram downloads the
// images itself, so their URLs are passed on, never fetched by Herald.
//
// The flow (shared with Threads, see publishers/internal/container):
// POST /{ig-user-id}/media (image_url, caption) makes a container —
// children with is_carousel_item=true first, then a CAROUSEL container
// with children=… for several images; its id is stored with the delivery
// (publishers.Options.SaveDeliveryState) at once; GET
// /{container}?fields=status_code is polled until FINISHED (a bounded wait,
// then a retry that resumes the container); GET
// /{ig-user-id}/content_publishing_limit is checked against quota_total (at
// the cap: a throttled retry); POST /{ig-user-id}/media_publish
// (creation_id) publishes it; GET /{media}?fields=permalink gives the URL.
//
// Channel config: ig_user_id (required), graph_version (default v21.0),
// base_url (default https://graph.facebook.com). Credentials: access_token
// (required: a token with instagram_content_publish).
//
// Instagram has no idempotency key, so Idempotent is false; but a retry of
// a delivery whose container id was stored checks that container before
// making anything: FINISHED (or still IN_PROGRESS) is published, EXPIRED is
// made again, ERROR fails, and PUBLISHED — published by an attempt whose
// answer was lost — is looked up among the account's recent posts by
// caption (published when found, unknown otherwise). So most retries are
// safe; only an answer lost on media_publish itself is unknown, and
// Reconcile settles that one from the stored container's status.
//
// Graph errors: 190 (and 102) need new credentials (reauth); 4, 17, 32,
// 341 and 613 are throttling (the wait from X-Business-Use-Case-Usage);
// 1, 2, is_transient, 9007 and subcodes 2207001/2207003/2207020 retry (an
// expired container is made again); 368 retries
// an hour later; subcode 2207042 (the cap) is a throttled retry; the rest
// (100, 10, 200–299, 2207004 image too large…) fail with Meta's message.
package instagram

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
	DefaultBaseURL      = "https://graph.facebook.com"
	DefaultGraphVersion = "v21.0"
	MaxItems            = 10   // carousel items
	MaxCaption          = 2200 // caption characters
	DefaultQuotaTotal   = 100  // posts per rolling 24 hours when the limit answer has no quota_total
)

// Spec is Instagram's dialect of the container flow.
var Spec = container.Spec{
	Platform: "instagram", Name: "Instagram",
	CreatePath: "media", PublishPath: "media_publish", LimitPath: "content_publishing_limit", ListPath: "media",
	TextParam: "caption", StatusField: "status_code",
	MaxItems: MaxItems, MaxText: MaxCaption, QuotaTotal: DefaultQuotaTotal,
	BaseURL: DefaultBaseURL, Version: DefaultGraphVersion, VersionKey: "graph_version", UserKey: "ig_user_id",
}

// Options configure the publisher. Zero values take the container package's defaults.
type Options = container.Options

// Publisher publishes to Instagram: Publish, Check, Reconcile and Idempotent
// (false: Instagram takes no idempotency key; a stored container id still
// makes most retries safe, see the package doc) come from the shared
// container flow. It is safe for concurrent use.
type Publisher struct{ *container.Publisher }

// New returns an Instagram publisher.
func New(opts Options) *Publisher { return &Publisher{container.New(Spec, opts)} }

var (
	idRe      = regexp.MustCompile(`^[0-9]+$`)
	versionRe = regexp.MustCompile(`^v[0-9]+\.[0-9]+$`)
)

// ValidateChannel checks the channel's Instagram config and credentials.
// It returns an EVALIDATION *herald.Error listing every problem (columns
// "config.ig_user_id", "config.graph_version", "config.base_url",
// "credentials.access_token"), or nil.
func (p *Publisher) ValidateChannel(ch *herald.Channel) error {
	var ps validate.Problems
	switch id := ch.ConfigString("ig_user_id"); {
	case id == "":
		ps.Add("config.ig_user_id", "required", "config.ig_user_id is required: the Instagram professional account's id (digits)")
	case !idRe.MatchString(id):
		ps.Add("config.ig_user_id", "invalid", "config.ig_user_id must be the account's numeric id, e.g. 17841400000000000")
	}
	if v := ch.ConfigString("graph_version"); v != "" && !versionRe.MatchString(v) {
		ps.Add("config.graph_version", "invalid", "config.graph_version must look like v21.0")
	}
	if b := ch.ConfigString("base_url"); b != "" && !httpcall.ValidBaseURL(b) {
		ps.Add("config.base_url", "invalid", "config.base_url must be an absolute http(s) URL such as https://graph.facebook.com")
	}
	if strings.TrimSpace(ch.Credentials["access_token"]) == "" {
		ps.Add("credentials.access_token", "required", "credentials.access_token is required: a token with instagram_content_publish")
	}
	return ps.Err("instagram")
}
