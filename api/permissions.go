package api

import "github.com/heraldhq/herald"

// routePermissions is what each route needs, keyed "METHOD path" with the
// path as registered. Routes under /workspaces/:ws check it against the
// caller's role in that workspace (404 for someone who is not a member);
// the others against the caller itself. A test fails when a route is
// registered without an entry. Public routes (publicRoutes: signing in, a
// review link, whose token is the credential) have PermNone here.
var routePermissions = map[string]herald.Permission{
	"GET /api/v1/workspaces":        herald.PermNone, // lists only the caller's
	"POST /api/v1/workspaces":       herald.PermAdmin,
	"GET /api/v1/workspaces/:ws":    herald.PermRead,
	"PATCH /api/v1/workspaces/:ws":  herald.PermSettings,
	"DELETE /api/v1/workspaces/:ws": herald.PermOwn,
	"GET /api/v1/platforms":         herald.PermNone,

	"POST /api/v1/users":                           herald.PermAdmin,
	"GET /api/v1/users":                            herald.PermAdmin, // every user, with their memberships
	"GET /api/v1/users/me":                         herald.PermNone,  // the caller's own
	"DELETE /api/v1/users/:email":                  herald.PermAdmin, // someone left: sessions, tokens, memberships go
	"POST /api/v1/users/me/password":               herald.PermNone,  // the caller's own
	"POST /api/v1/sessions":                        herald.PermNone,  // public: signing in (publicRoutes)
	"DELETE /api/v1/sessions/current":              herald.PermNone,
	"GET /api/v1/tokens":                           herald.PermNone, // the caller's own (the admin: all)
	"POST /api/v1/tokens":                          herald.PermNone, // never more than the caller
	"DELETE /api/v1/tokens/:id":                    herald.PermNone, // the caller's own (the admin: any)
	"GET /api/v1/workspaces/:ws/members":           herald.PermRead,
	"PUT /api/v1/workspaces/:ws/members/:email":    herald.PermMembers, // managers: all but owners
	"DELETE /api/v1/workspaces/:ws/members/:email": herald.PermMembers,

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

	"POST /api/v1/workspaces/:ws/plans/:key/approve":            herald.PermApprove,
	"POST /api/v1/workspaces/:ws/plans/:key/reject":             herald.PermApprove,
	"POST /api/v1/workspaces/:ws/plans/:key/review-links":       herald.PermPlans,
	"GET /api/v1/workspaces/:ws/plans/:key/review-links":        herald.PermPlans,
	"DELETE /api/v1/workspaces/:ws/plans/:key/review-links/:id": herald.PermPlans,
	"GET /api/v1/review/:token":                                 herald.PermNone, // public (publicRoutes)
	"POST /api/v1/review/:token/approve":                        herald.PermNone, // public
	"POST /api/v1/review/:token/reject":                         herald.PermNone, // public
	"GET /api/v1/workspaces/:ws/posts":                          herald.PermRead,

	"GET /api/v1/workspaces/:ws/deliveries/:id":          herald.PermRead,
	"POST /api/v1/workspaces/:ws/deliveries/:id/retry":   herald.PermPlans,
	"POST /api/v1/workspaces/:ws/deliveries/:id/cancel":  herald.PermPlans,
	"POST /api/v1/workspaces/:ws/deliveries/:id/resolve": herald.PermPlans,

	"GET /api/v1/workspaces/:ws/audit":                  herald.PermAudit,
	"GET /api/v1/audit":                                 herald.PermAdmin, // every workspace's, and the instance's
	"POST /api/v1/workspaces/:ws/pause":                 herald.PermPause,
	"POST /api/v1/workspaces/:ws/resume":                herald.PermResume,
	"POST /api/v1/workspaces/:ws/channels/:name/pause":  herald.PermPause,
	"POST /api/v1/workspaces/:ws/channels/:name/resume": herald.PermResume,
	"POST /api/v1/pause":                                herald.PermAdmin,
	"POST /api/v1/resume":                               herald.PermAdmin,
}
