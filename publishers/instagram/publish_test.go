package instagram_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/instagram"
	"github.com/heraldhq/herald/publishers/instagram/instagramfake"
	"github.com/heraldhq/herald/publishers/internal/container"
	cf "github.com/heraldhq/herald/publishers/internal/container/containerfake"
)

func TestPublishImage(t *testing.T) {
	e := setup(t, instagramfake.Options{}, instagram.Options{})
	req := e.request("Autumn sale", "https://cdn.example.com/a.jpg")
	req.Message.Link = "https://shop.example.com"
	res := e.publish(t, req)
	posts := e.fake.Posts()
	if res.Outcome != herald.OutcomePublished || len(posts) != 1 {
		t.Fatalf("result %+v, posts %+v", res, posts)
	}
	if res.RemoteID != posts[0].ID || res.URL != posts[0].Permalink || !strings.HasPrefix(res.URL, "https://www.instagram.com/p/") {
		t.Fatalf("result id %q url %q, post %+v", res.RemoteID, res.URL, posts[0])
	}
	if posts[0].Text != "Autumn sale\n\nhttps://shop.example.com" || posts[0].Media != 1 {
		t.Fatalf("post %+v", posts[0])
	}
	want := []string{cf.StepCreate, cf.StepStatus, cf.StepLimit, cf.StepPublish, cf.StepPermalink}
	if got := e.steps(); !slices.Equal(got, want) {
		t.Fatalf("calls %v, want %v", got, want)
	}
	create := e.fake.Calls()[0]
	if create.Params.Get("image_url") != "https://cdn.example.com/a.jpg" || create.Params.Get("caption") != posts[0].Text ||
		!strings.HasPrefix(create.Path, e.fake.UserID()+"/media") {
		t.Fatalf("create call %+v", create)
	}
	cs := e.fake.Containers()
	if got := e.store.get(42)[container.StateContainer]; got != cs[0].ID {
		t.Fatalf("stored container %q, made %q", got, cs[0].ID)
	}
	if strings.Contains(res.Request, e.fake.Token) || strings.Contains(res.Response, e.fake.Token) {
		t.Fatal("the token shows in the result")
	}
}

func TestPublishCarousel(t *testing.T) {
	e := setup(t, instagramfake.Options{}, instagram.Options{})
	imgs := []string{"https://cdn.example.com/1.jpg", "https://cdn.example.com/2.jpg", "https://cdn.example.com/3.jpg"}
	res := e.publish(t, e.request("Three looks", imgs...))
	posts := e.fake.Posts()
	if res.Outcome != herald.OutcomePublished || len(posts) != 1 || posts[0].Media != 3 || res.RemoteID != posts[0].ID {
		t.Fatalf("result %+v, posts %+v", res, posts)
	}
	cs := e.fake.Containers()
	if len(cs) != 4 {
		t.Fatalf("%d containers, want 3 children and a carousel", len(cs))
	}
	for i, c := range cs[:3] {
		if !c.Child || c.Image != imgs[i] || c.Text != "" {
			t.Fatalf("child %d: %+v", i, c)
		}
	}
	if c := cs[3]; c.Type != "CAROUSEL" || strings.Join(c.Children, ",") != cs[0].ID+","+cs[1].ID+","+cs[2].ID || c.Text != "Three looks" {
		t.Fatalf("carousel %+v", c)
	}
	if e.store.get(42)[container.StateContainer] != cs[3].ID {
		t.Fatalf("stored %v, want the carousel's id", e.store.get(42))
	}
}

func TestPublishRefusedBeforeSending(t *testing.T) {
	e := setup(t, instagramfake.Options{}, instagram.Options{})
	eleven := make([]string, 11)
	for i := range eleven {
		eleven[i] = "https://cdn.example.com/x.jpg"
	}
	for name, req := range map[string]herald.PublishRequest{
		"no image":     e.request("text only"),
		"eleven":       e.request("many", eleven...),
		"long caption": e.request(strings.Repeat("é", instagram.MaxCaption+1), "https://cdn.example.com/a.jpg"),
	} {
		res := e.publish(t, req)
		if res.Outcome != herald.OutcomeFailed || res.Reason == "" {
			t.Errorf("%s: %+v", name, res)
		}
	}
	if n := len(e.fake.Calls()); n != 0 {
		t.Fatalf("%d calls made", n)
	}
}

// The container is polled until FINISHED, waiting between polls.
func TestPollsUntilFinished(t *testing.T) {
	e := setup(t, instagramfake.Options{PollsToFinish: 3}, instagram.Options{PollEvery: time.Second, MaxPollWait: 10 * time.Second})
	res := e.publish(t, e.request("slow", "https://cdn.example.com/a.jpg"))
	if res.Outcome != herald.OutcomePublished || e.waits != 3 {
		t.Fatalf("result %+v after %d waits", res, e.waits)
	}
}

// Still IN_PROGRESS after the bounded wait: a retry, which resumes the
// stored container instead of making another.
func TestInProgressRetriesAndResumes(t *testing.T) {
	e := setup(t, instagramfake.Options{PollsToFinish: 5}, instagram.Options{PollEvery: time.Second, MaxPollWait: 2 * time.Second})
	req := e.request("slow", "https://cdn.example.com/a.jpg")
	res := e.publish(t, req)
	if res.Outcome != herald.OutcomeRetry || res.RetryAfter <= 0 || len(e.fake.Posts()) != 0 {
		t.Fatalf("first attempt %+v", res)
	}
	req.Attempt++
	res = e.publish(t, req)
	if res.Outcome != herald.OutcomePublished || len(e.fake.Containers()) != 1 || len(e.fake.Posts()) != 1 {
		t.Fatalf("second attempt %+v, %d containers, %d posts", res, len(e.fake.Containers()), len(e.fake.Posts()))
	}
}

