package bluesky_test

import (
	"context"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/bluesky"
	"github.com/heraldhq/herald/publishers/bluesky/blueskyfake"
	"github.com/heraldhq/herald/publishers/internal/testkit"
)

func TestContentShapes(t *testing.T) {
	type facet struct {
		start, end int
		uri        string
	}
	tests := []struct {
		name     string
		msg      func(e env) herald.Message
		text     string
		facets   []facet
		card     string // the link card's uri, "" for none
		images   int
		wantBody bool // the post's text is Message.Body()
	}{
		{name: "text only", msg: func(env) herald.Message { return herald.Message{Text: "Hello, Bluesky"} },
			text: "Hello, Bluesky"},
		{name: "text and link", msg: func(env) herald.Message {
			return herald.Message{Text: "New post", Link: "https://brand.example/blog"}
		}, text: "New post\n\nhttps://brand.example/blog", facets: []facet{{10, 36, "https://brand.example/blog"}},
			card: "https://brand.example/blog"},
		{name: "emoji and cyrillic before the link", msg: func(env) herald.Message {
			return herald.Message{Text: "Привет 👋🏽 мир — https://brand.example/путь?q=1 ok"}
		}, text: "Привет 👋🏽 мир — https://brand.example/путь?q=1 ok",
			// Привет 12 bytes, 👋🏽 8, мир 6, — 3, spaces 4: the link starts at byte 33.
			facets: []facet{{33, 33 + len("https://brand.example/путь?q=1"), "https://brand.example/путь?q=1"}},
			card:   "https://brand.example/путь?q=1"},
		{name: "two links, trailing punctuation", msg: func(env) herald.Message {
			return herald.Message{Text: "See https://a.example/x. And (https://b.example/y)!"}
		}, text: "See https://a.example/x. And (https://b.example/y)!",
			facets: []facet{{4, 23, "https://a.example/x"}, {30, 49, "https://b.example/y"}}, card: "https://a.example/x"},
		{name: "one image and a link: no card", msg: func(e env) herald.Message {
			return herald.Message{Text: "Pic 🐈", Link: "https://brand.example/cat", Media: []string{e.media.URL + "/1.png"}}
		}, text: "Pic 🐈\n\nhttps://brand.example/cat", facets: []facet{{10, 35, "https://brand.example/cat"}}, images: 1},
		{name: "four images, one sniffed", msg: func(e env) herald.Message {
			return herald.Message{Text: "Four", Media: []string{e.media.URL + "/1.png", e.media.URL + "/2.png", e.media.URL + "/3.png", e.media.URL + "/sniffed"}}
		}, text: "Four", images: 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t)
			req := e.request("key-"+tc.name, tc.msg(e))
			res := e.pub.Publish(context.Background(), req)
			if res.Outcome != herald.OutcomePublished {
				t.Fatalf("outcome %s: %s\n%s", res.Outcome, res.Reason, res.Request)
			}
			posts := e.fake.Posts()
			if len(posts) != 1 {
				t.Fatalf("%d posts", len(posts))
			}
			p := posts[0]
			if p.Text != tc.text || p.Text != req.Message.Body() {
				t.Errorf("text %q, want %q", p.Text, tc.text)
			}
			var got []facet
			for _, f := range p.Facets {
				if f.Type != "app.bsky.richtext.facet#link" || f.Covered != f.URI {
					t.Errorf("facet %+v does not cover its link", f)
				}
				got = append(got, facet{f.ByteStart, f.ByteEnd, f.URI})
			}
			if len(got) != len(tc.facets) {
				t.Fatalf("facets %+v, want %+v", got, tc.facets)
			}
			for i := range got {
				if got[i] != tc.facets[i] {
					t.Errorf("facet %d: %+v, want %+v", i, got[i], tc.facets[i])
				}
			}
			switch {
			case tc.card != "":
				if p.EmbedType != "app.bsky.embed.external" || p.External == nil || p.External.URI != tc.card || p.External.Title != tc.card || p.External.Description != "" {
					t.Errorf("embed %q %+v, want a card for %s", p.EmbedType, p.External, tc.card)
				}
			case tc.images > 0:
				if p.EmbedType != "app.bsky.embed.images" || len(p.Images) != tc.images {
					t.Errorf("embed %q with %d images, want %d", p.EmbedType, len(p.Images), tc.images)
				}
				for _, im := range p.Images {
					if im.Alt != "" || im.MimeType != "image/png" || im.Size != len(png) {
						t.Errorf("image %+v", im)
					}
				}
			default:
				if p.EmbedType != "" {
					t.Errorf("embed %q, want none", p.EmbedType)
				}
			}
			rkey := bluesky.RecordKey(req.IdempotencyKey)
			if p.Rkey != rkey || res.RemoteID != p.URI || p.URI != "at://"+e.fake.DID+"/app.bsky.feed.post/"+rkey || res.URL != e.postURL(rkey) {
				t.Errorf("remote id %q url %q; post %s rkey %s, want rkey %s", res.RemoteID, res.URL, p.URI, p.Rkey, rkey)
			}
			e.noSecrets(t, res)
		})
	}
}

