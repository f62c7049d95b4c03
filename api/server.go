// Package api is Herald's HTTP interface: the JSON API under /api/v1 (bearer
// token auth on every route but the review links', see review.go), /healthz
// and /readyz. Handlers decode the
// request, validate it, call the Store and answer; every error is a
// *herald.Error mapped to an HTTP status in one table (see errors.go).
package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/labstack/echo/v4"
	"github.com/rs/zerolog"
)

// DefaultMaxBodyBytes bounds request bodies when Config.MaxBodyBytes is 0.
const DefaultMaxBodyBytes = 20 << 20

// Store is the storage the API needs; *storage.DB implements it. Methods
// return *herald.Error values (ENOTFOUND, ECONFLICT, EUNAUTHORIZED, …) for
// conditions a client can act on, and other errors for internal failures.
type Store interface {
	Authenticate(ctx context.Context, secret string) (*herald.Token, error)
	WorkspaceAccess(ctx context.Context, slug string, userID int64) (*herald.Workspace, herald.Role, error)

	CreateUser(ctx context.Context, u *herald.User, password string) (generated string, err error)
	CreateSession(ctx context.Context, email, password string, ttl time.Duration) (string, *herald.Session, error)
	EndSession(ctx context.Context, id int64) error
	ChangePassword(ctx context.Context, userID int64, current, next string, keepSession int64) error
	Identity(ctx context.Context, by herald.Caller) (*herald.Identity, error)
	ListUsers(ctx context.Context, after string, limit int) ([]*herald.Person, error)
	RemoveUser(ctx context.Context, email string) (*herald.UserRemoval, error)

	CreateTokenFor(ctx context.Context, by herald.Caller, req herald.TokenRequest) (string, *herald.Token, error)
	ListTokens(ctx context.Context, by herald.Caller, after int64, limit int) ([]*herald.Token, error)
	RevokeToken(ctx context.Context, by herald.Caller, id int64) error

	ListMembers(ctx context.Context, wsID int64, after string, limit int) ([]*herald.Member, error)
	PutMember(ctx context.Context, wsID int64, email string, role, by herald.Role) (*herald.Member, bool, error)
	DeleteMember(ctx context.Context, wsID int64, email string, by herald.Role) error

	CreateWorkspace(ctx context.Context, ws *herald.Workspace) error
	Workspace(ctx context.Context, slug string) (*herald.Workspace, error)
	ListWorkspaces(ctx context.Context, after string, limit int) ([]*herald.Workspace, error)
	ListWorkspacesFor(ctx context.Context, by herald.Caller, after string, limit int) ([]*herald.Workspace, error)
	UpdateWorkspace(ctx context.Context, ws *herald.Workspace) error
	DeleteWorkspace(ctx context.Context, wsID int64) error

	CreateChannel(ctx context.Context, ch *herald.Channel) error
	Channel(ctx context.Context, wsID int64, name string) (*herald.Channel, error)
	ListChannels(ctx context.Context, wsID int64) ([]*herald.Channel, error)
	UpdateChannel(ctx context.Context, ch *herald.Channel) error
	DeleteChannel(ctx context.Context, wsID int64, name string) error

	ApplyPlan(ctx context.Context, wsID int64, plan herald.Plan, posts []herald.Post, dryRun bool) (*herald.PlanResult, error)
	Plan(ctx context.Context, wsID int64, key string) (*herald.Plan, error)
	ListPlans(ctx context.Context, wsID int64, after string, limit int) ([]*herald.PlanSummary, error)
	DeletePlan(ctx context.Context, wsID int64, key string) (cancelled int, err error)
	PlanReport(ctx context.Context, wsID int64, key string) ([]herald.ReportRow, error)
	Calendar(ctx context.Context, wsID int64, f herald.CalendarFilter) ([]herald.CalendarEntry, error)

	Delivery(ctx context.Context, wsID, id int64) (*herald.Delivery, error)
	Attempts(ctx context.Context, wsID, deliveryID int64) ([]herald.Attempt, error)
	RetryDelivery(ctx context.Context, wsID, id int64) (*herald.Delivery, error)
	CancelDelivery(ctx context.Context, wsID, id int64) (*herald.Delivery, error)
	ResolveUnknown(ctx context.Context, id int64, res herald.Result, at time.Time) error
	DeliveryEvents(ctx context.Context, wsID, deliveryID int64) ([]herald.DeliveryEvent, error)

	DecidePosts(ctx context.Context, wsID int64, planKey string, req herald.DecisionRequest) (*herald.DecisionResult, error)
	CreateReviewLink(ctx context.Context, wsID int64, planKey string, in herald.ReviewLinkInput) (string, *herald.ReviewLink, error)
	ListReviewLinks(ctx context.Context, wsID int64, planKey string) ([]*herald.ReviewLink, error)
	RevokeReviewLink(ctx context.Context, wsID int64, planKey string, id int64) (*herald.ReviewLink, error)
	ReviewLinkByToken(ctx context.Context, secret string) (*herald.ReviewLink, error)
	ReviewPage(ctx context.Context, link *herald.ReviewLink, cursor string, limit int) (*herald.ReviewPage, error)

	// AuditLog returns the entries f selects, newest first, and the Before
	// of the next page (0 on the last).
	AuditLog(ctx context.Context, f herald.AuditFilter) ([]herald.AuditEntry, int64, error)
	// Audit records a change that writes nothing else (a failed sign-in).
	Audit(ctx context.Context, wsID int64, e herald.AuditEntry) error

	Pause(ctx context.Context, t herald.PauseTarget, req herald.PauseRequest) (*herald.PauseResult, error)
	Resume(ctx context.Context, t herald.PauseTarget) (*herald.ResumeResult, error)
	Pauses(ctx context.Context, wsID int64) ([]herald.Pause, error)
}

