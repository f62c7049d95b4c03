package herald

import (
	"strings"
	"time"
)

// DeliveryStatus is where a delivery (one post on one channel) stands.
type DeliveryStatus string

const (
	StatusPendingApproval DeliveryStatus = "pending_approval"
	StatusScheduled       DeliveryStatus = "scheduled"
	StatusPublishing      DeliveryStatus = "publishing"
	StatusRetrying        DeliveryStatus = "retrying"
	StatusPublished       DeliveryStatus = "published"
	StatusFailed          DeliveryStatus = "failed"
	StatusUnknown         DeliveryStatus = "unknown"
	StatusCancelled       DeliveryStatus = "cancelled"
	StatusMissed          DeliveryStatus = "missed"
)

// Statuses lists every delivery status.
var Statuses = StatusSet{StatusPendingApproval, StatusScheduled, StatusPublishing, StatusRetrying,
	StatusPublished, StatusFailed, StatusUnknown, StatusCancelled, StatusMissed}

// Valid reports whether s is a known status.
func (s DeliveryStatus) Valid() bool {
	for _, v := range Statuses {
		if s == v {
			return true
		}
	}
	return false
}

// Final reports whether nothing more will happen to a delivery in s without
// a person acting (retry, resolve) or a new plan upload.
func (s DeliveryStatus) Final() bool { return Finished.Has(s) }

// Delivery is one post on one channel: the unit the scheduler queues.
type Delivery struct {
	ID          int64  `json:"id"`
	WorkspaceID int64  `json:"-"`
	PostID      int64  `json:"-"`
	ChannelID   int64  `json:"-"`
	Workspace   string `json:"workspace"` // the workspace's slug
	PlanKey     string `json:"plan"`
	PostKey     string `json:"key"`
	Row         int    `json:"row"`
	ChannelName string `json:"channel"`
	Platform    string `json:"platform"`

	Status DeliveryStatus `json:"status"`
	// DueAt is the planned time; it never moves on a retry. RetriedAt is set
	// when an operator retried the delivery past its lateness window: the
	// window then counts from RetriedAt.
	DueAt         time.Time  `json:"due_at"`
	NextAttemptAt time.Time  `json:"next_attempt_at"`
	RetriedAt     *time.Time `json:"retried_at,omitempty"`
	Attempts      int        `json:"attempt_count"`
	// IdempotencyKey is sent to platforms that honour one; it is derived from
	// the delivery and its content, so a retry of the same content reuses it.
	IdempotencyKey string     `json:"idempotency_key"`
	RemoteID       string     `json:"remote_id"`
	URL            string     `json:"url"`
	PublishedAt    *time.Time `json:"published_at"`
	Error          string     `json:"error"`
	// PlatformState is what a publisher saved mid-publish (e.g. an Instagram
	// container id) so a retry after a crash resumes instead of starting over.
	PlatformState map[string]string `json:"-"`
	LeaseOwner    string            `json:"-"`
	LeaseUntil    *time.Time        `json:"-"`
	CreatedAt     time.Time         `json:"created_at"`
	UpdatedAt     time.Time         `json:"updated_at"`
}

// Outcome is how a publisher classified a platform's answer.
type Outcome string

const (
	OutcomePublished Outcome = "published" // the post is live; RemoteID (and URL where known) set
	OutcomeRetry     Outcome = "retry"     // try again later (throttled, 5xx, network before sending)
	OutcomeFailed    Outcome = "failed"    // permanent: the platform refused it; Reason says why
	OutcomeUnknown   Outcome = "unknown"   // the call may have reached the platform; no answer known
	// OutcomeReauth: the platform rejected the channel's credentials. The
	// delivery is held (not failed) and the channel needs new credentials.
	OutcomeReauth Outcome = "reauth"
)

