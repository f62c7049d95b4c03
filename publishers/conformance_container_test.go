package publishers

import (
	"context"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/conformance"
	"github.com/heraldhq/herald/publishers/internal/container/containerfake"
)

// containerPlatform drives a fake of the container flow (instagramfake,
// threadsfake) for the conformance scenarios.
type containerPlatform struct {
	fake      *containerfake.Server
	name      string // "instagram": the platform and the channel's name
	userKey   string // the config key of the user id: "ig_user_id", "user_id"
	permanent string // the message of the Permanent fault's code 100
}

// The container flow names no pace, only waits (throttling codes, the
// publishing cap), which block the account ("<platform>:<user id>").

// noWait is the adapters' pause between status polls: none (polls are
// counted, not timed).
func noWait(context.Context, time.Duration) error { return nil }

func (p containerPlatform) Name() string { return p.name }
func (p containerPlatform) Close()       { p.fake.Close() }

func (p containerPlatform) Channel() *herald.Channel {
	return &herald.Channel{ID: 1, Name: p.name, Platform: p.name,
		Config:      map[string]any{"base_url": p.fake.URL, p.userKey: p.fake.UserID()},
		Credentials: map[string]string{"access_token": p.fake.Token}}
}

// SharedChannel is another channel of the same account: a throttling
// code blocks the account, whichever channel posts as it.
func (p containerPlatform) SharedChannel() *herald.Channel {
	ch := p.Channel()
	ch.ID, ch.Name = 2, p.name+"-2"
	return ch
}

// Script answers the container creation as the Graph API documents each
// fault: 4 with X-Business-Use-Case-Usage, 2 with HTTP 500, 100, 190. A
// lost answer is the publish call's: the container is published, then
// the connection closed.
func (p containerPlatform) Script(f conformance.Fault) {
	switch f {
	case conformance.Throttle:
		p.fake.Script(containerfake.Throttled(4, 5).On(containerfake.StepCreate))
	case conformance.ServerError:
		p.fake.Script(containerfake.ServiceUnavailable().On(containerfake.StepCreate))
	case conformance.Permanent:
		p.fake.Script(containerfake.InvalidParam(p.permanent).On(containerfake.StepCreate))
	case conformance.Unauthorized:
		p.fake.Script(containerfake.InvalidToken().On(containerfake.StepCreate))
	case conformance.LostAnswer:
		p.fake.Script(containerfake.DropAfterPost().On(containerfake.StepPublish))
	}
}

// ScriptEarlyLoss loses the answer of the container creation: the
// container is made, but nothing is published.
func (p containerPlatform) ScriptEarlyLoss(*herald.PublishRequest) {
	p.fake.Script(containerfake.DropAfterPost().On(containerfake.StepCreate))
}

// Posted lists the published posts with their permalinks.
func (p containerPlatform) Posted() []conformance.Posted {
	var out []conformance.Posted
	for _, post := range p.fake.Posts() {
		out = append(out, conformance.Posted{ID: post.ID, URL: post.Permalink, Text: post.Text, Media: post.Media})
	}
	return out
}
