package api_test

import (
	"context"
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/api"
	"github.com/labstack/echo/v4"
)

// Who may use each route, as issue 10's role table says it, written out
// here on its own so that a wrong entry of the route table
// (api/permissions.go) fails TestEveryRouteEveryRole: a workspace route
// names the roles it lets in (the instance admin always, a non-member
// never: 404); a route without :ws is for anyone signed in (anyone), the
// instance admin alone (adminOnly), or everybody, no token needed
// (public). A route missing here fails the test too.
const (
	allRoles  = "owner manager editor approver viewer"
	editors   = "owner manager editor"
	approvers = "owner manager editor approver"
	managers  = "owner manager"
	owners    = "owner"
	anyone    = "anyone"
	adminOnly = "admin"
	public    = "public"
)

var wantAccess = map[string]string{
	"GET /api/v1/workspaces":        anyone, // lists only the caller's
	"POST /api/v1/workspaces":       adminOnly,
	"GET /api/v1/workspaces/:ws":    allRoles,
	"PATCH /api/v1/workspaces/:ws":  managers,
	"DELETE /api/v1/workspaces/:ws": owners,
	"GET /api/v1/platforms":         anyone,

	"GET /api/v1/workspaces/:ws/channels":              allRoles,
	"POST /api/v1/workspaces/:ws/channels":             managers,
	"GET /api/v1/workspaces/:ws/channels/:name":        allRoles,
	"PATCH /api/v1/workspaces/:ws/channels/:name":      managers,
	"DELETE /api/v1/workspaces/:ws/channels/:name":     managers,
	"POST /api/v1/workspaces/:ws/channels/:name/check": managers,

	"GET /api/v1/workspaces/:ws/plans":             allRoles,
	"PUT /api/v1/workspaces/:ws/plans/:key":        editors,
	"GET /api/v1/workspaces/:ws/plans/:key":        allRoles,
	"DELETE /api/v1/workspaces/:ws/plans/:key":     editors,
	"GET /api/v1/workspaces/:ws/plans/:key/report": allRoles,
	"GET /api/v1/workspaces/:ws/posts":             allRoles,

	"GET /api/v1/workspaces/:ws/deliveries/:id":          allRoles,
	"POST /api/v1/workspaces/:ws/deliveries/:id/retry":   editors,
	"POST /api/v1/workspaces/:ws/deliveries/:id/cancel":  editors,
	"POST /api/v1/workspaces/:ws/deliveries/:id/resolve": editors,

	"POST /api/v1/users":                           adminOnly,
	"GET /api/v1/users":                            adminOnly,
	"GET /api/v1/users/me":                         anyone,
	"DELETE /api/v1/users/:email":                  adminOnly,
	"POST /api/v1/users/me/password":               anyone,
	"POST /api/v1/sessions":                        public,
	"DELETE /api/v1/sessions/current":              anyone,
	"GET /api/v1/tokens":                           anyone,
	"POST /api/v1/tokens":                          anyone,
	"DELETE /api/v1/tokens/:id":                    anyone,
	"GET /api/v1/workspaces/:ws/members":           allRoles,
	"PUT /api/v1/workspaces/:ws/members/:email":    managers,
	"DELETE /api/v1/workspaces/:ws/members/:email": managers,

	"POST /api/v1/workspaces/:ws/plans/:key/approve":            approvers,
	"POST /api/v1/workspaces/:ws/plans/:key/reject":             approvers,
	"POST /api/v1/workspaces/:ws/plans/:key/review-links":       editors,
	"GET /api/v1/workspaces/:ws/plans/:key/review-links":        editors,
	"DELETE /api/v1/workspaces/:ws/plans/:key/review-links/:id": editors,
	"GET /api/v1/review/:token":                                 public,
	"POST /api/v1/review/:token/approve":                        public,
	"POST /api/v1/review/:token/reject":                         public,

	"POST /api/v1/workspaces/:ws/pause":                 editors,
	"POST /api/v1/workspaces/:ws/resume":                managers,
	"POST /api/v1/workspaces/:ws/channels/:name/pause":  editors,
	"POST /api/v1/workspaces/:ws/channels/:name/resume": managers,
	"POST /api/v1/pause":                                adminOnly,
	"POST /api/v1/resume":                               adminOnly,

	"GET /api/v1/workspaces/:ws/audit": managers,
	"GET /api/v1/audit":                adminOnly,
}

// principal is one kind of caller of the walk.
type principal struct {
	name   string
	bearer string // "" for none
	admin  bool   // the instance admin, not narrowed
	role   string // the role it holds in acme; "" when it may not see acme
}

// outcome classifies an answer: what the permission check did.
func outcome(t *testing.T, r resp) string {
	t.Helper()
	switch {
	case r.status == 401:
		return "401"
	case r.status == 403 && r.errorCode(t) == herald.EFORBIDDEN:
		return "403"
	case r.status == 404 && errorMessage(t, r) == herald.WorkspaceNotFound("acme").Message:
		return "404"
	case r.status >= 500:
		return "500 " + r.String()
	}
	return "allowed" // the handler answered, with its own 200, 400, 404, 409, 422…
}

func errorMessage(t *testing.T, r resp) string {
	var env api.Envelope
	if err := json.Unmarshal(r.body, &env); err != nil {
		t.Fatalf("not an error envelope: %s", r.body)
	}
	return env.Error.Message
}

