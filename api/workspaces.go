package api

import (
	"net/http"
	"strings"

	"github.com/heraldhq/herald"
	"github.com/labstack/echo/v4"
)

// workspaceInput is the body of POST and PATCH …/workspaces: absent fields
// are nil (PATCH keeps them; POST uses defaults).
type workspaceInput struct {
	Slug             *string `json:"slug"`
	Name             *string `json:"name"`
	Timezone         *string `json:"timezone"`
	ApprovalRequired *bool   `json:"approval_required"`
	// ApprovalSteps replaces the steps ([] turns approval off);
	// approval_required: true alone sets the default step, false clears them.
	ApprovalSteps     *[]herald.ApprovalStep `json:"approval_steps"`
	AllowSelfApproval *bool                  `json:"allow_self_approval"`
	MaxLateness       *herald.Duration       `json:"max_lateness"`
}

// apply copies the fields present in in onto ws.
func (in *workspaceInput) apply(ws *herald.Workspace) {
	if in.Name != nil {
		ws.Name = *in.Name
	}
	if in.Timezone != nil {
		ws.Timezone = *in.Timezone
	}
	if in.ApprovalSteps != nil {
		ws.ApprovalSteps = make([]herald.ApprovalStep, len(*in.ApprovalSteps))
		for i, st := range *in.ApprovalSteps {
			roles := make([]herald.Role, len(st.Roles))
			for j, r := range st.Roles {
				roles[j] = herald.Role(strings.ToLower(strings.TrimSpace(string(r))))
			}
			ws.ApprovalSteps[i] = herald.ApprovalStep{Name: st.Name, Roles: roles}
		}
		ws.ApprovalRequired = len(ws.ApprovalSteps) > 0
	}
	if in.ApprovalRequired != nil {
		ws.ApprovalRequired = *in.ApprovalRequired
		switch {
		case !ws.ApprovalRequired && in.ApprovalSteps == nil:
			ws.ApprovalSteps = nil
		case ws.ApprovalRequired && len(ws.ApprovalSteps) == 0:
			ws.ApprovalSteps = []herald.ApprovalStep{herald.DefaultApprovalStep}
		}
	}
	if ws.ApprovalSteps == nil {
		ws.ApprovalSteps = []herald.ApprovalStep{}
	}
	if in.AllowSelfApproval != nil {
		ws.AllowSelfApproval = *in.AllowSelfApproval
	}
	if in.MaxLateness != nil {
		ws.MaxLateness = *in.MaxLateness
	}
}

func (s *Server) listWorkspaces(c echo.Context) error {
	n, err := limit(c)
	if err != nil {
		return err
	}
	ctx, cl, after := c.Request().Context(), caller(c), c.QueryParam("cursor")
	var list []*herald.Workspace
	if cl.Admin && cl.WorkspaceID == 0 {
		list, err = s.store.ListWorkspaces(ctx, after, n+1) // every one
	} else {
		list, err = s.store.ListWorkspacesFor(ctx, cl, after, n+1) // the caller's
	}
	if err != nil {
		return err
	}
	next := ""
	if len(list) > n {
		list = list[:n]
		next = list[n-1].Slug
	}
	if list == nil {
		list = []*herald.Workspace{}
	}
	return c.JSON(http.StatusOK, page{Items: list, NextCursor: next})
}

func (s *Server) createWorkspace(c echo.Context) error {
	var in workspaceInput
	if err := s.decodeJSON(c, &in); err != nil {
		return err
	}
	ws := &herald.Workspace{Timezone: "UTC", MaxLateness: herald.Duration(herald.DefaultMaxLateness)}
	if in.Slug != nil {
		ws.Slug = *in.Slug
	}
	in.apply(ws)
	if err := ws.Validate(); err != nil {
		return err
	}
	// An admin user who creates it (the actor in the context) owns it.
	if err := s.store.CreateWorkspace(c.Request().Context(), ws); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, ws)
}

func (s *Server) getWorkspace(c echo.Context) error {
	ws, err := s.workspace(c)
	if err != nil {
		return err
	}
	ps, err := s.store.Pauses(c.Request().Context(), ws.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, struct {
		*herald.Workspace
		Paused *herald.Pause `json:"paused"` // what holds the whole workspace, null when nothing
	}{ws, workspacePause(ps)})
}

func (s *Server) patchWorkspace(c echo.Context) error {
	ctx := c.Request().Context()
	ws, err := s.workspace(c)
	if err != nil {
		return err
	}
	var in workspaceInput
	if err := s.decodeJSON(c, &in); err != nil {
		return err
	}
	if in.Slug != nil && *in.Slug != ws.Slug {
		return &herald.Error{Code: herald.EVALIDATION, Message: "invalid workspace", Details: []herald.Problem{
			{Column: "slug", Code: "immutable", Message: "a workspace's slug cannot be changed"}}}
	}
	in.apply(ws)
	if err := ws.Validate(); err != nil {
		return err
	}
	if err := s.store.UpdateWorkspace(ctx, ws); err != nil {
		return err
	}
	ws, err = s.store.Workspace(ctx, ws.Slug)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ws)
}

func (s *Server) deleteWorkspace(c echo.Context) error {
	ws, err := s.workspace(c)
	if err != nil {
		return err
	}
	if err := s.store.DeleteWorkspace(c.Request().Context(), ws.ID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