// Attempt is one try of a delivery: when, what was sent, what the platform answered.
type Attempt struct {
	ID         int64      `json:"id"`
	DeliveryID int64      `json:"-"`
	Number     int        `json:"number"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt time.Time  `json:"finished_at"`
	Outcome    Outcome    `json:"outcome"`
	Request    string     `json:"request"`
	Response   string     `json:"response"`
	Error      string     `json:"error"`
	RemoteID   string     `json:"remote_id"`
	URL        string     `json:"url"`
	RetryAt    *time.Time `json:"retry_at,omitempty"`
	Node       string     `json:"node"` // the process that ran it
}

// Message is what a publisher pushes: a post's content for one platform.
type Message struct {
	Text  string
	Media []string // URLs
	Link  string
	Tags  []string
}

// Body is the text as published on platforms that carry links inside the
// text (Telegram, Mastodon, …): Text, followed by a blank line and Link when
// Link is set and Text does not already contain it. Length rules count Body.
func (m Message) Body() string {
	if m.Link == "" || strings.Contains(m.Text, m.Link) {
		return m.Text
	}
	if m.Text == "" {
		return m.Link
	}
	return m.Text + "\n\n" + m.Link
}

// PublishRequest is one attempt of one delivery, as handed to a publisher.
type PublishRequest struct {
	Workspace      string // the workspace's slug
	DeliveryID     int64
	IdempotencyKey string
	Attempt        int // 1 for the first try
	Channel        Channel
	Message        Message
	// State is what an earlier attempt of this delivery saved through the
	// publishers' SaveDeliveryState (nil when none).
	State map[string]string
	// Blocks are the rate-limit blocks the database held when the job was
	// claimed, as earlier Results of any process reported them
	// (Result.Blocks): rate-limit key → the instant (UTC) before which no
	// call may be made on that key. Keys are the publishers' own, opaque
	// to the scheduler and storage: "<platform>:<channel id>",
	// "<platform>:app:<app id>", "<platform>:token:<hash>",
	// "telegram:<bot id>:<chat id>"… (package publishers/internal/ratelimit);
	// they always start with the platform's name and ':', and hold no
	// secret. The scheduler passes at least the unexpired blocks whose key
	// starts with the channel's platform and ':'; an adapter ignores the
	// keys it does not use and those already over. Before deciding
	// anything the adapter takes them as if the platform had named them to
	// its own process (a later block it already knows is kept), so a call
	// on a blocked key is a throttled retry without calling the platform.
	// Nil when none.
	Blocks map[string]time.Time
}

// Result is a publisher's classification of one attempt.
type Result struct {
	Outcome  Outcome
	RemoteID string
	URL      string
	// RetryAfter is the least wait the platform asked for (0: the scheduler's backoff decides).
	RetryAfter time.Duration
	// Throttled marks a retry caused by rate limiting (the platform's or
	// Herald's own limiter): the delivery waits, and the attempt does not
	// count toward the scheduler's attempt limit.
	Throttled bool
	// Reason is the platform's own reason for a failure, retry or unknown outcome.
	Reason string
	// Request and Response summarise what was sent (never credentials) and what
	// the platform answered (truncated), for the attempt record.
	Request  string
	Response string
	// ConfigUpdate holds channel config keys to store for later deliveries
	// (e.g. Telegram's migrate_to_chat_id).
	ConfigUpdate map[string]any
	// Blocks are the rate-limit blocks this attempt set or moved later:
	// key (as in PublishRequest.Blocks) → the instant (UTC) before which
	// no call may be made on that key, from a platform's wait (a 429 with
	// Retry-After or retry_after, X-RateLimit-Reset, a usage header at its
	// limit, a throttling error code…). Blocks imported from the request
	// are not repeated unless this attempt moved them. The database keeps
	// per key the later of the instant it holds and this one, and passes
	// the unexpired ones to later claims of every channel
	// (PublishRequest.Blocks): a key can be wider than the channel (an
	// app, a token, a bot shared by several chats). Nil when none.
	Blocks map[string]time.Time
	// NotBefore is the earliest instant (UTC) at which the adapter's own
	// pace and the blocks it knows allow its next call on this channel, in
	// any process: the platform's documented pace counted from this
	// attempt's calls (one call per interval; bursts are not carried over
	// from one attempt to the next, since the next may run elsewhere), and
	// the blocks of the keys the channel's calls use. The database holds
	// the channel's next claim (any of its deliveries, this one's retry
	// included) until then; a retry also waits RetryAfter. Zero when
	// nothing holds the next call: no pace applies and no block is known.
	NotBefore time.Time
}

// CalendarEntry is one delivery as the calendar (GET …/posts) shows it.
type CalendarEntry struct {
	DeliveryID  int64          `json:"delivery_id"`
	Plan        string         `json:"plan"`
	Key         string         `json:"key"`
	Row         int            `json:"row"`
	Channel     string         `json:"channel"`
	Platform    string         `json:"platform"`
	DueAt       time.Time      `json:"due_at"`
	Status      DeliveryStatus `json:"status"`
	Text        string         `json:"text"`
	Rubric      string         `json:"rubric"`
	Tags        []string       `json:"tags"`
	RemoteID    string         `json:"remote_id"`
	URL         string         `json:"url"`
	PublishedAt *time.Time     `json:"published_at"`
	Error       string         `json:"error"`
	// Approval is where the post stands in the workspace's approval.
	Approval Approval `json:"approval"`
}

// CalendarFilter narrows the calendar. Zero values mean "any".
type CalendarFilter struct {
	From, To time.Time
	Channel  string
	Status   DeliveryStatus
	Rubric   string
	Limit    int
	// After is the cursor: entries strictly after (DueAt, DeliveryID).
	AfterDue time.Time
	AfterID  int64
}

// Job is a claimed delivery with what a publisher needs to push it.
type Job struct {
	Delivery Delivery
	Channel  Channel // with decrypted credentials
	Message  Message // the post's content with the channel platform's variant applied
	Attempt  int     // the number of this attempt (Delivery.Attempts after the claim)
	// Blocks are the unexpired rate-limit blocks the database holds for the
	// channel's platform, for PublishRequest.Blocks.
	Blocks map[string]time.Time
}

// DeliveryEvent is one change of a delivery's status, as storage recorded it
// in the transaction that made it. IDs only increase: a reader follows the
// events with the last id it saw as its cursor.
type DeliveryEvent struct {
	ID         int64          `json:"id"`
	DeliveryID int64          `json:"delivery_id"`
	From       DeliveryStatus `json:"from"` // "" when the delivery was created
	To         DeliveryStatus `json:"to"`
	At         time.Time      `json:"at"`
	Node       string         `json:"node"`  // the process that made the change
	Actor      string         `json:"actor"` // who asked: "scheduler", "token:3", …
	Reason     string         `json:"reason"`
	Attempt    int            `json:"attempt"` // the delivery's attempt count after the change
}
