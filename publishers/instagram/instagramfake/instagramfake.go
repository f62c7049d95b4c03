// Package instagramfake is a local Instagram Graph API for tests: the
// container flow of publishers/internal/container/containerfake in
// Instagram's dialect — POST /{ig-user-id}/media (image_url, caption,
// is_carousel_item, media_type=CAROUSEL with children), GET
// /{container}?fields=status_code, GET /{ig-user-id}/content_publishing_limit,
// POST /{ig-user-id}/media_publish, GET /{media}?fields=permalink
// (https://www.instagram.com/p/<code>/), GET /{ig-user-id}/media and GET
// /{ig-user-id}?fields=username — with Graph error envelopes, a 2,200
// character caption, carousels of 2 to 10 and a cap of 100 posts per
// rolling 24 hours.
package instagramfake

import (
	"strconv"

	"github.com/heraldhq/herald/publishers/internal/container/containerfake"
)

// Dialect is Instagram's.
var Dialect = containerfake.Dialect{
	CreatePath: "media", PublishPath: "media_publish", LimitPath: "content_publishing_limit", ListPath: "media",
	TextParam: "caption", StatusField: "status_code", MaxItems: 10, MaxText: 2200, QuotaTotal: 100,
	Permalink: func(_, id string) string {
		n, _ := strconv.ParseInt(id, 10, 64)
		return "https://www.instagram.com/p/C" + strconv.FormatInt(n, 36) + "/"
	},
}

// Re-exported so tests need one import.
type (
	Server    = containerfake.Server
	Options   = containerfake.Options
	Fault     = containerfake.Fault
	Post      = containerfake.Post
	Container = containerfake.Container
	Call      = containerfake.Call
)

// New starts a fake Instagram. Close it when done.
func New(opts Options) *Server { return containerfake.New(Dialect, opts) }