// Config holds what the API needs besides the store. Zero values get defaults
// (see New).
type Config struct {
	Logger zerolog.Logger
	// MaxBodyBytes bounds every request body (413 past it); default 20 MiB.
	MaxBodyBytes int64
	// ValidateChannel checks a channel against its platform (unknown platform,
	// missing config or credentials, endpoints the outbound guard refuses)
	// and returns an EVALIDATION *herald.Error. Nil accepts every platform.
	ValidateChannel func(*herald.Channel) error
	// Endpoints names a platform's settings that decide where a channel's
	// credentials are sent ("config.base_url"; publishers.Endpoints). A
	// PATCH that changes one of them, or any URL-valued config key, must
	// send the credentials again. Nil declares none (URL-valued keys still
	// count).
	Endpoints func(platform string) []string
	// OnPlanApplied is called after a real (not dry-run) plan apply, a
	// delivery retry, new channel credentials (which resume deliveries
	// held for them) and a resume, to wake the scheduler. May be nil.
	OnPlanApplied func()
	// Now is the clock; default herald.Now.
	Now func() time.Time
	// BuildPlan parses and validates an uploaded plan (contentplans.Build):
	// with the store it makes the plan-apply use case (herald.PlanApplier)
	// PUT …/plans/{key} calls. Required for that route; without it the route
	// answers 500.
	BuildPlan func(herald.PlanUpload) (herald.Plan, []herald.Post, []herald.Problem, error)
	// SniffPlan tells a plan file's format from its bytes (contentplans.Sniff)
	// when the upload's Content-Type is generic or missing; BuildPlan is then
	// given Format "" and tells it too. May be nil.
	SniffPlan func(body []byte) string
	// Ready reports whether the service can serve (database reachable,
	// migrations current) for /readyz. Nil means always ready.
	Ready func(ctx context.Context) error
	// CheckChannel runs the platform's cheapest authenticated read for a
	// channel (publishers.Check): nil when it works, an *herald.Error with
	// the platform's reason when it does not, any other error when the
	// check could not run. Without it …/check answers 500.
	CheckChannel func(ctx context.Context, ch *herald.Channel) error
	// Platforms lists the platforms and their rules for GET /api/v1/platforms
	// (JSON-encoded as the items). Nil lists none.
	Platforms func() any
	// AuthFailureBurst wrong tokens may one address send at once, then one
	// every AuthFailureEvery; past that it is answered 429 with Retry-After,
	// whatever it sends. Defaults 20 and 3s.
	AuthFailureBurst int
	AuthFailureEvery time.Duration
	// SessionTTL is how long a sign-in lasts (POST /api/v1/sessions);
	// default herald.DefaultSessionTTL, 12 hours.
	SessionTTL time.Duration
	// LoginFailureBurst wrong passwords may be sent for one email, and from
	// one address, at once, then one every LoginFailureEvery; past that a
	// sign-in is answered 429 with Retry-After. Defaults 10 and 30s.
	LoginFailureBurst int
	LoginFailureEvery time.Duration
	// PublicURL is where clients reach the API: an absolute http(s) URL
	// without query ("https://herald.example.com", or with a path prefix
	// a proxy serves it under); a trailing slash is ignored. Review links'
	// URLs are built on it. Empty: on the request's scheme and Host
	// header, which a proxy may change and any client may forge — right
	// only for a server reached directly, as on the loopback default.
	PublicURL string
}