// want is what principal p should get on a route wantAccess says access
// of.
func (p principal) want(access string, wsRoute bool) string {
	switch {
	case access == public:
		return "allowed"
	case p.bearer == "":
		return "401"
	case access == anyone:
		return "allowed"
	case access == adminOnly:
		if p.admin {
			return "allowed"
		}
		return "403"
	case !wsRoute:
		return "bad table entry " + access
	case p.admin:
		return "allowed"
	case p.role == "":
		return "404"
	case strings.Contains(" "+access+" ", " "+p.role+" "):
		return "allowed"
	}
	return "403"
}

var paramRe = regexp.MustCompile(`:[a-z]+`)

// concrete is a request path for route: acme for :ws, and objects that do
// not exist for the rest, so that an allowed request is answered by its
// handler (a 404 of its own, a 400 for the body) and changes nothing.
func concrete(route string) string {
	return paramRe.ReplaceAllStringFunc(route, func(p string) string {
		switch p {
		case ":ws":
			return "acme"
		case ":id":
			return "999999"
		case ":email":
			return "nobody@example.com"
		}
		return "nope"
	})
}

// TestEveryRouteEveryRole walks every registered /api/v1 route with every
// kind of caller and checks the permission check's answer against
// wantAccess: allowed, 403, or 404 as for a workspace that does not exist.
func TestEveryRouteEveryRole(t *testing.T) {
	e := newEnv(t)
	e.setup("acme")
	e.setup("other")
	// A delivery of acme is publishing, so that deleting acme, when
	// allowed, is refused by its handler (409) and the walk goes on.
	must(t, e.do("PUT", "/api/v1/workspaces/acme/plans/p1", jsonPlan("one")), 200)
	due, err := time.Parse("2006-01-02 15:04", future+" 10:00")
	if err != nil {
		t.Fatal(err)
	}
	if jobs, err := e.db.ClaimDue(context.Background(), "walk", due, time.Hour, 10); err != nil || len(jobs) != 1 {
		t.Fatalf("claim: %v %v", jobs, err)
	}

	ps := []principal{{name: "no token"}, {name: "instance admin", bearer: e.token, admin: true, role: "owner"}}
	for _, role := range herald.Roles {
		sess := e.person(string(role)+"@example.com", "acme", string(role))
		tok, _ := e.tokenAs(sess, map[string]any{"name": "all of " + string(role)})
		ps = append(ps, principal{name: string(role), bearer: tok, role: string(role)})
	}
	ps = append(ps, principal{name: "viewer by session", bearer: e.signIn("viewer@example.com", "password-viewer@example.com"), role: "viewer"})
	stranger := e.person("stranger@example.com", "", "")
	ps = append(ps, principal{name: "non-member", bearer: stranger})
	// The owner of acme, through tokens narrowed to another workspace,
	// and to acme as a viewer.
	owner := e.signIn("owner@example.com", "password-owner@example.com")
	e.member("other", "owner@example.com", "owner")
	toOther, _ := e.tokenAs(owner, map[string]any{"name": "other", "workspace": "other"})
	asViewer, _ := e.tokenAs(owner, map[string]any{"name": "acme viewer", "workspace": "acme", "role": "viewer"})
	// The instance admin's token narrowed to acme as an editor.
	adminEditor, _ := e.tokenAs(e.token, map[string]any{"name": "acme editor", "workspace": "acme", "role": "editor"})
	ps = append(ps,
		principal{name: "owner's token for another workspace", bearer: toOther},
		principal{name: "owner's token as viewer", bearer: asViewer, role: "viewer"},
		principal{name: "admin's token as editor", bearer: adminEditor, role: "editor"})

	echoSrv := api.New(nil, api.Config{}).Handler().(*echo.Echo)
	var routes []string
	for _, rt := range echoSrv.Routes() {
		if strings.HasPrefix(rt.Path, "/api/v1/") {
			routes = append(routes, rt.Method+" "+rt.Path)
		}
	}
	// Signing out ends the sessions of the walk: it goes last.
	sort.Slice(routes, func(i, j int) bool {
		li, lj := routes[i] == "DELETE /api/v1/sessions/current", routes[j] == "DELETE /api/v1/sessions/current"
		if li != lj {
			return lj
		}
		return routes[i] < routes[j]
	})
	for _, route := range routes {
		access, ok := wantAccess[route]
		if !ok {
			t.Errorf("route %s is not in wantAccess: say who may use it", route)
			continue
		}
		method, path, _ := strings.Cut(route, " ")
		wsRoute := strings.Contains(path, ":ws")
		for _, p := range ps {
			auth := ""
			if p.bearer != "" {
				auth = "Bearer " + p.bearer
			}
			var body any
			if method != "GET" && method != "DELETE" {
				body = `{"nope": 1}` // refused by the handler's decoding: nothing changes
			}
			r := e.doAs(auth, method, concrete(path), body, "Content-Type: application/json")
			if got, want := outcome(t, r), p.want(access, wsRoute); got != want {
				t.Errorf("%s as %s: %s (%d %s), want %s", route, p.name, got, r.status, strings.TrimSpace(r.String()), want)
			}
		}
	}
	for route := range wantAccess {
		if !contains(routes, route) {
			t.Errorf("wantAccess names %s, which is not a route", route)
		}
	}
	// acme is still there: the walk changed nothing.
	must(t, e.do("GET", "/api/v1/workspaces/acme", nil), 200)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
