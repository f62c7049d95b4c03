package vk_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/vk"
	"github.com/heraldhq/herald/publishers/vk/vkfake"
)

func TestOwnPaceBeforeCalling(t *testing.T) {
	e := setup(t, vkfake.Options{}, vk.Options{})
	for i, key := range []string{"a", "b"} {
		if res := e.pub.Publish(context.Background(), e.request(key, herald.Message{Text: key})); res.Outcome != herald.OutcomePublished {
			t.Fatalf("publish %d: %s %s", i+1, res.Outcome, res.Reason)
		}
	}
	res := e.pub.Publish(context.Background(), e.request("c", herald.Message{Text: "c"}))
	if res.Outcome != herald.OutcomeRetry || !res.Throttled || res.RetryAfter != vk.DefaultRateEvery {
		t.Fatalf("third at once: %s throttled=%v after %s (%s); want a throttled retry after %s",
			res.Outcome, res.Throttled, res.RetryAfter, res.Reason, vk.DefaultRateEvery)
	}
	if n := len(e.fake.Calls()); n != 2 {
		t.Errorf("%d calls reached VK; the throttled publish must not call it", n)
	}
	e.clock.Add(res.RetryAfter)
	if res := e.pub.Publish(context.Background(), e.request("c", herald.Message{Text: "c"})); res.Outcome != herald.OutcomePublished {
		t.Errorf("after the wait: %s %s", res.Outcome, res.Reason)
	}
}

func TestLongFlowKeepsThePace(t *testing.T) {
	tests := []struct {
		name      string
		po        vk.Options
		throttled bool // whether VK must have answered error 6 on the way
	}{
		{name: "default pace", po: vk.Options{}},
		// Faster than VK allows: VK answers 6, and the publish waits it out.
		{name: "too fast a pace", po: vk.Options{RateEvery: 100 * time.Millisecond, RateBurst: 3}, throttled: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, vkfake.Options{}, tc.po)
			media := e.photos("cat.png", "dog.jpg", "anim.gif", "cat.png", "dog.jpg", "anim.gif")
			res := e.pub.Publish(context.Background(), e.request("k", herald.Message{Text: "Six", Media: media}))
			if res.Outcome != herald.OutcomePublished || len(e.fake.Posts()) != 1 || e.fake.Posts()[0].Photos != 6 {
				t.Fatalf("%s %s; posts %+v", res.Outcome, res.Reason, e.fake.Posts())
			}
			got := strings.Contains(e.methods(), "=6")
			if got != tc.throttled {
				t.Errorf("VK answered 6: %v, want %v; calls %s", got, tc.throttled, e.methods())
			}
			if !tc.throttled && e.clock.Waited() < 6*vk.DefaultRateEvery { // 8 calls: 2 at once, 6 paced
				t.Errorf("waited %s in all, want at least %s", e.clock.Waited(), 6*vk.DefaultRateEvery)
			}
		})
	}
}

func TestPerSecondLimitMidFlowWaitedOut(t *testing.T) {
	e := setup(t, vkfake.Options{}, vk.Options{})
	e.fake.Script(vkfake.TooManyRequests().On("photos.saveWallPhoto"))
	res := e.pub.Publish(context.Background(), e.request("k", herald.Message{Text: "x", Media: e.photos("cat.png")}))
	if res.Outcome != herald.OutcomePublished {
		t.Fatalf("%s %s", res.Outcome, res.Reason)
	}
	want := "photos.getWallUploadServer upload photos.saveWallPhoto=6 photos.saveWallPhoto wall.post"
	if got := e.methods(); got != want {
		t.Errorf("calls %s\nwant %s", got, want)
	}
	if e.clock.Waited() < vk.TooManyRequestsWait {
		t.Errorf("waited %s, want at least %s after error 6", e.clock.Waited(), vk.TooManyRequestsWait)
	}
}

func TestFloodControlHoldsTheToken(t *testing.T) {
	e := setup(t, vkfake.Options{}, vk.Options{})
	e.fake.Script(vkfake.FloodControl().On("wall.post"))
	if res := e.pub.Publish(context.Background(), e.request("a", herald.Message{Text: "a"})); !res.Throttled {
		t.Fatalf("%s %s, want throttled", res.Outcome, res.Reason)
	}
	e.clock.Add(time.Minute)
	calls := len(e.fake.Calls())
	res := e.pub.Publish(context.Background(), e.request("b", herald.Message{Text: "b"}))
	if !res.Throttled || res.RetryAfter != vk.FloodControlWait-time.Minute || len(e.fake.Calls()) != calls {
		t.Errorf("next publish: %s throttled=%v after %s, %d new calls; want held for the rest of the flood wait without calling VK",
			res.Outcome, res.Throttled, res.RetryAfter, len(e.fake.Calls())-calls)
	}
	other := e.request("c", herald.Message{Text: "c"})
	other.Channel.Credentials["access_token"] = "vk1.a.another-admin"
	if e.pub.Publish(context.Background(), other); len(e.fake.Calls()) != calls+1 {
		t.Error("another token must not be held")
	}
	e.clock.Add(vk.FloodControlWait)
	if res := e.pub.Publish(context.Background(), e.request("b", herald.Message{Text: "b"})); res.Outcome != herald.OutcomePublished {
		t.Errorf("after the wait: %s %s", res.Outcome, res.Reason)
	}
}

func TestLongPauseMidFlowEndsThePublish(t *testing.T) {
	e := setup(t, vkfake.Options{}, vk.Options{RateEvery: vk.MaxInlineWait + time.Second, RateBurst: 1})
	res := e.pub.Publish(context.Background(), e.request("k", herald.Message{Text: "x", Media: e.photos("cat.png")}))
	if res.Outcome != herald.OutcomeRetry || !res.Throttled || res.RetryAfter != vk.MaxInlineWait+time.Second || e.clock.Waited() != 0 {
		t.Errorf("%s throttled=%v after %s, waited %s (%s); want a throttled retry without waiting",
			res.Outcome, res.Throttled, res.RetryAfter, e.clock.Waited(), res.Reason)
	}
	if got := e.methods(); got != "photos.getWallUploadServer upload" {
		t.Errorf("calls %s", got)
	}
}
