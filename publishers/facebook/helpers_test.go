package facebook_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/facebook"
	"github.com/heraldhq/herald/publishers/facebook/facebookfake"
	"github.com/heraldhq/herald/publishers/internal/testkit"
	"github.com/rs/zerolog"
)

type env struct {
	fake  *facebookfake.Server
	pub   *facebook.Publisher
	clock *testkit.Clock
	logs  *testkit.SyncBuffer
}

func setup(t *testing.T) env {
	t.Helper()
	c := testkit.NewClock(time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC))
	fake := facebookfake.New(facebookfake.Options{Now: c.Now})
	t.Cleanup(fake.Close)
	var logs testkit.SyncBuffer
	pub := facebook.New(facebook.Options{HTTPClient: testkit.Loopback, Now: c.Now, Logger: zerolog.New(&logs).Level(zerolog.DebugLevel)})
	return env{fake: fake, pub: pub, clock: c, logs: &logs}
}

func (e env) channel() herald.Channel {
	return herald.Channel{ID: 7, Name: "fb", Platform: "facebook",
		Config:      map[string]any{"base_url": e.fake.URL, "page_id": e.fake.PageID},
		Credentials: map[string]string{"page_access_token": e.fake.Token}}
}

func (e env) request(m herald.Message) herald.PublishRequest {
	return herald.PublishRequest{Workspace: "acme", DeliveryID: 9, IdempotencyKey: "herald-acme-9", Attempt: 1,
		Channel: e.channel(), Message: m}
}

// publish publishes m and fails t when the token shows in the Result or the logs.
func (e env) publish(t *testing.T, m herald.Message) herald.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res := e.pub.Publish(ctx, e.request(m))
	for name, s := range map[string]string{"Request": res.Request, "Response": res.Response, "Reason": res.Reason, "logs": e.logs.String()} {
		if strings.Contains(s, e.fake.Token) {
			t.Errorf("%s contains the token: %q", name, s)
		}
	}
	return res
}

// ops lists the kinds of calls the fake received, in order.
func (e env) ops() []string {
	var ops []string
	for _, c := range e.fake.Calls() {
		ops = append(ops, c.Op)
	}
	return ops
}

func ptr[T any](v T) *T { return &v }
