package api

import (
	"errors"
	"net/http"

	"github.com/heraldhq/herald"
	"github.com/labstack/echo/v4"
)

// checkResult is the answer of POST …/channels/{name}/check.
type checkResult struct {
	OK     bool   `json:"ok"`
	Code   string `json:"code,omitempty"`   // the *herald.Error code (unauthorized, unavailable, invalid, validation)
	Reason string `json:"reason,omitempty"` // the platform's reason
}

// checkChannel asks the platform whether the channel works, posting
// nothing: 200 {"ok":true}, 200 {"ok":false,"code":…,"reason":…} with the
// platform's reason, or a 502 envelope when the check could not run at all.
func (s *Server) checkChannel(c echo.Context) error {
	ctx := c.Request().Context()
	ws, ch, err := s.channelPath(c)
	if err != nil {
		return err
	}
	if s.cfg.CheckChannel == nil {
		return errors.New("api: no CheckChannel configured")
	}
	err = s.cfg.CheckChannel(ctx, ch)
	var he *herald.Error
	switch {
	case err == nil:
		return c.JSON(http.StatusOK, checkResult{OK: true})
	case errors.As(err, &he):
		return c.JSON(http.StatusOK, checkResult{Code: he.Code, Reason: he.Message})
	}
	s.log.Warn().Err(err).Str("workspace", ws.Slug).Str("channel", ch.Name).Str("platform", ch.Platform).Msg("channel check could not run")
	return herald.Errorf(eBadGateway, "the check of channel %q could not reach %s", ch.Name, ch.Platform)
}

// listPlatforms answers {"items":[…]}: every platform with its rules.
func (s *Server) listPlatforms(c echo.Context) error {
	var items any = []any{}
	if s.cfg.Platforms != nil {
		if v := s.cfg.Platforms(); v != nil {
			items = v
		}
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items})
}
