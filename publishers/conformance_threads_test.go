package publishers

import (
	"context"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/conformance"
	"github.com/heraldhq/herald/publishers/internal/container/containerfake"
	"github.com/heraldhq/herald/publishers/threads"
	"github.com/heraldhq/herald/publishers/threads/threadsfake"
)

func init() {
	platforms = append(platforms, conformance.Entry{Name: "threads", Start: startThreads})
}

func startThreads(t *testing.T) (conformance.Platform, conformance.Publisher) {
	fake := threadsfake.New(threadsfake.Options{PollsToFinish: 1})
	return threadsPlatform{fake}, threads.New(threads.Options{Wait: func(context.Context, time.Duration) error { return nil }})
}

// threadsPlatform drives threadsfake for the conformance scenarios.
type threadsPlatform struct{ fake *threadsfake.Server }

func (p threadsPlatform) Name() string { return "threads" }
func (p threadsPlatform) Close()       { p.fake.Close() }

func (p threadsPlatform) Channel() *herald.Channel {
	return &herald.Channel{ID: 1, Name: "threads", Platform: "threads",
		Config:      map[string]any{"base_url": p.fake.URL, "user_id": p.fake.UserID()},
		Credentials: map[string]string{"access_token": p.fake.Token}}
}

// Script answers the container creation as the Graph API documents each
// fault: 4 with X-Business-Use-Case-Usage, 2 with HTTP 500, 100, 190.
func (p threadsPlatform) Script(f conformance.Fault) {
	switch f {
	case conformance.Throttle:
		p.fake.Script(containerfake.Throttled(4, 5).On(containerfake.StepCreate))
	case conformance.ServerError:
		p.fake.Script(containerfake.ServiceUnavailable().On(containerfake.StepCreate))
	case conformance.Permanent:
		p.fake.Script(containerfake.InvalidParam("text is too long").On(containerfake.StepCreate))
	case conformance.Unauthorized:
		p.fake.Script(containerfake.InvalidToken().On(containerfake.StepCreate))
	}
}

// Posted lists the published threads with their permalinks.
func (p threadsPlatform) Posted() []conformance.Posted {
	var out []conformance.Posted
	for _, post := range p.fake.Posts() {
		out = append(out, conformance.Posted{ID: post.ID, URL: post.Permalink, Text: post.Text, Media: post.Media})
	}
	return out
}
