package herald

import (
	"context"
	"fmt"
	"strings"
)

// Who may do what, in one place. A workspace member holds one Role there;
// each Role grants a set of Permissions; every API route names the one
// Permission it needs (api/permissions.go), and approval steps name the
// roles that may pass them. The instance admin may do everything
// everywhere.

// Role is what a member may do in one workspace.
type Role string

// The workspace roles, highest first.
const (
	RoleOwner    Role = "owner"
	RoleManager  Role = "manager"
	RoleEditor   Role = "editor"
	RoleApprover Role = "approver" // the client: reads and approves the steps that name it
	RoleViewer   Role = "viewer"
)

// Roles lists the workspace roles, highest first.
var Roles = []Role{RoleOwner, RoleManager, RoleEditor, RoleApprover, RoleViewer}

// ParseRole returns the role named s (case-insensitive), or EINVALID
// listing the roles.
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	for _, v := range Roles {
		if r == v {
			return r, nil
		}
	}
	return "", Errorf(EINVALID, "unknown role %q; use one of %s", s, roleList())
}

func roleList() string {
	names := make([]string, len(Roles))
	for i, r := range Roles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

// Permission is one kind of action a route needs.
type Permission string

// The permissions. PermAdmin is the instance admin's alone (users, every
// workspace, the instance-wide pause and audit log); PermNone is for routes
// any authenticated caller may use (their own tokens, signing out).
const (
	PermNone     Permission = "none"
	PermRead     Permission = "read"     // see the workspace: plans, calendar, deliveries, channels (no secrets)
	PermPlans    Permission = "plans"    // upload and delete plans; retry, cancel, resolve deliveries
	PermChannels Permission = "channels" // create, change, delete channels and their credentials
	PermSettings Permission = "settings" // change the workspace's settings (approval steps, lateness)
	PermApprove  Permission = "approve"  // approve or reject, at a step that names the caller's role
	PermPause    Permission = "pause"    // pull the brake: pause the workspace or a channel
	PermResume   Permission = "resume"   // release it
	PermMembers  Permission = "members"  // add, change, remove members (managers: all but owners)
	PermOwn      Permission = "own"      // delete the workspace
	PermAudit    Permission = "audit"    // read the workspace's audit log
	PermAdmin    Permission = "admin"
)

// grants is the table of what each role may do.
var grants = map[Role][]Permission{
	RoleOwner:    {PermRead, PermPlans, PermChannels, PermSettings, PermApprove, PermPause, PermResume, PermMembers, PermAudit, PermOwn},
	RoleManager:  {PermRead, PermPlans, PermChannels, PermSettings, PermApprove, PermPause, PermResume, PermMembers, PermAudit},
	RoleEditor:   {PermRead, PermPlans, PermApprove, PermPause},
	RoleApprover: {PermRead, PermApprove},
	RoleViewer:   {PermRead},
}

// Can reports whether role r grants p. PermNone is granted to every role;
// PermAdmin to none (only the instance admin holds it).
func (r Role) Can(p Permission) bool {
	if p == PermNone {
		return true
	}
	for _, g := range grants[r] {
		if g == p {
			return true
		}
	}
	return false
}

// Covers reports whether someone holding r may hand role o to another
// (a member they add, a token they create): an owner any role; a manager
// any but owner; anyone their own role or viewer. An editor may not mint an
// approver: approval steps are named by role, so it would let them pass a
// client's step.
func (r Role) Covers(o Role) bool {
	switch {
	case r == RoleOwner:
		return o.valid()
	case r == RoleManager:
		return o.valid() && o != RoleOwner
	case r.valid():
		return o == r || o == RoleViewer
	}
	return false
}

func (r Role) valid() bool { _, ok := grants[r]; return ok }

// Narrow returns what a member holding r does through a token narrowed to
// role t: t when r covers it, else the lower of the two (viewer when
// neither covers the other). An empty t is r itself.
func (r Role) Narrow(t Role) Role {
	switch {
	case t == "":
		return r
	case r.Covers(t):
		return t
	case t.Covers(r):
		return r
	}
	return RoleViewer
}

// Caller is who an authenticated request acts for.
type Caller struct {
	// Actor names the caller in events and the audit log: kind user (a
	// session), token (an API token, acting as its creator), review_link,
	// or system.
	Actor Actor
	// UserID is the person behind it; 0 for the bootstrap admin token and
	// review links.
	UserID int64
	// Admin is the instance admin: every permission everywhere.
	Admin bool
	// WorkspaceID narrows a token to one workspace (0: every workspace its
	// creator is a member of).
	WorkspaceID int64
	// Role narrows a token to a role no higher than its creator's ("": the
	// creator's role in each workspace).
	Role Role
	// TokenID is the API token or session used (0 for none).
	TokenID int64
	// Session is true when TokenID is a sign-in session, not an API token.
	Session bool
}

// In returns the role the caller holds in workspace wsID, given its
// creator's membership role there ("" when not a member), and whether it
// may see the workspace at all. An admin is an owner everywhere.
func (c Caller) In(wsID int64, member Role) (Role, bool) {
	if c.WorkspaceID != 0 && c.WorkspaceID != wsID {
		return "", false
	}
	if c.Admin {
		return RoleOwner.Narrow(c.Role), true
	}
	if member == "" {
		return "", false
	}
	return member.Narrow(c.Role), true
}

// Forbidden is the EFORBIDDEN error for a caller holding role lacking p.
func Forbidden(role Role, p Permission) error {
	return Errorf(EFORBIDDEN, "your role %s may not %s here; ask a workspace manager or owner", role, permissionVerb(p))
}

func permissionVerb(p Permission) string {
	switch p {
	case PermRead:
		return "see this workspace"
	case PermPlans:
		return "change plans or deliveries"
	case PermChannels:
		return "change channels"
	case PermSettings:
		return "change the workspace's settings"
	case PermApprove:
		return "approve or reject posts"
	case PermPause:
		return "pause publishing"
	case PermResume:
		return "resume publishing"
	case PermMembers:
		return "change members"
	case PermOwn:
		return "delete the workspace"
	case PermAudit:
		return "read the audit log"
	case PermAdmin:
		return "do what only the instance admin may"
	}
	return fmt.Sprintf("do %q", string(p))
}

type callerKey struct{}

// WithCaller returns ctx carrying the authenticated caller (and its Actor,
// as WithActor does).
func WithCaller(ctx context.Context, c Caller) context.Context {
	return WithActor(context.WithValue(ctx, callerKey{}, c), c.Actor)
}

// CallerOf returns the caller WithCaller put in ctx, and whether there was
// one.
func CallerOf(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(Caller)
	return c, ok
}

type roleKey struct{}

type roleIn struct {
	ws   int64
	role Role
}

// WithRoleIn returns ctx carrying the role the caller holds in workspace
// wsID, as the API's permission check resolved it.
func WithRoleIn(ctx context.Context, wsID int64, r Role) context.Context {
	return context.WithValue(ctx, roleKey{}, roleIn{wsID, r})
}

// RoleIn returns the role WithRoleIn recorded for workspace wsID, and
// whether one was.
func RoleIn(ctx context.Context, wsID int64) (Role, bool) {
	v, ok := ctx.Value(roleKey{}).(roleIn)
	if !ok || v.ws != wsID {
		return "", false
	}
	return v.role, true
}
