package threads_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/container"
	cf "github.com/heraldhq/herald/publishers/internal/container/containerfake"
	"github.com/heraldhq/herald/publishers/internal/testkit"
	"github.com/heraldhq/herald/publishers/threads"
	"github.com/heraldhq/herald/publishers/threads/threadsfake"
)

type env struct {
	fake  *threadsfake.Server
	pub   *threads.Publisher
	mu    sync.Mutex
	state map[string]string
}

func setup(t *testing.T, fo threadsfake.Options) *env {
	t.Helper()
	e := &env{}
	e.fake = threadsfake.New(fo)
	t.Cleanup(e.fake.Close)
	e.pub = threads.New(threads.Options{HTTPClient: testkit.Loopback, Wait: func(context.Context, time.Duration) error { return nil },
		SaveDeliveryState: func(_ context.Context, _ int64, st map[string]string) error {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.state = st
			return nil
		}})
	return e
}

func (e *env) channel() herald.Channel {
	return herald.Channel{ID: 3, Name: "threads", Platform: "threads",
		Config:      map[string]any{"base_url": e.fake.URL, "user_id": e.fake.UserID()},
		Credentials: map[string]string{"access_token": e.fake.Token}}
}

func (e *env) publish(t *testing.T, text string, images ...string) herald.Result {
	t.Helper()
	e.mu.Lock()
	st := e.state
	e.mu.Unlock()
	req := herald.PublishRequest{Workspace: "acme", DeliveryID: 9, Attempt: 1, Channel: e.channel(),
		Message: herald.Message{Text: text, Media: images}, State: st}
	return e.pub.Publish(context.Background(), req)
}

func TestContentShapes(t *testing.T) {
	cases := []struct {
		name       string
		images     []string
		containers int
		kind       string
		media      int
	}{
		{"text", nil, 1, "TEXT", 0},
		{"image", []string{"https://cdn.example.com/a.jpg"}, 1, "IMAGE", 1},
		{"carousel", []string{"https://cdn.example.com/a.jpg", "https://cdn.example.com/b.jpg"}, 3, "CAROUSEL", 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, threadsfake.Options{PollsToFinish: 1})
			res := e.publish(t, "Hello from Herald https://herald.example.com", tc.images...)
			posts := e.fake.Posts()
			if res.Outcome != herald.OutcomePublished || len(posts) != 1 || res.RemoteID != posts[0].ID || res.URL != posts[0].Permalink {
				t.Fatalf("result %+v, posts %+v", res, posts)
			}
			if !strings.HasPrefix(res.URL, "https://www.threads.net/@") || posts[0].Media != tc.media ||
				posts[0].Text != "Hello from Herald https://herald.example.com" {
				t.Fatalf("post %+v", posts[0])
			}
			cs := e.fake.Containers()
			if len(cs) != tc.containers || cs[len(cs)-1].Type != tc.kind {
				t.Fatalf("containers %+v", cs)
			}
			create := e.fake.Calls()[0]
			if create.Path != e.fake.UserID()+"/threads" || create.Params.Get("media_type") == "" {
				t.Fatalf("create call %+v", create)
			}
			want := []string{cf.StepStatus, cf.StepStatus, cf.StepLimit, cf.StepPublish, cf.StepPermalink}
			var got []string
			for _, c := range e.fake.Calls()[tc.containers:] {
				got = append(got, c.Step)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("calls after creating %v, want %v", got, want)
			}
		})
	}
}

func TestRefusedBeforeSending(t *testing.T) {
	e := setup(t, threadsfake.Options{})
	if res := e.publish(t, strings.Repeat("a", threads.MaxText+1)); res.Outcome != herald.OutcomeFailed {
		t.Fatalf("long text: %+v", res)
	}
	if res := e.publish(t, " "); res.Outcome != herald.OutcomeFailed {
		t.Fatalf("empty: %+v", res)
	}
	if n := len(e.fake.Calls()); n != 0 {
		t.Fatalf("%d calls", n)
	}
}

// After a crash while publishing, the stored container is published: no
// second container, one post.
func TestResumeAfterCrash(t *testing.T) {
	e := setup(t, threadsfake.Options{})
	e.fake.Script(cf.Drop().On(cf.StepPublish))
	if res := e.publish(t, "resume"); res.Outcome != herald.OutcomeUnknown {
		t.Fatalf("first attempt %+v", res)
	}
	if e.state[container.StateContainer] == "" {
		t.Fatal("no container stored")
	}
	res := e.publish(t, "resume")
	if res.Outcome != herald.OutcomePublished || len(e.fake.Containers()) != 1 || len(e.fake.Posts()) != 1 {
		t.Fatalf("second attempt %+v, %d containers, %d posts", res, len(e.fake.Containers()), len(e.fake.Posts()))
	}
}

func TestErrors(t *testing.T) {
	for fault, want := range map[string]herald.Outcome{"token": herald.OutcomeReauth, "throttle": herald.OutcomeRetry, "param": herald.OutcomeFailed} {
		e := setup(t, threadsfake.Options{})
		switch fault {
		case "token":
			e.fake.Script(cf.InvalidToken())
		case "throttle":
			e.fake.Script(cf.Throttled(613, 3))
		case "param":
			e.fake.Script(cf.InvalidParam("text"))
		}
		if res := e.publish(t, "hi"); res.Outcome != want || (fault == "throttle" && res.RetryAfter != 3*time.Minute) {
			t.Errorf("%s: %+v", fault, res)
		}
	}
	// A wrong token as Threads itself answers it.
	e := setup(t, threadsfake.Options{})
	ch := e.channel()
	ch.Credentials["access_token"] = "wrong-token"
	res := e.pub.Publish(context.Background(), herald.PublishRequest{Channel: ch, Message: herald.Message{Text: "hi"}})
	if res.Outcome != herald.OutcomeReauth || strings.Contains(res.Request, "wrong-token") {
		t.Fatalf("wrong token: %+v", res)
	}
}

func TestCheck(t *testing.T) {
	e := setup(t, threadsfake.Options{})
	ch := e.channel()
	if err := e.pub.Check(context.Background(), &ch); err != nil {
		t.Fatal(err)
	}
	if c := e.fake.Calls()[0]; c.Path != "me" || c.Params.Get("fields") != "username" {
		t.Fatalf("check call %+v", c)
	}
	e.fake.Script(cf.InvalidToken())
	if err := e.pub.Check(context.Background(), &ch); herald.ErrorCode(err) != herald.EUNAUTHORIZED {
		t.Fatalf("refused token: %v", err)
	}
}

func TestValidateChannel(t *testing.T) {
	p := threads.New(threads.Options{HTTPClient: testkit.Loopback})
	if err := p.ValidateChannel(&herald.Channel{Config: map[string]any{"user_id": "1234"},
		Credentials: map[string]string{"access_token": "THQ"}}); err != nil {
		t.Fatal(err)
	}
	ps := herald.ErrorDetails(p.ValidateChannel(&herald.Channel{Config: map[string]any{"base_url": "nope"}}))
	if len(ps) != 3 {
		t.Fatalf("problems %+v", ps)
	}
}