func TestMediaProblems(t *testing.T) {
	tests := []struct {
		name   string
		paths  []string
		want   herald.Outcome
		reason string
	}{
		{name: "five images", paths: []string{"/1.png", "/2.png", "/3.png", "/4.png", "/5.png"}, want: herald.OutcomeFailed, reason: "at most 4"},
		{name: "not found", paths: []string{"/missing.png"}, want: herald.OutcomeFailed, reason: "404"},
		{name: "not an image", paths: []string{"/page.html"}, want: herald.OutcomeFailed, reason: "text/html"},
		{name: "over 1,000,000 bytes", paths: []string{"/big.png"}, want: herald.OutcomeFailed, reason: "bound"},
		{name: "media host 503", paths: []string{"/flaky.png"}, want: herald.OutcomeRetry, reason: "503"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t)
			var urls []string
			for _, p := range tc.paths {
				urls = append(urls, e.media.URL+p)
			}
			res := e.pub.Publish(context.Background(), e.request("k", herald.Message{Text: "x", Media: urls}))
			if res.Outcome != tc.want || !strings.Contains(res.Reason, tc.reason) {
				t.Errorf("got %s %q, want %s containing %q", res.Outcome, res.Reason, tc.want, tc.reason)
			}
			if n := len(e.fake.Posts()); n != 0 {
				t.Errorf("%d posts", n)
			}
			if n := len(e.fake.Blobs()); n != 0 {
				t.Errorf("%d blobs uploaded before the post was known to be possible", n)
			}
		})
	}
}

func TestRecordKey(t *testing.T) {
	seen := map[string]string{}
	for i := 0; i < 2000; i++ {
		key := "herald-acme-" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + "-" + itoa(i)
		rk := bluesky.RecordKey(key)
		if !blueskyfake.ValidTID(rk) {
			t.Fatalf("RecordKey(%q) = %q, not a valid TID", key, rk)
		}
		if rk != bluesky.RecordKey(key) {
			t.Fatalf("RecordKey(%q) is not deterministic", key)
		}
		if other, dup := seen[rk]; dup {
			t.Fatalf("%q and %q share record key %s", key, other, rk)
		}
		seen[rk] = key
	}
	// Derived keys sort below keys clients give posts today (2026).
	if rk := bluesky.RecordKey("k"); rk >= "3m" {
		t.Errorf("RecordKey = %s: its timestamp is not in 2023–2024", rk)
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	s := ""
	for ; i > 0; i /= 10 {
		s = string(rune('0'+i%10)) + s
	}
	return s
}

func TestValidateChannel(t *testing.T) {
	p := bluesky.New(bluesky.Options{HTTPClient: testkit.Loopback})
	ok := &herald.Channel{Config: map[string]any{"handle": "brand.bsky.social"}, Credentials: map[string]string{"app_password": "a-b-c-d"}}
	if err := p.ValidateChannel(ok); err != nil {
		t.Errorf("valid channel: %v", err)
	}
	bad := &herald.Channel{Config: map[string]any{"pds_url": "bsky.social", "handle": "no dots"}}
	err := p.ValidateChannel(bad)
	e, isErr := err.(*herald.Error)
	if !isErr || e.Code != herald.EVALIDATION || len(e.Details) != 3 {
		t.Fatalf("got %v, want 3 problems", err)
	}
	for i, col := range []string{"config.pds_url", "config.handle", "credentials.app_password"} {
		if e.Details[i].Column != col {
			t.Errorf("problem %d on %q, want %q", i, e.Details[i].Column, col)
		}
	}
}
