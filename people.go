package herald

import (
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// People: the users who sign in, their sessions, the workspaces they are
// members of, and the API tokens that act for them (see access.go for what
// each role may do).

// User is a person who signs in. The instance admin (Admin) may do
// everything everywhere; anyone else only what their role in a workspace
// grants there. A removed user (DisabledAt set: someone who left) signs in
// no more and holds nothing, but is kept so that what they did still names
// them.
type User struct {
	ID         int64      `json:"id"`
	Email      string     `json:"email"`
	Name       string     `json:"name"`
	Admin      bool       `json:"admin"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	DisabledAt *time.Time `json:"disabled_at,omitempty"`
}

// Bounds on people's details and passwords.
const (
	MaxEmailLength    = 254 // bytes, as SMTP allows
	MinPasswordLength = 8   // bytes
	// MaxPasswordLength bounds what is hashed: a memory-hard hash of a
	// stranger's megabyte costs the server, not them.
	MaxPasswordLength = 256 // bytes
)

// EmailKey is the form an email is compared in: trimmed, lower case. Two
// emails with one key are one user.
func EmailKey(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// Validate returns an EVALIDATION *Error listing every problem of the
// user's email and name, or nil. It trims both.
func (u *User) Validate() error {
	var ps []Problem
	u.Email, u.Name = strings.TrimSpace(u.Email), strings.TrimSpace(u.Name)
	if p := emailProblem(u.Email); p != nil {
		ps = append(ps, *p)
	}
	if u.Name == "" {
		ps = append(ps, Problem{Column: "name", Code: "required", Message: "name is required"})
	} else if n := utf8.RuneCountInString(u.Name); n > MaxNameLength {
		ps = append(ps, Problem{Column: "name", Code: "too_long", Message: fmt.Sprintf("name is %d characters; at most %d", n, MaxNameLength)})
	}
	return validation("invalid user", ps)
}

func emailProblem(email string) *Problem {
	switch {
	case email == "":
		return &Problem{Column: "email", Code: "required", Message: "email is required"}
	case len(email) > MaxEmailLength:
		return &Problem{Column: "email", Code: "too_long", Message: fmt.Sprintf("email is %d bytes; at most %d", len(email), MaxEmailLength)}
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || a.Name != "" {
		return &Problem{Column: "email", Code: "invalid_email", Message: fmt.Sprintf("%q is not an email address like name@example.com", email)}
	}
	return nil
}

// CheckPassword returns an EVALIDATION *Error when password is shorter
// than MinPasswordLength or longer than MaxPasswordLength bytes, naming
// column (the field it came in).
func CheckPassword(column, password string) error {
	n := len(password)
	if n >= MinPasswordLength && n <= MaxPasswordLength {
		return nil
	}
	return validation("invalid password", []Problem{{Column: column, Code: "invalid_password",
		Message: fmt.Sprintf("a password is %d to %d bytes; this one is %d", MinPasswordLength, MaxPasswordLength, n)}})
}

// Session is a sign-in: a bearer secret that acts as its user until
// ExpiresAt (or until it is ended).
type Session struct {
	ID        int64     `json:"-"`
	UserID    int64     `json:"-"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// DefaultSessionTTL is how long a sign-in lasts unless configured; a
// configured one is MinSessionTTL to MaxSessionTTL.
const (
	DefaultSessionTTL = 12 * time.Hour
	MinSessionTTL     = 5 * time.Minute
	MaxSessionTTL     = 30 * 24 * time.Hour
)

// Member is a user's role in one workspace.
type Member struct {
	UserID    int64     `json:"-"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Role      Role      `json:"role"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Membership is one workspace a user is a member of, and their role there.
type Membership struct {
	Workspace string `json:"workspace"` // its slug
	Role      Role   `json:"role"`
}

// Person is a user with their memberships, as the instance admin lists
// them (GET /api/v1/users): never a password hash.
type Person struct {
	User
	Memberships []Membership `json:"memberships"`
}

// Identity is who a request's credential acts for (GET /api/v1/users/me):
// its kind, "session" (with Session) or "token" (with Token: its name, id,
// workspace and role narrowing); the user behind it (nil for the instance
// admin's own tokens, which are nobody's); whether it may do what only the
// instance admin may (Caller.InstanceAdmin); and the user's memberships —
// for a token narrowed to a workspace, that one alone.
type Identity struct {
	Kind        string       `json:"kind"`
	Admin       bool         `json:"admin"`
	User        *User        `json:"user"`
	Session     *Session     `json:"session,omitempty"`
	Token       *Token       `json:"token,omitempty"`
	Memberships []Membership `json:"memberships"`
}

// The kinds of Identity.
const (
	IdentitySession = "session"
	IdentityToken   = "token"
)

// UserRemoval is what removing a user (someone who left) undid, all in one
// transaction: their memberships, their API tokens (revoked), their
// sign-in sessions (ended). User is the user as removed, DisabledAt set.
type UserRemoval struct {
	User        *User `json:"user"`
	Memberships int   `json:"memberships_removed"`
	Tokens      int   `json:"tokens_revoked"`
	Sessions    int   `json:"sessions_ended"`
}

// CheckMemberChange tells whether a member holding by may change a member
// of the workspace from role from ("": not a member yet) to role to ("":
// remove them): an owner may do anything; a manager anything but touch an
// owner or make one (Role.Covers). It returns nil or an EFORBIDDEN *Error.
// Keeping the last owner is storage's to check: it needs the count.
func CheckMemberChange(by, from, to Role) error {
	if from == RoleOwner && by != RoleOwner {
		return Errorf(EFORBIDDEN, "only an owner may change or remove an owner; your role here is %s", by)
	}
	if to != "" && !by.Covers(to) {
		return Errorf(EFORBIDDEN, "your role %s may not make someone %s; ask an owner", by, to)
	}
	return nil
}

// TokenRequest is what POST /api/v1/tokens asks for: a token acting as its
// creator, narrowed to one workspace (Workspace, a slug; "" for every
// workspace of the creator) and a role (""; the creator's in each), until
// ExpiresAt (nil: until revoked).
type TokenRequest struct {
	Name      string     `json:"name"`
	Workspace string     `json:"workspace,omitempty"`
	Role      Role       `json:"role,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// MaxTokenName bounds a token's name, in characters.
const MaxTokenName = 200

// Caller returns who a request authenticated with t acts for: the instance
// admin for tokens nobody created (the bootstrap token, herald token
// create) and for tokens and sessions of an admin user; the token's
// narrowing; an Actor of kind user for a session, token otherwise.
func (t *Token) Caller() Caller {
	c := Caller{UserID: t.UserID, Admin: t.UserID == 0 || t.UserAdmin, WorkspaceID: t.WorkspaceID,
		TokenID: t.ID, Session: t.Session}
	if t.Role != RoleAdmin {
		c.Role = Role(t.Role)
	}
	if t.Session {
		c.Actor = Actor{Kind: "user", ID: strconv.FormatInt(t.UserID, 10), Name: t.UserName, UserID: t.UserID}
	} else {
		c.Actor = Actor{Kind: "token", ID: strconv.FormatInt(t.ID, 10), Name: t.Name, UserID: t.UserID}
	}
	return c
}

// InstanceAdmin reports whether c may do what only the instance admin may
// (PermAdmin): an admin not narrowed to a workspace or a role.
func (c Caller) InstanceAdmin() bool { return c.Admin && c.WorkspaceID == 0 && c.Role == "" }

// WorkspaceNotFound is the error for a workspace that does not exist, and
// the very same for one the caller may not see (no member learns what
// another tenant holds).
func WorkspaceNotFound(slug string) *Error {
	return Errorf(ENOTFOUND, "workspace %q not found", slug)
}
