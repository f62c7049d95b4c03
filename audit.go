package herald

import (
	"strings"
	"time"
	"unicode/utf8"
)

// The audit log: who changed what, append-only. Storage writes an entry in
// the transaction that makes the change; nothing updates or deletes one.

// AuditEntry is one change recorded in the audit log.
type AuditEntry struct {
	ID int64     `json:"id"` // only increases: a reader follows the log by id
	At time.Time `json:"at"`
	// Workspace is the slug of the workspace the change was made in, as it
	// was then ("" for an instance-level change: a token, a failed login).
	Workspace string     `json:"workspace,omitempty"`
	Actor     AuditActor `json:"actor"`
	Action    string     `json:"action"` // one of AuditActions
	Target    string     `json:"target"` // what was changed: "plan 2026-12", "channel tg-main"
	// Details are the change's particulars (diff counts, changed fields);
	// never a secret. At most MaxAuditDetailsBytes as JSON.
	Details map[string]any `json:"details"`
}

// AuditActor is who made a change, as the audit log names them.
type AuditActor struct {
	Kind string `json:"kind"` // user, token, review_link or system
	ID   string `json:"id"`
	Name string `json:"name"`
}

// The audit actor kinds.
const (
	AuditUser       = "user"
	AuditToken      = "token"
	AuditReviewLink = "review_link"
	AuditSystem     = "system"
)

// AuditActorKinds lists the audit actor kinds.
var AuditActorKinds = []string{AuditUser, AuditToken, AuditReviewLink, AuditSystem}

// AuditActorOf is a as the audit log names it: users, tokens and review
// links as they are; any other actor (the scheduler, a reconciler, the
// command line) is the system, with its own kind kept in the ID
// ("scheduler:node-1").
func AuditActorOf(a Actor) AuditActor {
	switch a.Kind {
	case AuditUser, AuditToken, AuditReviewLink, AuditSystem:
		return AuditActor{Kind: a.Kind, ID: a.ID, Name: a.Name}
	case "":
		return AuditActor{Kind: AuditSystem, Name: a.Name}
	}
	return AuditActor{Kind: AuditSystem, ID: a.String(), Name: a.Name}
}

// MaxAuditDetailsBytes bounds an entry's details as JSON. Longer details
// have their strings shortened, then are replaced by {"truncated": true}.
const MaxAuditDetailsBytes = 4 << 10

// The audit actions. An action is "<object>.<verb>"; every action storage
// records is in AuditActions (a filter names one of them, or a prefix
// ending in ".").
const (
	AuditPlanApplied = "plan.applied" // details: created, updated, unchanged, cancelled, conflicts
	AuditPlanDeleted = "plan.deleted" // details: cancelled

	AuditPostApproved = "post.approved"
	AuditPostRejected = "post.rejected"

	AuditDeliveryRetried   = "delivery.retried"   // details: plan, post, channel, from
	AuditDeliveryCancelled = "delivery.cancelled" // details: plan, post, channel, from
	AuditDeliveryResolved  = "delivery.resolved"  // details: remote_id, url

	AuditChannelCreated            = "channel.created"             // details: platform
	AuditChannelChanged            = "channel.changed"             // details: fields (names); keys and refreshed when a publisher changed the config
	AuditChannelCredentialsChanged = "channel.credentials_changed" // details: keys (names, never values)
	AuditChannelDeleted            = "channel.deleted"             // details: cancelled
	AuditChannelPaused             = "channel.paused"
	AuditChannelResumed            = "channel.resumed"

	AuditWorkspaceCreated = "workspace.created" // details: name, timezone
	AuditWorkspaceChanged = "workspace.changed" // details: fields (names)
	AuditWorkspaceDeleted = "workspace.deleted" // details: name
	AuditWorkspacePaused  = "workspace.paused"
	AuditWorkspaceResumed = "workspace.resumed"

	AuditInstancePaused  = "instance.paused"
	AuditInstanceResumed = "instance.resumed"

	AuditMemberAdded   = "member.added"
	AuditMemberChanged = "member.changed"
	AuditMemberRemoved = "member.removed"

	AuditUserCreated = "user.created"
	AuditUserRemoved = "user.removed" // details: name, memberships, tokens (revoked), sessions (ended)
	AuditLoginFailed = "login.failed"

	AuditTokenCreated = "token.created" // details: name, role
	AuditTokenRevoked = "token.revoked"

	AuditReviewLinkCreated = "review_link.created"
	AuditReviewLinkUsed    = "review_link.used"
	AuditReviewLinkRevoked = "review_link.revoked"
)

