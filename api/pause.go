package api

import (
	"net/http"
	"time"

	"github.com/heraldhq/herald"
	"github.com/labstack/echo/v4"
)

// The crisis stop: POST …/pause and …/resume of a workspace, a channel, or
// (the instance admin) everything.

// pauseInput is the body of POST …/pause.
type pauseInput struct {
	Reason string  `json:"reason"`
	Until  *string `json:"until"`
}

// request reads the input as a PauseRequest validated at now.
func (in pauseInput) request(now time.Time) (herald.PauseRequest, error) {
	req := herald.PauseRequest{Reason: in.Reason}
	if in.Until != nil && *in.Until != "" {
		u, err := time.Parse(time.RFC3339, *in.Until)
		if err != nil {
			return req, &herald.Error{Code: herald.EVALIDATION, Message: "invalid pause", Details: []herald.Problem{{Column: "until",
				Code: "invalid_time", Message: "until must be an RFC 3339 time such as 2026-12-01T18:00:00Z, not " + quote(*in.Until)}}}
		}
		req.Until = &u
	}
	return req, req.Validate(now)
}

func quote(s string) string {
	if len(s) > 60 {
		s = s[:60] + "…"
	}
	return `"` + s + `"`
}

func (s *Server) pauseInstance(c echo.Context) error  { return s.pause(c, herald.PauseTarget{}) }
func (s *Server) resumeInstance(c echo.Context) error { return s.resume(c, herald.PauseTarget{}) }

func (s *Server) pauseWorkspace(c echo.Context) error {
	t, err := s.workspaceTarget(c)
	if err != nil {
		return err
	}
	return s.pause(c, t)
}

func (s *Server) resumeWorkspace(c echo.Context) error {
	t, err := s.workspaceTarget(c)
	if err != nil {
		return err
	}
	return s.resume(c, t)
}

func (s *Server) pauseChannel(c echo.Context) error {
	t, err := s.channelTarget(c)
	if err != nil {
		return err
	}
	return s.pause(c, t)
}

func (s *Server) resumeChannel(c echo.Context) error {
	t, err := s.channelTarget(c)
	if err != nil {
		return err
	}
	return s.resume(c, t)
}

func (s *Server) workspaceTarget(c echo.Context) (herald.PauseTarget, error) {
	ws, err := s.workspace(c)
	if err != nil {
		return herald.PauseTarget{}, err
	}
	return herald.PauseTarget{WorkspaceID: ws.ID, Workspace: ws.Slug}, nil
}

func (s *Server) channelTarget(c echo.Context) (herald.PauseTarget, error) {
	ws, ch, err := s.channelPath(c)
	if err != nil {
		return herald.PauseTarget{}, err
	}
	return herald.PauseTarget{WorkspaceID: ws.ID, Workspace: ws.Slug, ChannelID: ch.ID, Channel: ch.Name}, nil
}

// pause answers 200 once nothing of t's scope can be claimed any more, on
// any process, with what was in flight then.
func (s *Server) pause(c echo.Context, t herald.PauseTarget) error {
	var in pauseInput
	if err := s.decodeJSON(c, &in); err != nil {
		return err
	}
	req, err := in.request(s.cfg.Now())
	if err != nil {
		return err
	}
	res, err := s.store.Pause(c.Request().Context(), t, req)
	if err != nil {
		return err
	}
	if res.InFlight == nil {
		res.InFlight = []herald.InFlight{}
	}
	return c.JSON(http.StatusOK, res)
}

// resume releases t's scope (409 when it is not paused) and wakes the
// scheduler for what is due.
func (s *Server) resume(c echo.Context, t herald.PauseTarget) error {
	res, err := s.store.Resume(c.Request().Context(), t)
	if err != nil {
		return err
	}
	if s.cfg.OnPlanApplied != nil {
		s.cfg.OnPlanApplied()
	}
	return c.JSON(http.StatusOK, res)
}

// workspacePause is, of the pauses bearing on a workspace (widest first),
// the widest that holds the whole workspace; nil when none does.
func workspacePause(ps []herald.Pause) *herald.Pause {
	for i, p := range ps {
		if p.Scope != herald.ScopeChannel {
			return &ps[i]
		}
	}
	return nil
}

// channelPause is the widest of the pauses that hold channel name.
func channelPause(ps []herald.Pause, name string) *herald.Pause {
	for i, p := range ps {
		if p.Scope != herald.ScopeChannel || p.Channel == name {
			return &ps[i]
		}
	}
	return nil
}

// channelPauses are the pauses of single channels.
func channelPauses(ps []herald.Pause) []herald.Pause {
	out := []herald.Pause{}
	for _, p := range ps {
		if p.Scope == herald.ScopeChannel {
			out = append(out, p)
		}
	}
	return out
}

// pausedView is what the plan and calendar answers add: the pause holding
// the whole workspace (null when none) and the channels paused on their own.
type pausedView struct {
	Paused         *herald.Pause  `json:"paused"`
	PausedChannels []herald.Pause `json:"paused_channels"`
}

func (s *Server) pausedView(c echo.Context, wsID int64) (pausedView, error) {
	ps, err := s.store.Pauses(c.Request().Context(), wsID)
	if err != nil {
		return pausedView{}, err
	}
	return pausedView{Paused: workspacePause(ps), PausedChannels: channelPauses(ps)}, nil
}
