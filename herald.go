// Package herald holds Herald's domain: workspaces, channels, plans, posts,
// deliveries and attempts, their statuses and validation, and the error codes.
// It imports nothing of the project; storage, api, scheduler, publishers and
// content-plans depend on it, and cmd/herald joins them.
package herald

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

var slugRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// ValidName reports whether s can be a workspace slug or a channel name:
// 1–63 characters of a-z, 0-9, '-' and '_', starting with a letter or digit.
func ValidName(s string) bool { return slugRe.MatchString(s) }

// DefaultMaxLateness is how late a scheduled delivery may still go out when
// the workspace does not say otherwise; past it the delivery is missed.
const DefaultMaxLateness = 2 * time.Hour

// Workspace is one client or brand; everything else belongs to exactly one.
type Workspace struct {
	ID               int64  `json:"-"`
	Slug             string `json:"slug"`
	Name             string `json:"name"`
	Timezone         string `json:"timezone"`
	ApprovalRequired bool   `json:"approval_required"`
	// ApprovalSteps are the workspace's approval steps, in order (none:
	// approval is off, unless ApprovalRequired asks for the default step;
	// see Steps). AllowSelfApproval lets an uploader approve their own posts.
	ApprovalSteps     []ApprovalStep `json:"approval_steps"`
	AllowSelfApproval bool           `json:"allow_self_approval"`
	MaxLateness       Duration       `json:"max_lateness"`
	CreatedAt         time.Time      `json:"created_at"`
	UpdatedAt         time.Time      `json:"updated_at"`
}

// Bounds on what a client may store (a stranger's 15 MB name would be
// served back on every list).
const (
	MaxNameLength  = 200      // a workspace's display name, in characters
	MaxSlots       = 7 * 24   // a channel's weekly posting slots
	MaxConfigBytes = 16 << 10 // a channel's config, and its credentials, as JSON
)

// jsonSize is the length of v as JSON (0 for what does not encode).
func jsonSize(v any) int {
	b, _ := json.Marshal(v)
	return len(b)
}

// Validate returns an EVALIDATION *Error listing every problem, or nil.
func (w *Workspace) Validate() error {
	var ps []Problem
	if !ValidName(w.Slug) {
		ps = append(ps, Problem{Column: "slug", Code: "invalid_slug", Message: "slug must be 1-63 characters of a-z, 0-9, '-' and '_'"})
	}
	if strings.TrimSpace(w.Name) == "" {
		ps = append(ps, Problem{Column: "name", Code: "required", Message: "name is required"})
	} else if n := utf8.RuneCountInString(w.Name); n > MaxNameLength {
		ps = append(ps, Problem{Column: "name", Code: "too_long", Message: fmt.Sprintf("name is %d characters; at most %d", n, MaxNameLength)})
	}
	if _, err := LoadLocation(w.Timezone); err != nil {
		ps = append(ps, Problem{Column: "timezone", Code: "invalid_timezone", Message: err.Error()})
	}
	if w.MaxLateness < 0 {
		ps = append(ps, Problem{Column: "max_lateness", Code: "invalid_duration", Message: "max_lateness must not be negative"})
	}
	ps = append(ps, stepProblems(w.ApprovalSteps)...)
	if !w.ApprovalRequired && len(w.ApprovalSteps) > 0 {
		ps = append(ps, Problem{Column: "approval_required", Code: "inconsistent",
			Message: "approval_required is false but approval_steps names steps; send approval_steps: [] to turn approval off"})
	}
	return validation("invalid workspace", ps)
}

// Lateness is the workspace's lateness window, or the default when unset.
func (w *Workspace) Lateness() time.Duration {
	if w.MaxLateness <= 0 {
		return DefaultMaxLateness
	}
	return time.Duration(w.MaxLateness)
}

// Slot is a weekly posting time of a channel, in the channel's time zone.
type Slot struct {
	Day  string `json:"day"`  // mon, tue, … sun
	Time string `json:"time"` // HH:MM, 24-hour
}

