package api

import (
	"fmt"
	"slices"

	"github.com/heraldhq/herald"
	"github.com/labstack/echo/v4"
)

// workspaceKey is where authorize leaves the workspace of a route's {ws},
// which Server.workspace hands to the handler (read once per request).
const workspaceKey = "herald.workspace"

// authorize is the one permission check. It runs after routing (e.Use), so
// it knows the route, and reads what the route needs from routePermissions:
// a route without an entry answers 500. For a route under
// /workspaces/:ws it loads the workspace with the caller's membership role
// there (one read): a workspace the caller may not see is 404 exactly as
// one that does not exist; a role lacking the permission is 403. It records
// the role (herald.WithRoleIn) and the workspace for the handler. Other
// routes check the caller alone: PermAdmin is the instance admin's,
// PermNone anyone's. Public routes (publicPath), those outside /api/v1 and
// the router's own 404 and 405 pass.
func (s *Server) authorize(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		key := r.Method + " " + c.Path()
		if !apiPath(c.Path()) || !s.registered[key] {
			return next(c) // no such route or method: the router answers
		}
		perm, ok := routePermissions[key]
		if !ok {
			return fmt.Errorf("route %s has no entry in routePermissions (api/permissions.go)", key)
		}
		if publicPath(r.Method, c.Path()) {
			return next(c)
		}
		caller, ok := herald.CallerOf(r.Context())
		if !ok { // authenticate let a request through that it should not have
			return herald.Errorf(herald.EUNAUTHORIZED, "missing or malformed Authorization header; send \"Authorization: Bearer <token>\"")
		}
		if !slices.Contains(c.ParamNames(), "ws") {
			switch perm {
			case herald.PermNone:
			case herald.PermAdmin:
				if !caller.InstanceAdmin() {
					return adminOnly()
				}
			default:
				return fmt.Errorf("route %s needs %s, a workspace permission, but has no :ws", key, perm)
			}
			return next(c)
		}
		slug := c.Param("ws")
		var ws *herald.Workspace
		var member herald.Role
		var err error
		if caller.Admin { // an owner everywhere: no membership to read
			ws, err = s.store.Workspace(r.Context(), slug)
		} else {
			ws, member, err = s.store.WorkspaceAccess(r.Context(), slug, caller.UserID)
		}
		if err != nil {
			return err
		}
		role, ok := caller.In(ws.ID, member)
		switch {
		case !ok:
			return herald.WorkspaceNotFound(slug)
		case perm == herald.PermAdmin:
			if !caller.InstanceAdmin() {
				return adminOnly()
			}
		case !role.Can(perm):
			return herald.Forbidden(role, perm)
		}
		c.Set(workspaceKey, ws)
		c.SetRequest(r.WithContext(herald.WithRoleIn(r.Context(), ws.ID, role)))
		return next(c)
	}
}

func adminOnly() error {
	return herald.Errorf(herald.EFORBIDDEN, "only the instance admin may do this (signed in as an admin user, or with an admin token not narrowed to a workspace or role)")
}

// caller is the request's authenticated caller (authenticate put it there).
func caller(c echo.Context) herald.Caller {
	cl, _ := herald.CallerOf(c.Request().Context())
	return cl
}

// roleHere is the role the caller holds in workspace ws, as authorize
// resolved it.
func roleHere(c echo.Context, ws *herald.Workspace) herald.Role {
	r, _ := herald.RoleIn(c.Request().Context(), ws.ID)
	return r
}
