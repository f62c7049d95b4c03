package herald

import (
	"context"
	"fmt"
	"os"
)

// Actor is who made a change: a token's holder through the API, the
// scheduler, a reconciler, … Events and (later) the audit log record it.
type Actor struct {
	Kind string // token, scheduler, reconciler, system
	ID   string // the token's id, …; may be empty
	Name string // a token's name, …; may be empty
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
