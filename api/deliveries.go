package api

import (
	"net/http"
	"strconv"

	"github.com/heraldhq/herald"
	"github.com/labstack/echo/v4"
)

// deliveryView is a delivery with its attempts, by number.
type deliveryView struct {
	*herald.Delivery
	Attempts []herald.Attempt `json:"attempts"`
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

func (s *Server) getDelivery(c echo.Context) error {
	ctx := c.Request().Context()
	ws, err := s.workspace(c)
	if err != nil {
		return err
	}
	id, err := deliveryID(c)
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
	return c.JSON(http.StatusOK, deliveryView{Delivery: d, Attempts: attempts})
}

func (s *Server) retryDelivery(c echo.Context) error {
	ws, err := s.workspace(c)
	if err != nil {
		return err
	}
	id, err := deliveryID(c)
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
	ws, err := s.workspace(c)
	if err != nil {
		return err
	}
	id, err := deliveryID(c)
	if err != nil {
		return err
	}
	d, err := s.store.CancelDelivery(c.Request().Context(), ws.ID, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}
