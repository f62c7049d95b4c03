package facebook_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/facebook/facebookfake"
)

// A post whose answer was lost (unknown) is found on the Page's feed.
func TestReconcileFindsLostPost(t *testing.T) {
	e := setup(t)
	since := e.clock.Now().Add(-time.Hour)
	e.fake.AddPost("Launch day", since.Add(-time.Minute)) // older than since: ignored
	e.fake.AddPost("Something else", e.clock.Now())
	msg := herald.Message{Text: "Launch day", Media: []string{"https://cdn.example/1.jpg", "https://cdn.example/2.jpg"}, Link: "https://brand.example/l"}
	e.fake.Script(facebookfake.DropAfterPost().On("feed"))
	if res := e.publish(t, msg); res.Outcome != herald.OutcomeUnknown {
		t.Fatalf("publish: %q %q, want unknown", res.Outcome, res.Reason)
	}
	post := e.fake.Posts()[0]
	res, found, err := e.pub.Reconcile(context.Background(), e.request(msg), since)
	if err != nil || !found {
		t.Fatalf("found=%v err=%v", found, err)
	}
	if res.Outcome != herald.OutcomePublished || res.RemoteID != post.ID || res.URL != post.PermalinkURL {
		t.Errorf("got %+v, want published %s %s", res, post.ID, post.PermalinkURL)
	}
	if strings.Contains(res.Request+res.Response, e.fake.Token) {
		t.Errorf("the result shows the token")
	}
	last := e.fake.Calls()[len(e.fake.Calls())-1]
	if last.Op != "list" || last.Params.Get("since") == "" || !strings.Contains(last.Params.Get("fields"), "permalink_url") {
		t.Errorf("last call %s %v, want GET /{page-id}/feed with since and fields", last.Op, last.Params)
	}
}

func TestReconcileNotFound(t *testing.T) {
	e := setup(t)
	since := e.clock.Now()
	msg := herald.Message{Text: "Twice"}
	for _, tc := range []struct {
		name  string
		posts []time.Time
	}{
		{name: "none"},
		{name: "only before since", posts: []time.Time{since.Add(-time.Second)}},
		{name: "ambiguous", posts: []time.Time{since, since.Add(time.Minute)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t)
			for _, at := range tc.posts {
				e.fake.AddPost(msg.Text, at)
			}
			res, found, err := e.pub.Reconcile(context.Background(), e.request(msg), since)
			if err != nil || found || res.Outcome != "" || res.RemoteID != "" {
				t.Errorf("found=%v err=%v res=%+v, want not found", found, err, res)
			}
		})
	}
}

func TestReconcileLookupFails(t *testing.T) {
	e := setup(t)
	req := e.request(herald.Message{Text: "x"})
	req.Channel.Credentials["page_access_token"] = "EAAGwrong"
	_, found, err := e.pub.Reconcile(context.Background(), req, e.clock.Now())
	if err == nil || found || !strings.Contains(err.Error(), "Invalid OAuth access token") || strings.Contains(err.Error(), "EAAGwrong") {
		t.Errorf("found=%v err=%v, want Facebook's reason without the token", found, err)
	}
}

// A post without text cannot be told from others: not found, no lookup.
func TestReconcileWithoutText(t *testing.T) {
	e := setup(t)
	e.fake.AddPost("", e.clock.Now())
	_, found, err := e.pub.Reconcile(context.Background(), e.request(herald.Message{Link: "https://brand.example/x"}), e.clock.Now().Add(-time.Hour))
	if err != nil || found || len(e.fake.Calls()) != 0 {
		t.Errorf("found=%v err=%v calls=%d, want not found without a lookup", found, err, len(e.fake.Calls()))
	}
}
