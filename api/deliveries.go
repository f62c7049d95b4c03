package api

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/heraldhq/herald"
	"github.com/labstack/echo/v4"
)

// deliveryView is a delivery with its attempts, by number, and its status
// changes, oldest first.
type deliveryView struct {
	*herald.Delivery
	Attempts []herald.Attempt       `json:"attempts"`
	Events   []herald.DeliveryEvent `json:"events"`
}

// deliveryID returns the {id} of the path; ENOTFOUND when it is not a number
// (no delivery can have that id).
func deliveryID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, herald.Errorf(herald.ENOTFOUND, "delivery %q not found", c.Param("id"))
	}
	return id, nil
}

// deliveryPath looks up the path's workspace and reads its delivery {id}.
func (s *Server) deliveryPath(c echo.Context) (*herald.Workspace, int64, error) {
	ws, err := s.workspace(c)
	if err != nil {
		return nil, 0, err
	}
	id, err := deliveryID(c)
	return ws, id, err
}

func (s *Server) getDelivery(c echo.Context) error {
	ctx := c.Request().Context()
	ws, id, err := s.deliveryPath(c)
	if err != nil {
		return err
	}
	d, err := s.store.Delivery(ctx, ws.ID, id)
	if err != nil {
		return err
	}
	attempts, err := s.store.Attempts(ctx, ws.ID, id)
	if err != nil {
		return err
	}
	if attempts == nil {
		attempts = []herald.Attempt{}
	}
	events, err := s.store.DeliveryEvents(ctx, ws.ID, id)
	if err != nil {
		return err
	}
	if events == nil {
		events = []herald.DeliveryEvent{}
	}
	return c.JSON(http.StatusOK, deliveryView{Delivery: d, Attempts: attempts, Events: events})
}

func (s *Server) retryDelivery(c echo.Context) error {
	ws, id, err := s.deliveryPath(c)
	if err != nil {
		return err
	}
	d, err := s.store.RetryDelivery(c.Request().Context(), ws.ID, id)
	if err != nil {
		return err
	}
	if s.cfg.OnPlanApplied != nil {
		s.cfg.OnPlanApplied()
	}
	return c.JSON(http.StatusOK, d)
}

func (s *Server) cancelDelivery(c echo.Context) error {
	ws, id, err := s.deliveryPath(c)
	if err != nil {
		return err
	}
	d, err := s.store.CancelDelivery(c.Request().Context(), ws.ID, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

// resolveInput is the body of POST …/deliveries/{id}/resolve: what a person
// found on the platform for an unknown delivery.
type resolveInput struct {
	RemoteID string `json:"remote_id"`
	URL      string `json:"url"`
}

// webURL reports whether s is an absolute http(s) URL with a host and no
// user info: the only links a report shows (never javascript: or data:).
func webURL(s string) bool {
	if strings.ContainsAny(s, " \t\r\n") {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil
}

// resolveDelivery marks an unknown delivery published, as a person found it
// on the platform (remote_id required, url optional). Any other status is a
// 409: retry or cancel are the actions for those.
func (s *Server) resolveDelivery(c echo.Context) error {
	ctx := c.Request().Context()
	ws, id, err := s.deliveryPath(c)
	if err != nil {
		return err
	}
	var in resolveInput
	if err := s.decodeJSON(c, &in); err != nil {
		return err
	}
	if strings.TrimSpace(in.RemoteID) == "" {
		return &herald.Error{Code: herald.EVALIDATION, Message: "invalid resolution", Details: []herald.Problem{
			{Column: "remote_id", Code: "required", Message: "remote_id is required: the post's id on the platform"}}}
	}
	if u := strings.TrimSpace(in.URL); u != "" && !webURL(u) {
		return &herald.Error{Code: herald.EVALIDATION, Message: "invalid resolution", Details: []herald.Problem{
			{Column: "url", Code: "invalid_url", Message: "url must be an absolute http:// or https:// URL of the post, without user name or password"}}}
	}
	d, err := s.store.Delivery(ctx, ws.ID, id) // 404 for another workspace's delivery
	if err != nil {
		return err
	}
	if d.Status != herald.StatusUnknown {
		return herald.Errorf(herald.ECONFLICT, "delivery %d is %s; only an unknown delivery can be resolved as published", id, d.Status)
	}
	res := herald.Result{Outcome: herald.OutcomePublished, RemoteID: strings.TrimSpace(in.RemoteID), URL: strings.TrimSpace(in.URL),
		Request: "resolved by a person through the API"}
	if err := s.store.ResolveUnknown(ctx, id, res, s.cfg.Now()); err != nil {
		return err
	}
	d, err = s.store.Delivery(ctx, ws.ID, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}
