package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/labstack/echo/v4"
)

// maxSignInBody bounds the body of the routes a stranger may call
// without a token (signing in): a few fields, never megabytes.
const maxSignInBody = 16 << 10

// userInput is the body of POST /api/v1/users.
type userInput struct {
	Email    string `json:"email"`
	Name     string `json:"name"`
	Password string `json:"password"`
	Admin    bool   `json:"admin"`
}

// createdUser is the answer of POST /api/v1/users: the user, and the
// password Herald generated when none was sent (shown this once).
type createdUser struct {
	*herald.User
	Password string `json:"password,omitempty"`
}

func (s *Server) createUser(c echo.Context) error {
	var in userInput
	if err := s.decodeJSON(c, &in); err != nil {
		return err
	}
	u := &herald.User{Email: in.Email, Name: in.Name, Admin: in.Admin}
	generated, err := s.store.CreateUser(c.Request().Context(), u, in.Password)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, createdUser{User: u, Password: generated})
}

// signIn is the body of POST /api/v1/sessions.
type signIn struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// session is the answer of POST /api/v1/sessions.
type session struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

func (s *Server) createSession(c echo.Context) error {
	r := c.Request()
	r.Body = http.MaxBytesReader(c.Response(), r.Body, maxSignInBody)
	var in signIn
	if err := s.decodeJSON(c, &in); err != nil {
		return err
	}
	if in.Email == "" || in.Password == "" {
		return herald.Errorf(herald.EINVALID, `send {"email": "…", "password": "…"}`)
	}
	tried, from := boundedEmail(in.Email), addr(r)
	key := "email:" + tried
	if err := s.loginAllowed(c, key, from); err != nil {
		return err
	}
	secret, sess, err := s.store.CreateSession(r.Context(), in.Email, in.Password, s.cfg.SessionTTL)
	if herald.ErrorCode(err) == herald.EUNAUTHORIZED {
		s.loginFailed(key, from)
		s.log.Warn().Str("addr", from).Msg("failed sign-in")
		// Nobody is signed in: the actor is the email as given.
		if aerr := s.store.Audit(r.Context(), 0, herald.AuditEntry{Actor: herald.AuditActor{Kind: herald.AuditUser, Name: tried},
			Action: herald.AuditLoginFailed, Target: "user " + tried, Details: map[string]any{"address": from}}); aerr != nil {
			return aerr
		}
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, session{Token: secret, ExpiresAt: sess.ExpiresAt})
}

// boundedEmail is the email a sign-in names as the throttle counts it and
// the audit log shows it (bounded: a stranger's megabyte is kept nowhere).
func boundedEmail(email string) string {
	k := herald.EmailKey(email)
	if len(k) > herald.MaxEmailLength {
		k = strings.ToValidUTF8(k[:herald.MaxEmailLength], "")
	}
	return k
}

// loginAllowed answers 429 with Retry-After while the email or the address
// has sent too many wrong passwords.
func (s *Server) loginAllowed(c echo.Context, key, from string) error {
	wait := max(s.loginByEmail.blocked(key), s.loginByAddr.blocked(from))
	if wait <= 0 {
		return nil
	}
	c.Response().Header().Set("Retry-After", retryAfter(wait))
	return herald.Errorf(herald.ERATELIMITED, "too many wrong passwords for this account or from this address; try again in %ss", retryAfter(wait))
}

func (s *Server) loginFailed(key, from string) {
	s.loginByEmail.fail(key)
	s.loginByAddr.fail(from)
}

func (s *Server) deleteSession(c echo.Context) error {
	cl := caller(c)
	if !cl.Session {
		return herald.Errorf(herald.EINVALID, "this request was made with an API token, not a sign-in session; to revoke a token use DELETE /api/v1/tokens/{id}")
	}
	if err := s.store.EndSession(c.Request().Context(), cl.TokenID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// passwordChange is the body of POST /api/v1/users/me/password.
type passwordChange struct {
	Current string `json:"current"`
	New     string `json:"new"`
}

func (s *Server) changePassword(c echo.Context) error {
	cl := caller(c)
	if cl.UserID == 0 {
		return herald.Errorf(herald.EINVALID, "this token is the instance admin's and has no password; sign in as a user to change theirs")
	}
	var in passwordChange
	if err := s.decodeJSON(c, &in); err != nil {
		return err
	}
	key, from := "user:"+strconv.FormatInt(cl.UserID, 10), addr(c.Request())
	if err := s.loginAllowed(c, key, from); err != nil {
		return err
	}
	keep := int64(0)
	if cl.Session {
		keep = cl.TokenID
	}
	err := s.store.ChangePassword(c.Request().Context(), cl.UserID, in.Current, in.New, keep) // a wrong one is audited
	if herald.ErrorCode(err) == herald.EFORBIDDEN {
		s.loginFailed(key, from)
	}
	if err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