// AuditActions lists every audit action, grouped by object.
var AuditActions = []string{
	AuditPlanApplied, AuditPlanDeleted,
	AuditPostApproved, AuditPostRejected,
	AuditDeliveryRetried, AuditDeliveryCancelled, AuditDeliveryResolved,
	AuditChannelCreated, AuditChannelChanged, AuditChannelCredentialsChanged, AuditChannelDeleted,
	AuditChannelPaused, AuditChannelResumed,
	AuditWorkspaceCreated, AuditWorkspaceChanged, AuditWorkspaceDeleted, AuditWorkspacePaused, AuditWorkspaceResumed,
	AuditInstancePaused, AuditInstanceResumed,
	AuditMemberAdded, AuditMemberChanged, AuditMemberRemoved,
	AuditUserCreated, AuditUserRemoved, AuditLoginFailed,
	AuditTokenCreated, AuditTokenRevoked,
	AuditReviewLinkCreated, AuditReviewLinkUsed, AuditReviewLinkRevoked,
}

// KnownAuditAction reports whether a is one of AuditActions.
func KnownAuditAction(a string) bool {
	for _, k := range AuditActions {
		if a == k {
			return true
		}
	}
	return false
}

// MaxAuditLimit bounds one page of the audit log; DefaultAuditLimit is a
// page when the reader does not say.
const (
	DefaultAuditLimit = 50
	MaxAuditLimit     = 500
)

// AuditFilter selects audit entries, newest first.
type AuditFilter struct {
	// WorkspaceID selects one workspace's entries (even after it was
	// deleted); 0 selects every entry, instance-level ones included.
	WorkspaceID int64
	// Before is a cursor: only entries with a smaller ID (0: from the newest).
	Before int64
	Limit  int // 1..MaxAuditLimit; 0 is DefaultAuditLimit
	// ActorKind and ActorID select one actor ("" for any; a kind with an
	// empty ID selects every actor of that kind).
	ActorKind, ActorID string
	// Action is an exact action, or a prefix ending in "." ("plan."); "" for
	// any.
	Action string
}

// ParseAuditActor reads an actor filter: "kind:id" (an id may hold ':', as
// "system:scheduler:node-1" does) or a kind alone. Anything else is
// EINVALID listing the kinds.
func ParseAuditActor(s string) (kind, id string, err error) {
	kind, id, _ = strings.Cut(s, ":")
	for _, k := range AuditActorKinds {
		if kind == k && len(s) <= 200 {
			return kind, id, nil
		}
	}
	return "", "", Errorf(EINVALID, "actor %q: use kind:id (e.g. token:3) or a kind alone, with kind one of %s; at most 200 characters",
		truncate(s, 40), strings.Join(AuditActorKinds, ", "))
}

// ParseAuditAction checks an action filter: one of AuditActions, or a
// prefix ending in "." of at least one of them ("plan.", "channel."). "" is
// any action. Anything else is EINVALID listing what is allowed.
func ParseAuditAction(s string) (string, error) {
	if s == "" || KnownAuditAction(s) {
		return s, nil
	}
	if strings.HasSuffix(s, ".") {
		for _, k := range AuditActions {
			if strings.HasPrefix(k, s) {
				return s, nil
			}
		}
	}
	return "", Errorf(EINVALID, "action %q: use an action (%s) or a prefix of them ending in \".\" (e.g. plan.)",
		truncate(s, 40), strings.Join(AuditActions, ", "))
}

// truncate is s cut to n bytes at most, on a rune boundary, with "…" when cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
