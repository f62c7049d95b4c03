package instagram_test

import (
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/instagram"
	"github.com/heraldhq/herald/publishers/instagram/instagramfake"
	cf "github.com/heraldhq/herald/publishers/internal/container/containerfake"
)

// A container that expires before media_publish (2207020) is a retry, not
// a failure (platforms.md: "container expired (recreate)"); the retry
// publishes the post once.
func TestPublishExpiredContainerRetries(t *testing.T) {
	e := setup(t, instagramfake.Options{}, instagram.Options{})
	e.fake.Script(cf.Error(100, 2207020, "The media container has expired").On(cf.StepPublish))
	req := e.request("late", "https://cdn.example.com/1.jpg")
	if res := e.publish(t, req); res.Outcome != herald.OutcomeRetry || len(e.fake.Posts()) != 0 {
		t.Fatalf("first attempt %+v, posts %d; want retry and none", res, len(e.fake.Posts()))
	}
	req.Attempt++
	if res := e.publish(t, req); res.Outcome != herald.OutcomePublished || len(e.fake.Posts()) != 1 {
		t.Fatalf("second attempt %+v, posts %d; want published and one", res, len(e.fake.Posts()))
	}
}
