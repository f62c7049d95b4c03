package herald

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Approval before anything goes out. A workspace's approval steps are an
// ordered list, each naming the roles that may pass it. A plan apply that
// creates a post or changes its content (Post.ContentHash) makes a new
// version of it, waiting at the first step (its deliveries
// pending_approval); a time-only change keeps the approval it had. Each step
// passed is a Decision; when the last one passes, the post's deliveries are
// scheduled. A rejection holds the post (its deliveries stay
// pending_approval, never claimed) until a re-upload changes it. Nobody
// approves a version they uploaded (Actor.SamePerson) unless the workspace
// allows it. A delivery still waiting when its lateness window ends is
// missed, "not approved in time".

// ApprovalStep is one step of a workspace's approval.
type ApprovalStep struct {
	Name  string `json:"name"`
	Roles []Role `json:"roles"`
}

// Bounds on approval settings and decisions.
const (
	MaxApprovalSteps = 5
	MaxStepName      = 64
	MaxNote          = 2000 // a decision's note, in characters
	MaxReviewer      = 100  // a review link's reviewer name, in characters
)

// DefaultApprovalStep is the one step approval_required: true means.
var DefaultApprovalStep = ApprovalStep{Name: "approval", Roles: []Role{RoleOwner, RoleManager, RoleApprover}}

// Allows reports whether role r may pass the step.
func (s ApprovalStep) Allows(r Role) bool {
	for _, v := range s.Roles {
		if v == r {
			return true
		}
	}
	return false
}

