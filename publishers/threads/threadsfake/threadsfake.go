// Package threadsfake is a local Threads API for tests: the container flow
// of publishers/internal/container/containerfake in Threads' dialect —
// POST /{user-id}/threads (media_type TEXT, IMAGE or CAROUSEL, text,
// image_url, is_carousel_item, children), GET /{container}?fields=status,
// GET /{user-id}/threads_publishing_limit, POST /{user-id}/threads_publish,
// GET /{media}?fields=permalink (https://www.threads.net/@<user>/post/<code>),
// GET /{user-id}/threads and GET /me?fields=username — with Graph error
// envelopes, 500-character text, carousels of 2 to 20 and a cap of 250
// posts per rolling 24 hours.
package threadsfake

import (
	"strconv"

	"github.com/heraldhq/herald/publishers/internal/container/containerfake"
)

// Dialect is Threads'.
var Dialect = containerfake.Dialect{
	CreatePath: "threads", PublishPath: "threads_publish", LimitPath: "threads_publishing_limit", ListPath: "threads",
	TextParam: "text", StatusField: "status", ImageType: true, TextType: true, Me: true,
	MaxItems: 20, MaxText: 500, QuotaTotal: 250,
	Permalink: func(user, id string) string {
		n, _ := strconv.ParseInt(id, 10, 64)
		return "https://www.threads.net/@" + user + "/post/D" + strconv.FormatInt(n, 36)
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

// New starts a fake Threads. Close it when done.
func New(opts Options) *Server { return containerfake.New(Dialect, opts) }
