package api

import (
	"net/http"
	"strings"

	"github.com/heraldhq/herald"
	"github.com/labstack/echo/v4"
)

// channelInput is the body of POST and PATCH …/channels: absent fields are
// nil (PATCH keeps them). Credentials are write-only.
type channelInput struct {
	Name        *string            `json:"name"`
	Platform    *string            `json:"platform"`
	Timezone    *string            `json:"timezone"`
	Slots       *[]herald.Slot     `json:"slots"`
	Config      *map[string]any    `json:"config"`
	Credentials *map[string]string `json:"credentials"`
}

func (in *channelInput) apply(ch *herald.Channel) {
	if in.Timezone != nil {
		ch.Timezone = *in.Timezone
	}
	if in.Slots != nil {
		ch.Slots = *in.Slots
	}
	if in.Config != nil {
		ch.Config = *in.Config
	}
	if in.Credentials != nil {
		ch.Credentials = *in.Credentials
	}
}

// channelView is a channel as the API shows it: never its credentials, only
// whether it has any.
type channelView struct {
	*herald.Channel
	HasCredentials bool `json:"has_credentials"`
	// Paused is the widest pause holding the channel (its own, its
	// workspace's, the instance's), null when none; filled by GET.
	Paused *herald.Pause `json:"paused"`
}

func viewChannel(ch *herald.Channel) channelView {
	v := *ch
	v.Credentials = nil
	if v.Slots == nil {
		v.Slots = []herald.Slot{}
	}
	if v.Config == nil {
		v.Config = map[string]any{}
	}
	return channelView{Channel: &v, HasCredentials: len(ch.Credentials) > 0}
}

// validateChannel normalizes the channel's slots ("Monday" → "mon"), runs
// its own checks and the platform's, and answers every problem of both at
// once.
func (s *Server) validateChannel(ch *herald.Channel) error {
	ch.Normalize()
	errs := []error{ch.Validate()}
	if s.cfg.ValidateChannel != nil && ch.Platform != "" {
		errs = append(errs, s.cfg.ValidateChannel(ch))
	}
	return validationErr("invalid channel", errs...)
}

func (s *Server) listChannels(c echo.Context) error {
	ws, err := s.workspace(c)
	if err != nil {
		return err
	}
	n, err := limit(c)
	if err != nil {
		return err
	}
	all, err := s.store.ListChannels(c.Request().Context(), ws.ID)
	if err != nil {
		return err
	}
	ps, err := s.store.Pauses(c.Request().Context(), ws.ID)
	if err != nil {
		return err
	}
	// Channels are few per workspace: paginate the ordered list here.
	cursor := c.QueryParam("cursor")
	items := []channelView{}
	next := ""
	for _, ch := range all {
		if cursor != "" && ch.Name <= cursor {
			continue
		}
		if len(items) == n {
			next = items[n-1].Name
			break
		}
		v := viewChannel(ch)
		v.Paused = channelPause(ps, ch.Name)
		items = append(items, v)
	}
	return c.JSON(http.StatusOK, page{Items: items, NextCursor: next})
}

func (s *Server) createChannel(c echo.Context) error {
	ctx := c.Request().Context()
	ws, err := s.workspace(c)
	if err != nil {
		return err
	}
	var in channelInput
	if err := s.decodeJSON(c, &in); err != nil {
		return err
	}
	ch := &herald.Channel{WorkspaceID: ws.ID, Slots: []herald.Slot{}, Config: map[string]any{}}
	if in.Name != nil {
		ch.Name = *in.Name
	}
	if in.Platform != nil {
		ch.Platform = *in.Platform
	}
	in.apply(ch)
	if err := s.validateChannel(ch); err != nil {
		return err
	}
	if err := s.store.CreateChannel(ctx, ch); err != nil {
		return err
	}
	stored, err := s.store.Channel(ctx, ws.ID, ch.Name)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, viewChannel(stored))
}

// channelPath looks up the path's workspace and its channel {name}:
// ENOTFOUND when either does not exist.
func (s *Server) channelPath(c echo.Context) (*herald.Workspace, *herald.Channel, error) {
	ws, err := s.workspace(c)
	if err != nil {
		return nil, nil, err
	}
	ch, err := s.store.Channel(c.Request().Context(), ws.ID, c.Param("name"))
	return ws, ch, err
}

func (s *Server) getChannel(c echo.Context) error {
	ws, ch, err := s.channelPath(c)
	if err != nil {
		return err
	}
	ps, err := s.store.Pauses(c.Request().Context(), ws.ID)
	if err != nil {
		return err
	}
	v := viewChannel(ch)
	v.Paused = channelPause(ps, ch.Name)
	return c.JSON(http.StatusOK, v)
}

func (s *Server) patchChannel(c echo.Context) error {
	ctx := c.Request().Context()
	ws, ch, err := s.channelPath(c)
	if err != nil {
		return err
	}
	var in channelInput
	if err := s.decodeJSON(c, &in); err != nil {
		return err
	}
	var ps []herald.Problem
	if in.Name != nil && *in.Name != ch.Name {
		ps = append(ps, herald.Problem{Column: "name", Code: "immutable", Message: "a channel's name cannot be changed (plans refer to it); create a new channel instead"})
	}
	if in.Platform != nil && *in.Platform != ch.Platform {
		ps = append(ps, herald.Problem{Column: "platform", Code: "immutable", Message: "a channel's platform cannot be changed; create a new channel instead"})
	}
	if len(ps) > 0 {
		return &herald.Error{Code: herald.EVALIDATION, Message: "invalid channel", Details: ps}
	}
	// The stored credentials (decrypted on read) take part in validation;
	// absent credentials in the body keep them — unless the body moves an
	// endpoint, which would send them to the new address.
	before := *ch
	in.apply(ch)
	var moved error
	if in.Credentials == nil && len(before.Credentials) > 0 {
		moved = s.endpointMoved(&before, ch)
	}
	if err := validationErr("invalid channel", moved, s.validateChannel(ch)); err != nil {
		return err
	}
	if in.Credentials == nil {
		ch.Credentials = nil
	}
	if err := s.store.UpdateChannel(ctx, ch); err != nil {
		return err
	}
	if in.Credentials != nil && s.cfg.OnPlanApplied != nil {
		s.cfg.OnPlanApplied() // deliveries held for new credentials may go now
	}
	stored, err := s.store.Channel(ctx, ws.ID, ch.Name)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewChannel(stored))
}

// endpointMoved is the EVALIDATION error of a change from stored to ch of a
// setting that decides where the credentials go, when no credentials come
// with it; nil when none moves.
func (s *Server) endpointMoved(stored, ch *herald.Channel) error {
	var endpoints []string
	if s.cfg.Endpoints != nil {
		endpoints = s.cfg.Endpoints(stored.Platform)
	}
	changed := stored.EndpointChanges(ch, endpoints)
	if len(changed) == 0 {
		return nil
	}
	return &herald.Error{Code: herald.EVALIDATION, Message: "invalid channel", Details: []herald.Problem{{
		Column: "credentials", Code: "credentials_required",
		Message: strings.Join(changed, ", ") + " decides where this channel's credentials are sent: send the credentials again " +
			"with the new endpoint, in the same request (the stored ones are never sent to a new address)"}}}
}

func (s *Server) deleteChannel(c echo.Context) error {
	ws, err := s.workspace(c)
	if err != nil {
		return err
	}
	if err := s.store.DeleteChannel(c.Request().Context(), ws.ID, c.Param("name")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
