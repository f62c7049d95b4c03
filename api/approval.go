package api

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/labstack/echo/v4"
)

// Approval routes: members approve or reject a plan's posts at a step
// (POST …/plans/{key}/approve, …/reject) and make review links for clients
// (…/review-links); review.go serves the links themselves.

// decisionInput is the body of …/approve and …/reject.
type decisionInput struct {
	Posts []string `json:"posts"`
	Note  string   `json:"note"`
}

// decide answers POST …/plans/{key}/approve or …/reject (decision): the
// caller decides at a step their role in the workspace may (the bootstrap
// admin's is owner).
func (s *Server) decide(decision string) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		ws, key, err := s.planPath(c)
		if err != nil {
			return err
		}
		var in decisionInput
		if err := s.decodeOptionalJSON(c, &in); err != nil {
			return err
		}
		role, admin := callerRole(ctx, ws.ID)
		res, err := s.store.DecidePosts(ctx, ws.ID, key, herald.DecisionRequest{Decision: decision, Posts: in.Posts, Note: in.Note,
			Role: role, Admin: admin})
		if err != nil {
			return err
		}
		return s.decided(c, res)
	}
}

// callerRole is the caller's role in workspace wsID, as the permission
// check recorded it, and whether the caller is the instance admin (not
// narrowed to a role), who may decide any step. With no role recorded the
// caller is the bootstrap admin token: an owner, and the instance admin.
func callerRole(ctx context.Context, wsID int64) (herald.Role, bool) {
	c, hasCaller := herald.CallerOf(ctx)
	role, ok := herald.RoleIn(ctx, wsID)
	if !ok {
		return herald.RoleOwner, !hasCaller || c.Admin
	}
	return role, hasCaller && c.Admin && c.Role == ""
}

// decided answers a decision, waking the scheduler when it released
// deliveries.
func (s *Server) decided(c echo.Context, res *herald.DecisionResult) error {
	if res.Scheduled > 0 && s.cfg.OnPlanApplied != nil {
		s.cfg.OnPlanApplied()
	}
	if res.Posts == nil {
		res.Posts = []herald.DecidedPost{}
	}
	return c.JSON(http.StatusOK, res)
}

// decodeOptionalJSON is decodeJSON, but an empty body is an empty object.
func (s *Server) decodeOptionalJSON(c echo.Context, v any) error {
	r := c.Request()
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	br := bufio.NewReader(r.Body)
	if _, err := br.Peek(1); errors.Is(err, io.EOF) {
		return nil
	}
	r.Body = struct {
		io.Reader
		io.Closer
	}{br, r.Body}
	return s.decodeJSON(c, v)
}

// reviewLinkInput is the body of POST …/plans/{key}/review-links.
type reviewLinkInput struct {
	Step      string  `json:"step"`
	Name      string  `json:"name"`
	ExpiresIn linkTTL `json:"expires_in"`
}

// linkTTL is a review link's lifetime as JSON: "14d", "36h", "90m", or a
// number of seconds.
type linkTTL time.Duration

func (d *linkTTL) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n float64
		if err2 := json.Unmarshal(b, &n); err2 != nil {
			return fmt.Errorf("expires_in must be a duration like \"14d\" or \"36h\", or a number of seconds")
		}
		*d = linkTTL(time.Duration(n * float64(time.Second)))
		return nil
	}
	if days, ok := strings.CutSuffix(strings.TrimSpace(s), "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 3650 {
			return fmt.Errorf("expires_in %q must be a whole number of days, like \"14d\"", s)
		}
		*d = linkTTL(time.Duration(n) * 24 * time.Hour)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("expires_in %q must look like \"14d\", \"36h\" or \"90m\"", s)
	}
	*d = linkTTL(v)
	return nil
}

// createdLink is the answer of POST …/review-links: the link, its token
// (shown this once) and its URL.
type createdLink struct {
	*herald.ReviewLink
	Token string `json:"token"`
	URL   string `json:"url"`
}

func (s *Server) createReviewLink(c echo.Context) error {
	ws, key, err := s.planPath(c)
	if err != nil {
		return err
	}
	var in reviewLinkInput
	if err := s.decodeJSON(c, &in); err != nil {
		return err
	}
	token, link, err := s.store.CreateReviewLink(c.Request().Context(), ws.ID, key,
		herald.ReviewLinkInput{Step: in.Step, Name: in.Name, ExpiresIn: time.Duration(in.ExpiresIn)})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, createdLink{ReviewLink: link, Token: token, URL: s.reviewURL(c, token)})
}

// reviewURL is where the review link with token is opened: under
// Config.PublicURL when it is set, so that neither a proxy in between nor
// a forged Host header decides where a link sent to a client points; else
// on the request's own scheme and host.
func (s *Server) reviewURL(c echo.Context, token string) string {
	base := s.cfg.PublicURL
	if base == "" {
		base = c.Scheme() + "://" + c.Request().Host
	}
	return base + "/api/v1/review/" + token
}

func (s *Server) listReviewLinks(c echo.Context) error {
	ws, key, err := s.planPath(c)
	if err != nil {
		return err
	}
	links, err := s.store.ListReviewLinks(c.Request().Context(), ws.ID, key)
	if err != nil {
		return err
	}
	if links == nil {
		links = []*herald.ReviewLink{}
	}
	return c.JSON(http.StatusOK, page{Items: links})
}

func (s *Server) revokeReviewLink(c echo.Context) error {
	ws, key, err := s.planPath(c)
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return herald.Errorf(herald.ENOTFOUND, "review link %q not found", c.Param("id"))
	}
	link, err := s.store.RevokeReviewLink(c.Request().Context(), ws.ID, key, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, link)
}