// A crash after the container was stored but before it was published: the
// next attempt publishes that container — no second container, one post.
func TestResumeStoredContainerAfterCrash(t *testing.T) {
	e := setup(t, instagramfake.Options{}, instagram.Options{})
	e.fake.Script(cf.Drop().On(cf.StepPublish)) // the process dies while publishing: nothing published
	req := e.request("resume me", "https://cdn.example.com/1.jpg", "https://cdn.example.com/2.jpg")
	if res := e.publish(t, req); res.Outcome != herald.OutcomeUnknown || !strings.Contains(res.Reason, "container") {
		t.Fatalf("first attempt %+v", res)
	}
	made := len(e.fake.Containers())
	req.Attempt++
	res := e.publish(t, req)
	posts := e.fake.Posts()
	if res.Outcome != herald.OutcomePublished || len(posts) != 1 || res.RemoteID != posts[0].ID || posts[0].Media != 2 {
		t.Fatalf("second attempt %+v, posts %+v", res, posts)
	}
	if len(e.fake.Containers()) != made {
		t.Fatalf("the retry made %d more containers", len(e.fake.Containers())-made)
	}
}

// The publish went through but its answer was lost: the retry finds the
// container PUBLISHED and the post by its caption, and publishes nothing.
func TestResumePublishedContainer(t *testing.T) {
	e := setup(t, instagramfake.Options{}, instagram.Options{})
	e.fake.AddPost("someone else's post", e.clock.Now())
	e.fake.Script(cf.DropAfterPost().On(cf.StepPublish))
	req := e.request("published already", "https://cdn.example.com/1.jpg")
	if res := e.publish(t, req); res.Outcome != herald.OutcomeUnknown {
		t.Fatalf("first attempt %+v", res)
	}
	req.Attempt++
	res := e.publish(t, req)
	posts := e.fake.Posts()
	if len(posts) != 2 || len(e.fake.Containers()) != 1 {
		t.Fatalf("%d posts, %d containers", len(posts), len(e.fake.Containers()))
	}
	if res.Outcome != herald.OutcomePublished || res.RemoteID != posts[1].ID || res.URL != posts[1].Permalink {
		t.Fatalf("second attempt %+v, post %+v", res, posts[1])
	}
}

// A published container whose post can't be found among the recent ones is unknown.
func TestResumePublishedNotFound(t *testing.T) {
	e := setup(t, instagramfake.Options{}, instagram.Options{})
	e.fake.Script(cf.DropAfterPost().On(cf.StepPublish))
	req := e.request("lost", "https://cdn.example.com/1.jpg")
	e.publish(t, req)
	for i := range container.RecentPosts {
		e.fake.AddPost("later "+string(rune('a'+i)), e.clock.Now())
	}
	if res := e.publish(t, req); res.Outcome != herald.OutcomeUnknown || len(e.fake.Posts()) != container.RecentPosts+1 {
		t.Fatalf("result %+v", res)
	}
}

// An expired stored container is replaced by a new one.
func TestResumeExpiredContainer(t *testing.T) {
	e := setup(t, instagramfake.Options{}, instagram.Options{})
	e.fake.Script(cf.Drop().On(cf.StepPublish))
	req := e.request("old", "https://cdn.example.com/1.jpg")
	e.publish(t, req)
	e.clock.Add(25 * time.Hour)
	res := e.publish(t, req)
	cs := e.fake.Containers()
	if res.Outcome != herald.OutcomePublished || len(cs) != 2 || cs[0].Status != "EXPIRED" || e.store.get(42)[container.StateContainer] != cs[1].ID {
		t.Fatalf("result %+v, containers %+v", res, cs)
	}
}

// At the publishing cap: a throttled retry without publishing; once the
// rolling window frees a slot, the post goes out.
func TestPublishingCap(t *testing.T) {
	e := setup(t, instagramfake.Options{QuotaTotal: 2}, instagram.Options{})
	e.fake.AddPost("one", e.clock.Now())
	e.clock.Add(time.Hour)
	e.fake.AddPost("two", e.clock.Now())
	req := e.request("three", "https://cdn.example.com/a.jpg")
	res := e.publish(t, req)
	if res.Outcome != herald.OutcomeRetry || !res.Throttled || res.RetryAfter != container.DefaultQuotaWait || len(e.fake.Posts()) != 2 {
		t.Fatalf("at the cap: %+v", res)
	}
	if slices.Contains(e.steps(), cf.StepPublish) {
		t.Fatal("media_publish was called at the cap")
	}
	frees := e.fake.WindowFreesAt()
	if want := e.clock.Now().Add(23 * time.Hour); !frees.Equal(want) {
		t.Fatalf("window frees at %s, want %s", frees, want)
	}
	e.clock.Add(frees.Sub(e.clock.Now()))
	if res := e.publish(t, req); res.Outcome != herald.OutcomePublished || len(e.fake.Containers()) != 1 {
		t.Fatalf("after the window: %+v", res)
	}
}
