package facebook_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/facebook"
	"github.com/heraldhq/herald/publishers/facebook/facebookfake"
	"github.com/heraldhq/herald/publishers/internal/testkit"
)

func TestPublishShapes(t *testing.T) {
	photos := []string{"https://cdn.example/1.jpg", "https://cdn.example/2.jpg", "https://cdn.example/3.jpg"}
	tests := []struct {
		name    string
		msg     herald.Message
		ops     []string // the calls made, in order
		message string   // the post's message as Facebook stores it
		link    string
		photos  []string
	}{
		{name: "text", msg: herald.Message{Text: "Hello Page"}, ops: []string{"feed", "post"}, message: "Hello Page"},
		{name: "text and link", msg: herald.Message{Text: "Read this", Link: "https://brand.example/a"},
			ops: []string{"feed", "post"}, message: "Read this", link: "https://brand.example/a"},
		{name: "link only", msg: herald.Message{Link: "https://brand.example/a"},
			ops: []string{"feed", "post"}, link: "https://brand.example/a"},
		{name: "one photo", msg: herald.Message{Text: "A cat", Link: "https://brand.example/cat", Media: photos[:1]},
			ops: []string{"photos", "post"}, message: "A cat\n\nhttps://brand.example/cat", photos: photos[:1]},
		{name: "one photo, no caption", msg: herald.Message{Media: photos[:1]}, ops: []string{"photos", "post"}, photos: photos[:1]},
		{name: "several photos", msg: herald.Message{Text: "Three cats", Link: "https://brand.example/cats", Media: photos},
			ops: []string{"photos", "photos", "photos", "feed", "post"}, message: "Three cats\n\nhttps://brand.example/cats", photos: photos},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t)
			res := e.publish(t, tc.msg)
			if res.Outcome != herald.OutcomePublished {
				t.Fatalf("outcome %q (%s), want published", res.Outcome, res.Reason)
			}
			posts := e.fake.Posts()
			if len(posts) != 1 {
				t.Fatalf("%d posts, want 1", len(posts))
			}
			p := posts[0]
			if res.RemoteID != p.ID || res.URL != p.PermalinkURL {
				t.Errorf("result %q %q, the fake answered id %q permalink_url %q", res.RemoteID, res.URL, p.ID, p.PermalinkURL)
			}
			if p.Message != tc.message || p.Link != tc.link || !slices.Equal(p.Photos, tc.photos) {
				t.Errorf("posted %q link %q photos %v; want %q %q %v", p.Message, p.Link, p.Photos, tc.message, tc.link, tc.photos)
			}
			if got := e.ops(); !slices.Equal(got, tc.ops) {
				t.Errorf("calls %v, want %v", got, tc.ops)
			}
		})
	}
}

// Several photos are uploaded unpublished, then attached to one /feed post
// in order; nothing else appears on the Page.
func TestPublishSeveralPhotosAttachedMedia(t *testing.T) {
	e := setup(t)
	res := e.publish(t, herald.Message{Text: "Two", Media: []string{"https://cdn.example/a.jpg", "https://cdn.example/b.jpg"}})
	if res.Outcome != herald.OutcomePublished {
		t.Fatalf("outcome %q (%s)", res.Outcome, res.Reason)
	}
	calls := e.fake.Calls()
	var ids []string
	for _, c := range calls[:2] {
		if c.Op != "photos" || c.Params.Get("published") != "false" || c.Params.Get("caption") != "" {
			t.Errorf("upload %s %v, want an unpublished photo without caption", c.Op, c.Params)
		}
	}
	for _, ph := range e.fake.Photos() {
		if ph.Published || ph.Attached != res.RemoteID {
			t.Errorf("photo %+v: want unpublished and attached to %s", ph, res.RemoteID)
		}
		ids = append(ids, ph.ID)
	}
	feed := calls[2]
	for i := range 2 {
		var ref struct {
			ID string `json:"media_fbid"`
		}
		if err := json.Unmarshal([]byte(feed.Params.Get(fmt.Sprintf("attached_media[%d]", i))), &ref); err != nil || !slices.Contains(ids, ref.ID) {
			t.Errorf("attached_media[%d] = %q (%v), want one of %v", i, feed.Params.Get(fmt.Sprintf("attached_media[%d]", i)), err, ids)
		}
	}
	if feed.Params.Has("link") {
		t.Errorf("/feed with attached_media sent link %q", feed.Params.Get("link"))
	}
}

// When the permalink cannot be read, the URL follows Facebook's convention.
func TestPublishPermalinkFallback(t *testing.T) {
	e := setup(t)
	e.fake.Script(facebookfake.Transient().On("post"))
	res := e.publish(t, herald.Message{Text: "Hello"})
	if res.Outcome != herald.OutcomePublished {
		t.Fatalf("outcome %q (%s)", res.Outcome, res.Reason)
	}
	id := e.fake.Posts()[0].ID
	if res.RemoteID != id || res.URL != facebook.PostURL(id) || res.URL != "https://www.facebook.com/"+id {
		t.Errorf("result %q %q, want %q and its convention URL", res.RemoteID, res.URL, id)
	}
}

func TestPublishRefusesBeforeSending(t *testing.T) {
	e := setup(t)
	res := e.publish(t, herald.Message{})
	if res.Outcome != herald.OutcomeFailed || !strings.Contains(res.Reason, "nothing to post") {
		t.Errorf("empty message: %q %q", res.Outcome, res.Reason)
	}
	req := e.request(herald.Message{Text: "x"})
	delete(req.Channel.Config, "page_id")
	if res := e.pub.Publish(t.Context(), req); res.Outcome != herald.OutcomeFailed {
		t.Errorf("no page_id: %q", res.Outcome)
	}
	if n := len(e.fake.Calls()); n != 0 {
		t.Errorf("%d calls, want none", n)
	}
}

func TestGraphVersion(t *testing.T) {
	e := setup(t)
	e.publish(t, herald.Message{Text: "default"})
	req := e.request(herald.Message{Text: "pinned"})
	req.Channel.Config["graph_version"] = "v19.0"
	e.pub.Publish(t.Context(), req)
	if n := len(e.fake.Posts()); n != 2 {
		t.Fatalf("%d posts, want 2", n)
	}
	var versions []string
	for _, c := range e.fake.Calls() {
		versions = append(versions, c.Version)
	}
	want := []string{facebook.DefaultGraphVersion, facebook.DefaultGraphVersion, "v19.0", "v19.0"}
	if !slices.Equal(versions, want) {
		t.Errorf("versions %v, want %v", versions, want)
	}
}

func TestValidateChannel(t *testing.T) {
	pub := facebook.New(facebook.Options{HTTPClient: testkit.Loopback})
	ok := &herald.Channel{Platform: "facebook", Config: map[string]any{"page_id": "104857600012345"},
		Credentials: map[string]string{"page_access_token": "EAAG"}}
	if err := pub.ValidateChannel(ok); err != nil {
		t.Errorf("valid channel: %v", err)
	}
	bad := &herald.Channel{Platform: "facebook", Config: map[string]any{"page_id": "my-page", "graph_version": "21", "base_url": "graph.facebook.com"}}
	var cols []string
	for _, p := range herald.ErrorDetails(pub.ValidateChannel(bad)) {
		cols = append(cols, p.Column)
	}
	want := []string{"config.page_id", "config.graph_version", "config.base_url", "credentials.page_access_token"}
	if !slices.Equal(cols, want) {
		t.Errorf("problems on %v, want %v", cols, want)
	}
}
