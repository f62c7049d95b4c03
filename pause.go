package herald

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// The crisis stop: a pause holds every delivery of its scope — the whole
// instance, a workspace, or one channel — at once: from the moment a pause
// is answered, nothing it holds is claimed, on any process. A resume lets
// what is still inside its lateness window go out, in due order per channel,
// and marks the rest missed.

// PauseScope is what a pause holds.
type PauseScope string

// The scopes, widest first.
const (
	ScopeInstance  PauseScope = "instance"
	ScopeWorkspace PauseScope = "workspace"
	ScopeChannel   PauseScope = "channel"
)

// Bounds on a pause request.
const (
	MaxPauseReason = 500                 // characters
	MaxPauseFor    = 30 * 24 * time.Hour // how far ahead "until" may be
)

// MissedPaused is the reason of the event of a delivery a resume marks
// missed.
const MissedPaused = "paused past the lateness window"

// PauseTarget names what is paused or resumed: the instance (zero), a
// workspace (WorkspaceID), or one of its channels (ChannelID too). The
// names are for messages and answers.
type PauseTarget struct {
	WorkspaceID int64
	Workspace   string // slug
	ChannelID   int64
	Channel     string
}

// Scope is the target's scope.
func (t PauseTarget) Scope() PauseScope {
	switch {
	case t.ChannelID != 0:
		return ScopeChannel
	case t.WorkspaceID != 0:
		return ScopeWorkspace
	}
	return ScopeInstance
}

// String names the target in messages: `workspace "brand"`, `channel "tg"
// of workspace "brand"`, "the instance".
func (t PauseTarget) String() string {
	switch t.Scope() {
	case ScopeChannel:
		return fmt.Sprintf("channel %q of workspace %q", t.Channel, t.Workspace)
	case ScopeWorkspace:
		return fmt.Sprintf("workspace %q", t.Workspace)
	}
	return "the instance"
}

// Pause is a pause in force.
type Pause struct {
	Scope     PauseScope `json:"scope"`
	Workspace string     `json:"workspace,omitempty"` // the workspace's slug (workspace and channel scopes)
	Channel   string     `json:"channel,omitempty"`   // the channel's name (channel scope)
	At        time.Time  `json:"at"`                  // when it was first paused
	Reason    string     `json:"reason"`
	By        string     `json:"by"`      // the actor, as events name it ("token:3")
	ByName    string     `json:"by_name"` // the actor's name
	// Until is when it resumes by itself (nil: when someone resumes it).
	Until *time.Time `json:"until"`
}

// PauseRequest is what pausing says: why, and optionally until when.
type PauseRequest struct {
	Reason string     `json:"reason"`
	Until  *time.Time `json:"until"`
}

// Validate checks the request at now: a reason of 1 to MaxPauseReason
// characters (trimmed), and an until, when given, after now and at most
// MaxPauseFor ahead. It returns an EVALIDATION *Error listing each problem,
// or nil.
func (r *PauseRequest) Validate(now time.Time) error {
	r.Reason = strings.TrimSpace(r.Reason)
	var ps []Problem
	if r.Reason == "" {
		ps = append(ps, Problem{Column: "reason", Code: "required", Message: "reason is required: say why publishing stops (it is shown to everyone in the workspace)"})
	} else if n := utf8.RuneCountInString(r.Reason); n > MaxPauseReason {
		ps = append(ps, Problem{Column: "reason", Code: "too_long", Message: fmt.Sprintf("reason is %d characters; at most %d", n, MaxPauseReason)})
	}
	if r.Until != nil {
		u := r.Until.UTC()
		r.Until = &u
		switch {
		case !u.After(now):
			ps = append(ps, Problem{Column: "until", Code: "in_the_past", Message: fmt.Sprintf("until %s is not in the future; leave it out to pause until resumed", u.Format(time.RFC3339))})
		case u.Sub(now) > MaxPauseFor:
			ps = append(ps, Problem{Column: "until", Code: "too_far", Message: fmt.Sprintf("until %s is more than %d days ahead; pause for at most %d days, or leave it out and resume by hand",
				u.Format(time.RFC3339), MaxPauseFor/(24*time.Hour), MaxPauseFor/(24*time.Hour))})
		}
	}
	return validation("invalid pause", ps)
}

// InFlight is a delivery that was being published when a pause took
// effect: it may still appear on its platform.
type InFlight struct {
	ID      int64  `json:"id"`
	Channel string `json:"channel"`
	Plan    string `json:"plan"`
	Post    string `json:"post"` // the post's key
}

// PauseResult answers a pause: the pause in force and what was in flight.
type PauseResult struct {
	Scope     PauseScope `json:"scope"`
	Workspace string     `json:"workspace,omitempty"`
	Channel   string     `json:"channel,omitempty"`
	PausedAt  time.Time  `json:"paused_at"`
	Reason    string     `json:"reason"`
	By        string     `json:"by"`
	ByName    string     `json:"by_name"`
	Until     *time.Time `json:"until"`
	// Already is true when the scope was paused before: the reason, until
	// and by were updated, PausedAt is the first pause's.
	Already  bool       `json:"already_paused"`
	InFlight []InFlight `json:"in_flight"`
}

// ResumeResult answers a resume: what it let go and what it marked missed.
type ResumeResult struct {
	Scope     PauseScope `json:"scope"`
	Workspace string     `json:"workspace,omitempty"`
	Channel   string     `json:"channel,omitempty"`
	PausedAt  time.Time  `json:"paused_at"`
	Reason    string     `json:"reason"` // the pause's
	ResumedAt time.Time  `json:"resumed_at"`
	// WillPublish counts the held deliveries already due that go out now,
	// in due order per channel (later ones go at their time).
	WillPublish int `json:"will_publish"`
	// Missed counts those past their lateness window, now missed.
	Missed int `json:"missed"`
	// StillHeld counts due deliveries of the scope that another pause still
	// holds (a wider one, or a channel's own).
	StillHeld int `json:"still_held"`
}
