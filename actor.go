package herald

import (
	"context"
	"fmt"
	"os"
)

// Actor is who made a change: a token's holder through the API, the
// scheduler, a reconciler, … Events and (later) the audit log record it.
type Actor struct {
	Kind string // user, token, review_link, scheduler, reconciler, system
	ID   string // the user's, token's or link's id; may be empty
	Name string // a user's or token's name, the reviewer's name as given; may be empty
	// UserID is the person behind a user or token actor (0 for none: the
	// bootstrap admin token, a review link, the service itself). Two actors
	// with one UserID are one person (nobody approves their own upload).
	UserID int64
}

// SamePerson reports whether a and b are one person: the same user behind
// them, or the very same actor.
func (a Actor) SamePerson(b Actor) bool {
	if a.UserID != 0 || b.UserID != 0 {
		return a.UserID == b.UserID
	}
	return a.String() == b.String()
}

// String is the actor as events store it: "kind" or "kind:id".
func (a Actor) String() string {
	if a.Kind == "" {
		return "system"
	}
	if a.ID == "" {
		return a.Kind
	}
	return a.Kind + ":" + a.ID
}

type actorKey struct{}

// WithActor returns ctx carrying who acts in it.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorOf returns the actor WithActor put in ctx, or the system.
func ActorOf(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok {
		return a
	}
	return Actor{Kind: "system"}
}

// DefaultNode names this process among the replicas sharing a database:
// hostname-pid.
func DefaultNode() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "herald"
	}
	return fmt.Sprintf("%s-%d", host, os.Getpid())
}
