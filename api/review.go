package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/heraldhq/herald"
	"github.com/labstack/echo/v4"
)

// Client review by link, with no account: GET /api/v1/review/{token} shows
// the plan's posts as each channel will publish them, POST …/approve and
// …/reject decide the link's step. These routes take no bearer token (listed in
// publicRoutes); the token in the path is the credential, and wrong ones are
// throttled per address like wrong bearer tokens. An unknown, expired or
// revoked link is 404.

// maxReviewToken bounds a review token read from the path.
const maxReviewToken = 128

// reviewLink resolves the path's {token}: 429 while the address has sent
// too many wrong ones, 404 (counted as a wrong one) for an unknown, expired
// or revoked link.
func (s *Server) reviewLink(c echo.Context) (*herald.ReviewLink, error) {
	r := c.Request()
	from := addr(r)
	if wait := s.failures.blocked(from); wait > 0 {
		c.Response().Header().Set("Retry-After", retryAfter(wait))
		return nil, herald.Errorf(herald.ERATELIMITED, "too many wrong review links from this address; try again in %s", retryAfter(wait)+"s")
	}
	token := c.Param("token")
	var link *herald.ReviewLink
	var err error = herald.Errorf(herald.ENOTFOUND, "this review link does not exist, has expired or was revoked; ask for a new one")
	if len(token) <= maxReviewToken {
		link, err = s.store.ReviewLinkByToken(r.Context(), token)
	}
	if herald.ErrorCode(err) == herald.ENOTFOUND {
		s.failures.fail(from)
		s.log.Warn().Str("addr", from).Msg("wrong review link")
	}
	return link, err
}

func (s *Server) getReview(c echo.Context) error {
	link, err := s.reviewLink(c)
	if err != nil {
		return err
	}
	n, err := limit(c)
	if err != nil {
		return err
	}
	page, err := s.store.ReviewPage(c.Request().Context(), link, c.QueryParam("cursor"), n)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}

// reviewDecisionInput is the body of POST /api/v1/review/{token}/approve and
// …/reject.
type reviewDecisionInput struct {
	Reviewer string   `json:"reviewer"`
	Note     string   `json:"note"`
	Posts    []string `json:"posts"`
}

// reviewDecide decides, for the link's step, as the link named by the
// reviewer as given.
func (s *Server) reviewDecide(decision string) echo.HandlerFunc {
	return func(c echo.Context) error {
		link, err := s.reviewLink(c)
		if err != nil {
			return err
		}
		var in reviewDecisionInput
		if err := s.decodeJSON(c, &in); err != nil {
			return err
		}
		if err := herald.ValidReviewer(in.Reviewer); err != nil {
			return err
		}
		actor := herald.Actor{Kind: "review_link", ID: strconv.FormatInt(link.ID, 10), Name: strings.TrimSpace(in.Reviewer)}
		ctx := herald.WithActor(c.Request().Context(), actor)
		res, err := s.store.DecidePosts(ctx, link.WorkspaceID, link.Plan,
			herald.DecisionRequest{Decision: decision, Posts: in.Posts, Note: in.Note, LinkID: link.ID})
		if err != nil {
			return err
		}
		return s.decided(c, res)
	}
}