// roleNames lists the step's roles as "manager, approver".
func (s ApprovalStep) roleNames() string {
	names := make([]string, len(s.Roles))
	for i, r := range s.Roles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

// Steps returns the workspace's approval steps: ApprovalSteps, or the
// default step when only ApprovalRequired is set; none when approval is off.
func (w *Workspace) Steps() []ApprovalStep {
	if len(w.ApprovalSteps) > 0 {
		return w.ApprovalSteps
	}
	if w.ApprovalRequired {
		return []ApprovalStep{DefaultApprovalStep}
	}
	return nil
}

// stepProblems validates approval steps: 1–MaxApprovalSteps of them (none
// turns approval off), each with a unique name of 1–MaxStepName characters
// and at least one role of Roles, each role once.
func stepProblems(steps []ApprovalStep) []Problem {
	var ps []Problem
	if len(steps) > MaxApprovalSteps {
		return []Problem{{Column: "approval_steps", Code: "too_many",
			Message: fmt.Sprintf("%d approval steps; at most %d", len(steps), MaxApprovalSteps)}}
	}
	seen := map[string]bool{}
	for i, s := range steps {
		col := fmt.Sprintf("approval_steps[%d]", i)
		name := strings.TrimSpace(s.Name)
		switch n := utf8.RuneCountInString(name); {
		case n == 0:
			ps = append(ps, Problem{Column: col + ".name", Code: "required", Message: "each approval step needs a name, e.g. \"internal\" or \"client\""})
		case n > MaxStepName || name != s.Name:
			ps = append(ps, Problem{Column: col + ".name", Code: "invalid_name",
				Message: fmt.Sprintf("step name %q must be 1-%d characters without leading or trailing spaces", s.Name, MaxStepName)})
		case seen[strings.ToLower(name)]:
			ps = append(ps, Problem{Column: col + ".name", Code: "duplicate", Message: fmt.Sprintf("two approval steps are named %q; step names must be unique", name)})
		}
		seen[strings.ToLower(name)] = true
		if len(s.Roles) == 0 {
			ps = append(ps, Problem{Column: col + ".roles", Code: "required",
				Message: fmt.Sprintf("step %q names no role; give the roles that may approve it (%s)", s.Name, roleList())})
		}
		roles := map[Role]bool{}
		for j, r := range s.Roles {
			if !r.valid() {
				ps = append(ps, Problem{Column: fmt.Sprintf("%s.roles[%d]", col, j), Code: "invalid_role",
					Message: fmt.Sprintf("unknown role %q; use one of %s", r, roleList())})
			} else if !r.Can(PermApprove) {
				ps = append(ps, Problem{Column: fmt.Sprintf("%s.roles[%d]", col, j), Code: "invalid_role",
					Message: fmt.Sprintf("role %s may not approve anything; use owner, manager, editor or approver", r)})
			} else if roles[r] {
				ps = append(ps, Problem{Column: fmt.Sprintf("%s.roles[%d]", col, j), Code: "duplicate", Message: fmt.Sprintf("role %s is named twice", r)})
			}
			roles[r] = true
		}
	}
	return ps
}

// Approval states of a post.
const (
	ApprovalNone     = "none"     // approval was off when the version was uploaded
	ApprovalPending  = "pending"  // waiting at Step
	ApprovalApproved = "approved" // every step passed: its deliveries are scheduled
	ApprovalRejected = "rejected" // rejected at Step: held until a re-upload changes it
)

// Row approval outcomes of a plan apply (RowResult.Approval).
const (
	ApprovalRequired = "required" // a new post: it waits at the first step
	ApprovalReset    = "reset"    // its content changed: its approval starts again
	ApprovalKept     = "kept"     // only its time changed: its approval stays as it was
)

// Decisions.
const (
	DecisionApproved = "approved"
	DecisionRejected = "rejected"
)

// Decider is who made a decision, as the API shows it.
type Decider struct {
	Kind string `json:"kind"`
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

// Decision is one approval or rejection of one version of a post at one step.
type Decision struct {
	Step     string    `json:"step"`
	Decision string    `json:"decision"`
	Note     string    `json:"note,omitempty"`
	By       Decider   `json:"by"`
	At       time.Time `json:"at"`
	Version  int       `json:"version"`
}

// Approval is where a post stands: its state, the step it waits at (or was
// rejected at), the version that is, and the decisions made, oldest first
// (at most MaxDecisionsShown, the latest).
type Approval struct {
	State     string     `json:"state"`
	Step      string     `json:"step,omitempty"`
	Version   int        `json:"version"`
	Decisions []Decision `json:"decisions"`
}

// MaxDecisionsShown bounds the decisions an Approval lists.
const MaxDecisionsShown = 20

// StepName is the name of step i of steps, "" past the end.
func StepName(steps []ApprovalStep, i int) string {
	if i < 0 || i >= len(steps) {
		return ""
	}
	return steps[i].Name
}

// DecisionRequest is an approval or rejection of posts of one plan.
type DecisionRequest struct {
	Decision string   // DecisionApproved or DecisionRejected
	Posts    []string // post keys; none: every post waiting at the step decided
	Note     string   // required for a rejection
	// Role is the caller's role in the workspace; members decide at a step
	// that names it. Admin is the instance admin, who may decide any step.
	// LinkStep, for a review link, is the one step it decides (Role and
	// Admin are then not used).
	Role     Role
	Admin    bool
	LinkStep string
	LinkID   int64 // the review link deciding (0 for a member)
}

// MaxDecisionPosts bounds the posts one decision names.
const MaxDecisionPosts = 10000

// Validate checks the request's own fields: an EVALIDATION *Error listing
// every problem, or nil.
func (r *DecisionRequest) Validate() error {
	var ps []Problem
	if r.Decision != DecisionApproved && r.Decision != DecisionRejected {
		ps = append(ps, Problem{Column: "decision", Code: "invalid", Message: "decision must be approved or rejected"})
	}
	r.Note = strings.TrimSpace(r.Note)
	if r.Decision == DecisionRejected && r.Note == "" {
		ps = append(ps, Problem{Column: "note", Code: "required", Message: "a rejection needs a note saying what to change"})
	}
	if n := utf8.RuneCountInString(r.Note); n > MaxNote {
		ps = append(ps, Problem{Column: "note", Code: "too_long", Message: fmt.Sprintf("note is %d characters; at most %d", n, MaxNote)})
	}
	if len(r.Posts) > MaxDecisionPosts {
		ps = append(ps, Problem{Column: "posts", Code: "too_many", Message: fmt.Sprintf("%d posts named; at most %d at once", len(r.Posts), MaxDecisionPosts)})
	}
	for i, k := range r.Posts {
		if strings.TrimSpace(k) == "" || len(k) > 256 {
			ps = append(ps, Problem{Column: fmt.Sprintf("posts[%d]", i), Code: "invalid", Message: "a post key must be 1-256 characters"})
			break
		}
	}
	return validation("invalid decision", ps)
}

// MayDecide returns nil when role may decide at step, else an EFORBIDDEN
// error saying which roles may.
func MayDecide(role Role, step ApprovalStep, post string) error {
	if step.Allows(role) {
		return nil
	}
	return Errorf(EFORBIDDEN, "your role %s may not decide approval step %q (post %q waits there); the roles that may are: %s",
		role, step.Name, post, step.roleNames())
}

// SelfApproval returns EFORBIDDEN when approver is who uploaded version of
// post key (and allowed is false): nobody approves their own upload.
func SelfApproval(uploader, approver Actor, key string, version int, allowed bool) error {
	if allowed || uploader.Kind == "" || !uploader.SamePerson(approver) {
		return nil
	}
	return Errorf(EFORBIDDEN, "you uploaded version %d of post %q, so someone else must approve it (a workspace manager can set allow_self_approval to let uploaders approve their own posts)",
		version, key)
}

// DecidedPost is where a post stands after a decision.
type DecidedPost struct {
	Key     string `json:"key"`
	Row     int    `json:"row"`
	Version int    `json:"version"`
	// Decided is the step decided; State and Step where the post is now
	// (Step: the next step it waits at, "" once approved).
	Decided string `json:"decided_step"`
	State   string `json:"state"`
	Step    string `json:"step,omitempty"`
}

// DecisionResult answers a decision: what was approved or rejected.
type DecisionResult struct {
	Plan     string        `json:"plan"`
	Decision string        `json:"decision"`
	Note     string        `json:"note,omitempty"`
	Posts    []DecidedPost `json:"posts"`
	// Scheduled counts the deliveries the decision released to be published.
	Scheduled int `json:"scheduled"`
}

// Review links let a client decide one step of one plan with no account.
const (
	DefaultReviewLinkTTL = 14 * 24 * time.Hour
	MaxReviewLinkTTL     = 90 * 24 * time.Hour
	MinReviewLinkTTL     = time.Minute
	// MaxActiveReviewLinks bounds the unexpired, unrevoked links of a plan.
	MaxActiveReviewLinks = 50
)

// ReviewLink is a link a client reviews a plan by. Its token is shown once,
// when it is made; only a hash of it is kept.
type ReviewLink struct {
	ID          int64      `json:"id"`
	WorkspaceID int64      `json:"-"`
	Plan        string     `json:"plan"`
	Step        string     `json:"step"`
	Name        string     `json:"name"`
	CreatedBy   string     `json:"created_by,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	ExpiresAt   time.Time  `json:"expires_at"`
	RevokedAt   *time.Time `json:"revoked_at,omitempty"`
	// State is active, expired or revoked.
	State string `json:"state"`
}

// ReviewLinkInput is what a new review link is made of.
type ReviewLinkInput struct {
	Step      string
	Name      string
	ExpiresIn time.Duration // 0: DefaultReviewLinkTTL
}

// Validate checks the input's own fields against the workspace's steps and
// fills in the default expiry: an EVALIDATION *Error listing every problem,
// or nil.
func (in *ReviewLinkInput) Validate(steps []ApprovalStep) error {
	var ps []Problem
	in.Name = strings.TrimSpace(in.Name)
	switch n := utf8.RuneCountInString(in.Name); {
	case n == 0:
		ps = append(ps, Problem{Column: "name", Code: "required", Message: "name the link, e.g. after who receives it: \"Client: Anna\""})
	case n > MaxNameLength:
		ps = append(ps, Problem{Column: "name", Code: "too_long", Message: fmt.Sprintf("name is %d characters; at most %d", n, MaxNameLength)})
	}
	found := false
	for _, s := range steps {
		found = found || s.Name == in.Step
	}
	switch {
	case len(steps) == 0:
		ps = append(ps, Problem{Column: "step", Code: "no_approval", Message: "the workspace has no approval steps; set approval_steps first"})
	case !found:
		names := make([]string, len(steps))
		for i, s := range steps {
			names[i] = fmt.Sprintf("%q", s.Name)
		}
		ps = append(ps, Problem{Column: "step", Code: "unknown_step",
			Message: fmt.Sprintf("step %q is not an approval step of the workspace; use one of %s", in.Step, strings.Join(names, ", "))})
	}
	if in.ExpiresIn == 0 {
		in.ExpiresIn = DefaultReviewLinkTTL
	}
	if in.ExpiresIn < MinReviewLinkTTL || in.ExpiresIn > MaxReviewLinkTTL {
		ps = append(ps, Problem{Column: "expires_in", Code: "out_of_range",
			Message: "expires_in must be between 1 minute and 90 days (\"90d\"); the default is 14 days"})
	}
	return validation("invalid review link", ps)
}

// ValidReviewer checks the name a reviewer gives on a review link (1–100
// characters): EVALIDATION, or nil.
func ValidReviewer(name string) error {
	switch n := utf8.RuneCountInString(strings.TrimSpace(name)); {
	case n == 0:
		return validation("invalid decision", []Problem{{Column: "reviewer", Code: "required", Message: "say who you are: reviewer is your name"}})
	case n > MaxReviewer:
		return validation("invalid decision", []Problem{{Column: "reviewer", Code: "too_long",
			Message: fmt.Sprintf("reviewer is %d characters; at most %d", n, MaxReviewer)}})
	}
	return nil
}

// ReviewPage is what a review link shows: the plan's posts as each channel
// will publish them, with their approval.
type ReviewPage struct {
	Workspace  string       `json:"workspace"` // the workspace's name
	Plan       string       `json:"plan"`
	Title      string       `json:"title"`
	Link       ReviewLink   `json:"link"`
	Posts      []ReviewPost `json:"posts"`
	NextCursor string       `json:"next_cursor"`
}

// ReviewPost is one post of a review page.
type ReviewPost struct {
	Key        string           `json:"key"`
	Row        int              `json:"row"`
	Approval   Approval         `json:"approval"`
	Deliveries []ReviewDelivery `json:"deliveries"`
}

// ReviewDelivery is a post as one channel will publish it: the platform's
// variant of the text, the media, link and tags, and when, in the channel's
// time zone.
type ReviewDelivery struct {
	Channel   string         `json:"channel"`
	Platform  string         `json:"platform"`
	Text      string         `json:"text"`
	Media     []string       `json:"media"`
	Link      string         `json:"link,omitempty"`
	Tags      []string       `json:"tags,omitempty"`
	DueAt     time.Time      `json:"due_at"`
	LocalTime string         `json:"local_time"` // "2026-12-01 10:00"
	Timezone  string         `json:"timezone"`
	Status    DeliveryStatus `json:"status"`
}
