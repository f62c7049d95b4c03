package mastodon_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/mastodon"
	"github.com/heraldhq/herald/publishers/mastodon/mastodonfake"
)

func TestReconcileFindsALostStatus(t *testing.T) {
	e := setup(t, mastodonfake.Options{}, mastodon.Options{})
	e.fake.Script(mastodonfake.DropAfterPost().On("/api/v1/statuses"))
	msg := herald.Message{Text: "Launch day <3 & more\nsecond line", Link: "https://example.com/a/very/long/path/to/the/launch-announcement?x=1"}
	req := e.request("lost", msg)
	if res := e.pub.Publish(context.Background(), req); res.Outcome != herald.OutcomeRetry {
		t.Fatalf("lost answer: %s (%s)", res.Outcome, res.Reason)
	}
	posted := e.fake.Statuses()
	if len(posted) != 1 {
		t.Fatalf("%d statuses posted", len(posted))
	}
	res, found, err := e.pub.Reconcile(context.Background(), req, clock.Add(-time.Hour))
	if err != nil || !found {
		t.Fatalf("Reconcile: found=%v err=%v", found, err)
	}
	if res.Outcome != herald.OutcomePublished || res.RemoteID != posted[0].ID || res.URL != posted[0].URL {
		t.Fatalf("got %s %q %q, want published %q %q", res.Outcome, res.RemoteID, res.URL, posted[0].ID, posted[0].URL)
	}
	e.noToken(t, res)
	calls := e.fake.Calls()
	last := calls[len(calls)-1]
	if last.Method != "GET" || last.Path != "/api/v1/accounts/"+mastodonfake.AccountID+"/statuses" {
		t.Errorf("last call %s %s, want the account's statuses", last.Method, last.Path)
	}
}

func TestReconcileNotFound(t *testing.T) {
	e := setup(t, mastodonfake.Options{}, mastodon.Options{})
	if res := e.pub.Publish(context.Background(), e.request("a", herald.Message{Text: "Hello"})); res.Outcome != herald.OutcomePublished {
		t.Fatal(res.Reason)
	}
	if res := e.pub.Publish(context.Background(), e.request("b", herald.Message{Text: "Twice"})); res.Outcome != herald.OutcomePublished {
		t.Fatal(res.Reason)
	}
	if res := e.pub.Publish(context.Background(), e.request("c", herald.Message{Text: "Twice"})); res.Outcome != herald.OutcomePublished {
		t.Fatal(res.Reason)
	}
	if res := e.pub.Publish(context.Background(), e.request("d", herald.Message{Text: "With image", Media: []string{e.media.URL + "/cat.png"}})); res.Outcome != herald.OutcomePublished {
		t.Fatal(res.Reason)
	}
	for name, tc := range map[string]struct {
		msg   herald.Message
		since time.Time
	}{
		"other text":                {herald.Message{Text: "Hello world"}, clock.Add(-time.Hour)},
		"posted before since":       {herald.Message{Text: "Hello"}, clock.Add(time.Second)},
		"two alike (can't tell)":    {herald.Message{Text: "Twice"}, clock.Add(-time.Hour)},
		"same text, no media":       {herald.Message{Text: "With image"}, clock.Add(-time.Hour)},
		"same text, other media no": {herald.Message{Text: "Hello", Media: []string{e.media.URL + "/cat.png"}}, clock.Add(-time.Hour)},
	} {
		t.Run(name, func(t *testing.T) {
			res, found, err := e.pub.Reconcile(context.Background(), e.request("x", tc.msg), tc.since)
			if err != nil || found || res.Outcome != "" {
				t.Fatalf("found=%v err=%v res=%+v, want not found", found, err, res)
			}
		})
	}
	res, found, err := e.pub.Reconcile(context.Background(), e.request("x", herald.Message{Text: "With image", Media: []string{"https://elsewhere.example/a.png"}}), clock.Add(-time.Hour))
	if err != nil || !found || res.RemoteID != e.fake.Statuses()[3].ID {
		t.Fatalf("with its media count: found=%v err=%v %+v", found, err, res)
	}
}

func TestReconcileReadsOlderPages(t *testing.T) {
	e := setup(t, mastodonfake.Options{}, mastodon.Options{})
	for i := range 45 {
		if res := e.pub.Publish(context.Background(), e.request(fmt.Sprint(i), herald.Message{Text: fmt.Sprintf("post %d", i)})); res.Outcome != herald.OutcomePublished {
			t.Fatal(res.Reason)
		}
	}
	res, found, err := e.pub.Reconcile(context.Background(), e.request("x", herald.Message{Text: "post 0"}), clock.Add(-time.Hour))
	if err != nil || !found || res.RemoteID != e.fake.Statuses()[0].ID {
		t.Fatalf("found=%v err=%v %+v", found, err, res)
	}
	pages := 0
	for _, c := range e.fake.Calls() {
		if strings.HasSuffix(c.Path, "/statuses") && c.Method == "GET" {
			pages++
		}
	}
	if pages != 2 {
		t.Errorf("%d pages read, want 2", pages)
	}
}

func TestReconcileErrors(t *testing.T) {
	e := setup(t, mastodonfake.Options{}, mastodon.Options{})
	req := e.request("x", herald.Message{Text: "Hello"})
	req.Channel.Credentials["access_token"] = "wrong"
	if _, found, err := e.pub.Reconcile(context.Background(), req, clock); err == nil || found || !strings.Contains(err.Error(), "invalid") {
		t.Fatalf("wrong token: found=%v err=%v", found, err)
	}
	e.fake.Script(mastodonfake.ServerError().On("/api/v1/accounts/"))
	req = e.request("x", herald.Message{Text: "Hello"})
	_, found, err := e.pub.Reconcile(context.Background(), req, clock)
	if err == nil || found || strings.Contains(err.Error(), token) {
		t.Fatalf("5xx: found=%v err=%v", found, err)
	}
}

func TestStripHTML(t *testing.T) {
	for _, text := range []string{"plain", "a & b <c>", "one\ntwo\n\nthree https://example.com/x", "Café 😀 https://example.com/" + strings.Repeat("p", 40)} {
		if got := mastodon.StripHTML(mastodonfake.Content(text)); got != text {
			t.Errorf("StripHTML(Content(%q)) = %q", text, got)
		}
	}
}
