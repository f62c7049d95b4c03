package api

import "github.com/heraldhq/herald"

// routePermissions is what each route needs, keyed "METHOD path" with the
// path as registered. Routes under /workspaces/:ws check it against the
// caller's role in that workspace (404 for someone who is not a member);
// the others against the caller itself. A test fails when a route is
// registered without an entry.
var routePermissions = map[string]herald.Permission{
	"GET /api/v1/workspaces":        herald.PermNone, // lists only the caller's
	"POST /api/v1/workspaces":       herald.PermAdmin,
	"GET /api/v1/workspaces/:ws":    herald.PermRead,
	"PATCH /api/v1/workspaces/:ws":  herald.PermSettings,
	"DELETE /api/v1/workspaces/:ws": herald.PermOwn,
	"GET /api/v1/platforms":         herald.PermNone,

	"GET /api/v1/workspaces/:ws/channels":              herald.PermRead,
	"POST /api/v1/workspaces/:ws/channels":             herald.PermChannels,
	"GET /api/v1/workspaces/:ws/channels/:name":        herald.PermRead,
	"PATCH /api/v1/workspaces/:ws/channels/:name":      herald.PermChannels,
	"DELETE /api/v1/workspaces/:ws/channels/:name":     herald.PermChannels,
	"POST /api/v1/workspaces/:ws/channels/:name/check": herald.PermChannels,

	"GET /api/v1/workspaces/:ws/plans":             herald.PermRead,
	"PUT /api/v1/workspaces/:ws/plans/:key":        herald.PermPlans,
	"GET /api/v1/workspaces/:ws/plans/:key":        herald.PermRead,
	"DELETE /api/v1/workspaces/:ws/plans/:key":     herald.PermPlans,
	"GET /api/v1/workspaces/:ws/plans/:key/report": herald.PermRead,
	"GET /api/v1/workspaces/:ws/posts":             herald.PermRead,

	"GET /api/v1/workspaces/:ws/deliveries/:id":          herald.PermRead,
	"POST /api/v1/workspaces/:ws/deliveries/:id/retry":   herald.PermPlans,
	"POST /api/v1/workspaces/:ws/deliveries/:id/cancel":  herald.PermPlans,
	"POST /api/v1/workspaces/:ws/deliveries/:id/resolve": herald.PermPlans,

	"POST /api/v1/workspaces/:ws/pause":                 herald.PermPause,
	"POST /api/v1/workspaces/:ws/resume":                herald.PermResume,
	"POST /api/v1/workspaces/:ws/channels/:name/pause":  herald.PermPause,
	"POST /api/v1/workspaces/:ws/channels/:name/resume": herald.PermResume,
	"POST /api/v1/pause":                                herald.PermAdmin,
	"POST /api/v1/resume":                               herald.PermAdmin,
}
