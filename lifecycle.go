package herald

import "strings"

// The delivery lifecycle in one place: the named groups of statuses every
// package uses, and the transitions storage may make. Storage changes a
// status only through one guarded function that checks Transition and
// records each change as a delivery event.

// StatusSet is a named group of delivery statuses.
type StatusSet []DeliveryStatus

// Has reports whether s is in the set.
func (set StatusSet) Has(s DeliveryStatus) bool {
	for _, v := range set {
		if v == s {
			return true
		}
	}
	return false
}

// String lists the set as "a, b, c", for messages.
func (set StatusSet) String() string {
	names := make([]string, len(set))
	for i, s := range set {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

// The named sets.
var (
	// Waiting deliveries are queued: the claim takes a channel's earliest
	// one when its next attempt is due.
	Waiting = StatusSet{StatusScheduled, StatusRetrying}
	// Finished deliveries stay as they are until a person acts (retry,
	// resolve) or a plan upload changes them: what Final reports.
	Finished = StatusSet{StatusPublished, StatusFailed, StatusUnknown, StatusCancelled, StatusMissed}
	// Live deliveries are, will be or may be on their channel: what a new
	// post there can be too close to, or repeat.
	Live = StatusSet{StatusPendingApproval, StatusScheduled, StatusRetrying, StatusPublishing, StatusPublished, StatusUnknown}
	// Unpublished deliveries have nothing on the platform and nothing
	// sending them: what removing a row, a channel or a plan cancels.
	Unpublished = StatusSet{StatusScheduled, StatusRetrying, StatusFailed, StatusMissed, StatusPendingApproval}
	// MaybeOnPlatform deliveries are, may be, or are being published: a
	// plan edit of their row is a conflict, and removing it keeps them.
	MaybeOnPlatform = StatusSet{StatusPublished, StatusPublishing, StatusUnknown}
	// SlotFreeing statuses give up a delivery's posting slot; every other
	// status holds it (the unique index of migrations 0002).
	SlotFreeing = StatusSet{StatusCancelled, StatusMissed, StatusFailed}
	// NeedsAttention deliveries did not go out and wait for a person.
	NeedsAttention = StatusSet{StatusFailed, StatusUnknown, StatusMissed}
	// Retryable deliveries may be scheduled again by a person.
	Retryable = StatusSet{StatusFailed, StatusUnknown, StatusMissed, StatusCancelled}
	// Cancellable deliveries may be cancelled by a person.
	Cancellable = StatusSet{StatusScheduled, StatusRetrying, StatusFailed, StatusUnknown, StatusMissed, StatusPendingApproval}
	// Reschedulable deliveries take a changed row's new time and content.
	Reschedulable = StatusSet{StatusScheduled, StatusRetrying, StatusFailed, StatusMissed, StatusCancelled, StatusPendingApproval}
)

// StatusCreated is the "from" of a delivery's first event: it did not exist.
const StatusCreated DeliveryStatus = ""

// transitions is every status change storage may make, by the status it
// leaves. A status may go to itself where the delivery changes without
// changing status (a rescheduled row).
var transitions = map[DeliveryStatus]StatusSet{
	StatusCreated: {StatusScheduled, StatusPendingApproval},
	// approved; rejected or removed; not approved in time; a changed row
	StatusPendingApproval: {StatusScheduled, StatusCancelled, StatusMissed, StatusPendingApproval},
	// claimed; past the lateness window; cancelled; rescheduled; approval reset by an edit
	StatusScheduled: {StatusPublishing, StatusMissed, StatusCancelled, StatusScheduled, StatusPendingApproval},
	StatusRetrying:  {StatusPublishing, StatusMissed, StatusCancelled, StatusScheduled, StatusPendingApproval},
	// an attempt's outcome; reauth hold or released unstarted (scheduled);
	// the row removed meanwhile (cancelled); the lease lost (retrying, unknown)
	StatusPublishing: {StatusPublished, StatusRetrying, StatusFailed, StatusUnknown, StatusScheduled, StatusCancelled},
	StatusPublished:  {},
	// retried or rescheduled; cancelled
	StatusFailed: {StatusScheduled, StatusCancelled, StatusPendingApproval},
	StatusMissed: {StatusScheduled, StatusCancelled, StatusPendingApproval},
	// found on the platform (resolved); retried; cancelled
	StatusUnknown: {StatusPublished, StatusScheduled, StatusCancelled},
	// retried, revived with its plan, or rescheduled by an edit of its row
	StatusCancelled: {StatusScheduled, StatusPendingApproval},
}

// Transition reports whether storage may move a delivery from one status to
// another (from StatusCreated for a new delivery).
func Transition(from, to DeliveryStatus) bool {
	return transitions[from].Has(to)
}
