package instagram_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/instagram"
	"github.com/heraldhq/herald/publishers/instagram/instagramfake"
	"github.com/heraldhq/herald/publishers/internal/testkit"
)

// store is a delivery-state store like the database's: keys merge.
type store struct {
	mu    sync.Mutex
	state map[int64]map[string]string
	err   error
}

func (s *store) save(_ context.Context, id int64, st map[string]string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	if s.state == nil {
		s.state = map[int64]map[string]string{}
	}
	if s.state[id] == nil {
		s.state[id] = map[string]string{}
	}
	for k, v := range st {
		s.state[id][k] = v
	}
	return nil
}

func (s *store) get(id int64) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state[id]
}

type env struct {
	fake  *instagramfake.Server
	pub   *instagram.Publisher
	clock *testkit.Clock
	store *store
	waits int
}

func setup(t *testing.T, fo instagramfake.Options, po instagram.Options) *env {
	t.Helper()
	e := &env{clock: testkit.NewClock(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)), store: &store{}}
	fo.Now = e.clock.Now
	e.fake = instagramfake.New(fo)
	t.Cleanup(e.fake.Close)
	po.Now = e.clock.Now
	po.Wait = func(context.Context, time.Duration) error { e.waits++; return nil }
	po.SaveDeliveryState = e.store.save
	po.HTTPClient = testkit.Loopback // the fake is on loopback
	e.pub = instagram.New(po)
	return e
}

func (e *env) channel() herald.Channel {
	return herald.Channel{ID: 7, Name: "ig", Platform: "instagram",
		Config:      map[string]any{"base_url": e.fake.URL, "ig_user_id": e.fake.UserID(), "graph_version": "v21.0"},
		Credentials: map[string]string{"access_token": e.fake.Token}}
}

func (e *env) request(text string, images ...string) herald.PublishRequest {
	return herald.PublishRequest{Workspace: "acme", DeliveryID: 42, Attempt: 1, Channel: e.channel(),
		Message: herald.Message{Text: text, Media: images}}
}

// publish publishes req, handing it the state stored so far, like the scheduler.
func (e *env) publish(t *testing.T, req herald.PublishRequest) herald.Result {
	t.Helper()
	req.State = e.store.get(req.DeliveryID)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return e.pub.Publish(ctx, req)
}

// steps lists the steps of the calls the fake received.
func (e *env) steps() []string {
	var out []string
	for _, c := range e.fake.Calls() {
		out = append(out, c.Step)
	}
	return out
}