// Server is the HTTP API. Create it with New; serve Handler().
type Server struct {
	store    Store
	cfg      Config
	log      zerolog.Logger
	echo     *echo.Echo
	failures *failureThrottle
	// loginByEmail and loginByAddr throttle wrong passwords (sign-in and
	// password changes) per email and per client address.
	loginByEmail, loginByAddr *failureThrottle
	// registered holds every route, "METHOD path", for authorize.
	registered map[string]bool
	plans      *herald.PlanApplier // the plan-apply use case, on store and Config.BuildPlan
}

// New returns a Server on store with cfg, defaults filled in. It does not
// listen; serve Handler() with an http.Server.
func New(store Store, cfg Config) *Server {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.Now == nil {
		cfg.Now = herald.Now
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = herald.DefaultSessionTTL
	}
	if cfg.LoginFailureBurst <= 0 {
		cfg.LoginFailureBurst = defaultLoginFailureBurst
	}
	if cfg.LoginFailureEvery <= 0 {
		cfg.LoginFailureEvery = defaultLoginFailureEvery
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	s := &Server{store: store, cfg: cfg, log: cfg.Logger,
		failures:     newFailureThrottle(cfg.AuthFailureBurst, cfg.AuthFailureEvery, cfg.Now),
		loginByEmail: newFailureThrottle(cfg.LoginFailureBurst, cfg.LoginFailureEvery, cfg.Now),
		loginByAddr:  newFailureThrottle(cfg.LoginFailureBurst, cfg.LoginFailureEvery, cfg.Now),
		registered:   map[string]bool{},
		plans:        &herald.PlanApplier{Store: store, Build: cfg.BuildPlan, Sniff: cfg.SniffPlan, Now: cfg.Now}}
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = s.handleError
	// Pre-middleware runs before routing, so authentication answers 401 even
	// for paths and methods the router does not know (no 404/405 leaks).
	e.Pre(s.logRequests, s.recoverPanics, s.authenticate, s.limitBody)
	// Middleware added with Use runs after routing: the permission check
	// knows the route.
	e.Use(s.authorize)
	s.routes(e)
	for _, r := range e.Routes() {
		s.registered[r.Method+" "+r.Path] = true
	}
	s.echo = e
	return s
}

// Handler returns the http.Handler serving every route.
func (s *Server) Handler() http.Handler { return s.echo }

func (s *Server) routes(e *echo.Echo) {
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)

	v1 := e.Group("/api/v1")
	v1.GET("/workspaces", s.listWorkspaces)
	v1.POST("/workspaces", s.createWorkspace)
	v1.GET("/workspaces/:ws", s.getWorkspace)
	v1.PATCH("/workspaces/:ws", s.patchWorkspace)
	v1.DELETE("/workspaces/:ws", s.deleteWorkspace)

	v1.GET("/workspaces/:ws/channels", s.listChannels)
	v1.POST("/workspaces/:ws/channels", s.createChannel)
	v1.GET("/workspaces/:ws/channels/:name", s.getChannel)
	v1.PATCH("/workspaces/:ws/channels/:name", s.patchChannel)
	v1.DELETE("/workspaces/:ws/channels/:name", s.deleteChannel)
	v1.POST("/workspaces/:ws/channels/:name/check", s.checkChannel)

	v1.GET("/platforms", s.listPlatforms)

	v1.POST("/users", s.createUser)
	v1.GET("/users", s.listUsers)
	v1.GET("/users/me", s.me)
	v1.DELETE("/users/:email", s.removeUser)
	v1.POST("/users/me/password", s.changePassword)
	v1.POST("/sessions", s.createSession)
	v1.DELETE("/sessions/current", s.deleteSession)

	v1.GET("/tokens", s.listTokens)
	v1.POST("/tokens", s.createToken)
	v1.DELETE("/tokens/:id", s.deleteToken)

	v1.GET("/workspaces/:ws/members", s.listMembers)
	v1.PUT("/workspaces/:ws/members/:email", s.putMember)
	v1.DELETE("/workspaces/:ws/members/:email", s.deleteMember)

	v1.GET("/workspaces/:ws/plans", s.listPlans)
	v1.PUT("/workspaces/:ws/plans/:key", s.putPlan)
	v1.GET("/workspaces/:ws/plans/:key", s.getPlan)
	v1.DELETE("/workspaces/:ws/plans/:key", s.deletePlan)
	v1.GET("/workspaces/:ws/plans/:key/report", s.planReport)
	v1.POST("/workspaces/:ws/plans/:key/approve", s.decide(herald.DecisionApproved))
	v1.POST("/workspaces/:ws/plans/:key/reject", s.decide(herald.DecisionRejected))
	v1.POST("/workspaces/:ws/plans/:key/review-links", s.createReviewLink)
	v1.GET("/workspaces/:ws/plans/:key/review-links", s.listReviewLinks)
	v1.DELETE("/workspaces/:ws/plans/:key/review-links/:id", s.revokeReviewLink)

	// Public: a review link's token is its credential (see review.go).
	v1.GET("/review/:token", s.getReview)
	v1.POST("/review/:token/approve", s.reviewDecide(herald.DecisionApproved))
	v1.POST("/review/:token/reject", s.reviewDecide(herald.DecisionRejected))

	v1.GET("/workspaces/:ws/posts", s.calendar)

	v1.GET("/workspaces/:ws/deliveries/:id", s.getDelivery)
	v1.POST("/workspaces/:ws/deliveries/:id/retry", s.retryDelivery)
	v1.POST("/workspaces/:ws/deliveries/:id/cancel", s.cancelDelivery)
	v1.POST("/workspaces/:ws/deliveries/:id/resolve", s.resolveDelivery)

	v1.GET("/workspaces/:ws/audit", s.workspaceAudit)
	v1.GET("/audit", s.instanceAudit)
	v1.POST("/workspaces/:ws/pause", s.pauseWorkspace)
	v1.POST("/workspaces/:ws/resume", s.resumeWorkspace)
	v1.POST("/workspaces/:ws/channels/:name/pause", s.pauseChannel)
	v1.POST("/workspaces/:ws/channels/:name/resume", s.resumeChannel)
	v1.POST("/pause", s.pauseInstance)
	v1.POST("/resume", s.resumeInstance)
}

func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(c echo.Context) error {
	if s.cfg.Ready != nil {
		if err := s.cfg.Ready(c.Request().Context()); err != nil {
			s.log.Warn().Err(err).Msg("not ready")
			msg := "not ready"
			if herald.ErrorCode(err) != herald.EINTERNAL {
				msg = "not ready: " + herald.ErrorMessage(err)
			}
			return herald.Errorf(herald.EUNAVAILABLE, "%s", msg)
		}
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// workspace is the {ws} of the path, as the permission check loaded it
// (else read now): ENOTFOUND when it does not exist.
func (s *Server) workspace(c echo.Context) (*herald.Workspace, error) {
	if ws, ok := c.Get(workspaceKey).(*herald.Workspace); ok && ws.Slug == c.Param("ws") {
		return ws, nil
	}
	return s.store.Workspace(c.Request().Context(), c.Param("ws"))
}

// page is the answer of every list: items and the cursor of the next page
// ("" on the last page).
type page struct {
	Items      any    `json:"items"`
	NextCursor string `json:"next_cursor"`
}