// Channel is one account, page or chat on one platform.
type Channel struct {
	ID          int64          `json:"-"`
	WorkspaceID int64          `json:"-"`
	Name        string         `json:"name"`
	Platform    string         `json:"platform"`
	Timezone    string         `json:"timezone,omitempty"`
	Slots       []Slot         `json:"slots"`
	Config      map[string]any `json:"config"`
	// Credentials are write-only: decrypted for publishers, never returned by
	// the API and never logged.
	Credentials map[string]string `json:"-"`
	// Status is ChannelActive, or ChannelNeedsReauth after the platform
	// rejected the credentials (StatusReason says how); new credentials
	// make it active again.
	Status       string    `json:"status"`
	StatusReason string    `json:"status_reason,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// Validate checks the channel's own fields (not whether its platform exists,
// which the caller knows), its slots as Normalize writes them. It returns
// an EVALIDATION *Error or nil.
func (c *Channel) Validate() error {
	var ps []Problem
	if !ValidName(c.Name) {
		ps = append(ps, Problem{Column: "name", Code: "invalid_name", Message: "name must be 1-63 characters of a-z, 0-9, '-' and '_'"})
	}
	if c.Platform == "" {
		ps = append(ps, Problem{Column: "platform", Code: "required", Message: "platform is required"})
	}
	if c.Timezone != "" {
		if _, err := LoadLocation(c.Timezone); err != nil {
			ps = append(ps, Problem{Column: "timezone", Code: "invalid_timezone", Message: err.Error()})
		}
	}
	if len(c.Slots) > MaxSlots {
		ps = append(ps, Problem{Column: "slots", Code: "too_many", Message: fmt.Sprintf("%d slots; a channel has at most %d weekly posting slots", len(c.Slots), MaxSlots)})
		return validation("invalid channel", ps)
	}
	if n := jsonSize(c.Config); n > MaxConfigBytes {
		ps = append(ps, Problem{Column: "config", Code: "too_large", Message: fmt.Sprintf("config is %d bytes as JSON; at most %d", n, MaxConfigBytes)})
	}
	if n := jsonSize(c.Credentials); n > MaxConfigBytes {
		ps = append(ps, Problem{Column: "credentials", Code: "too_large", Message: fmt.Sprintf("credentials are %d bytes as JSON; at most %d", n, MaxConfigBytes)})
	}
	for i, s := range c.Slots {
		if !slices.Contains(Weekdays, s.Day) {
			msg := fmt.Sprintf("day %q must be a weekday: mon, tue, wed, thu, fri, sat or sun (Monday, Mon, пн and понедельник are read too)", s.Day)
			if day, ok := ParseWeekday(s.Day); ok {
				msg = fmt.Sprintf("day %q is stored as %q; normalize the channel first", s.Day, day)
			}
			ps = append(ps, Problem{Column: fmt.Sprintf("slots[%d].day", i), Code: "invalid_day", Message: msg})
		}
		if _, err := time.Parse("15:04", s.Time); err != nil {
			ps = append(ps, Problem{Column: fmt.Sprintf("slots[%d].time", i), Code: "invalid_time", Message: fmt.Sprintf("time %q must be HH:MM", s.Time)})
		}
	}
	return validation("invalid channel", ps)
}

// Channel statuses.
const (
	ChannelActive      = "active"
	ChannelNeedsReauth = "needs_reauth"
)

// StandIn is the outbox platform; an outbox channel whose config names a
// platform under "as" stands in for that platform (see TextPlatform).
const StandIn = "outbox"

// TextPlatform is the platform whose rules and text variant the channel's
// posts follow: its own, or, for an outbox channel with config "as" (e.g.
// {"as":"vk"}), the platform it stands in for — so a plan can be rehearsed
// end to end, checked and written out exactly as that platform would get it,
// before the real channel is connected.
func (c *Channel) TextPlatform() string {
	if c.Platform == StandIn {
		if as := c.ConfigString("as"); as != "" {
			return as
		}
	}
	return c.Platform
}

// ConfigString returns config[key] as a string ("" when absent). Numbers are
// formatted without exponent, so a numeric chat id round-trips.
func (c *Channel) ConfigString(key string) string {
	switch v := c.Config[key].(type) {
	case nil:
		return ""
	case string:
		return v
	case float64:
		return fmt.Sprintf("%.0f", v)
	case json.Number:
		return v.String()
	default:
		return fmt.Sprint(v)
	}
}

// Location returns the channel's time zone, falling back to fallback when the
// channel names none.
func (c *Channel) Location(fallback *time.Location) *time.Location {
	if c.Timezone == "" {
		return fallback
	}
	if loc, err := LoadLocation(c.Timezone); err == nil {
		return loc
	}
	return fallback
}

func validation(msg string, ps []Problem) error {
	if len(ps) == 0 {
		return nil
	}
	return &Error{Code: EVALIDATION, Message: msg, Details: ps}
}

// Duration is a time.Duration that reads and writes JSON as "90m", "2h".
type Duration time.Duration

func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n float64
		if err2 := json.Unmarshal(b, &n); err2 != nil {
			return fmt.Errorf("duration must be a string like \"2h\" or a number of seconds")
		}
		*d = Duration(time.Duration(n * float64(time.Second)))
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q must look like \"90m\" or \"2h\"", s)
	}
	*d = Duration(v)
	return nil
}

// Token is an API token (or, with Session set, a sign-in session, as
// Authenticate returns it). Only a hash of its secret is stored. A token
// acts as its creator (UserID; 0 for the instance admin's: the bootstrap
// token and those herald token create makes), narrowed to WorkspaceID (0:
// every workspace) and Role ("": the creator's role in each; RoleAdmin: an
// instance admin token, not narrowed).
type Token struct {
	ID          int64      `json:"id"`
	Name        string     `json:"name"`
	Role        string     `json:"role"`
	Workspace   string     `json:"workspace,omitempty"` // the slug of WorkspaceID, where listed
	User        string     `json:"user,omitempty"`      // the creator's email, where listed
	CreatedAt   time.Time  `json:"created_at"`
	LastUsedAt  *time.Time `json:"last_used_at,omitempty"`
	ExpiresAt   *time.Time `json:"expires_at,omitempty"`
	RevokedAt   *time.Time `json:"revoked_at,omitempty"`
	UserID      int64      `json:"-"`
	WorkspaceID int64      `json:"-"`
	UserName    string     `json:"-"` // the creator's name (Authenticate)
	UserAdmin   bool       `json:"-"` // the creator is an instance admin (Authenticate)
	Session     bool       `json:"-"` // a sign-in session, not an API token
}

// RoleAdmin is the role of instance admin tokens (see Token).
const RoleAdmin = "admin"
