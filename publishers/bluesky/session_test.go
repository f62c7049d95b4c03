package bluesky_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/bluesky"
	"github.com/heraldhq/herald/publishers/bluesky/blueskyfake"
	"github.com/heraldhq/herald/publishers/internal/testkit"
)

func publishOK(t *testing.T, e env, req herald.PublishRequest) herald.Result {
	t.Helper()
	res := e.pub.Publish(context.Background(), req)
	if res.Outcome != herald.OutcomePublished {
		t.Fatalf("%s: %s %s\n%s", req.IdempotencyKey, res.Outcome, res.Reason, res.Request)
	}
	e.noSecrets(t, res)
	return res
}

func TestSessionReusedAcrossPosts(t *testing.T) {
	e := setup(t)
	for i := range 4 {
		publishOK(t, e, e.request(fmt.Sprint("k", i), herald.Message{Text: fmt.Sprint("post ", i)}))
	}
	if n := len(e.fake.CallsTo(createSession)); n != 1 {
		t.Errorf("%d createSession calls for 4 posts, want 1", n)
	}
	// Another channel has its own session.
	req := e.request("other", herald.Message{Text: "other channel"})
	req.Channel.ID = 8
	publishOK(t, e, req)
	if n := e.fake.Sessions(); n != 2 {
		t.Errorf("%d sessions for two channels, want 2", n)
	}
}

func TestRefreshOnExpiredToken(t *testing.T) {
	e := setup(t)
	publishOK(t, e, e.request("a", herald.Message{Text: "a"}))
	e.clock.Add(blueskyfake.DefaultAccessTTL)
	publishOK(t, e, e.request("b", herald.Message{Text: "b"}))
	publishOK(t, e, e.request("c", herald.Message{Text: "c"}))
	if s, r := e.fake.Sessions(), e.fake.Refreshes(); s != 1 || r != 1 {
		t.Errorf("%d sessions, %d refreshes; want 1 and 1", s, r)
	}
	expired := 0
	for _, c := range e.fake.Calls() {
		if c.Error == "ExpiredToken" {
			expired++
		}
	}
	if expired != 1 {
		t.Errorf("%d ExpiredToken answers, want 1 (then the refreshed session)", expired)
	}
	if n := len(e.fake.Posts()); n != 3 {
		t.Errorf("%d posts", n)
	}
}

func TestExpiredRefreshTokenOpensNewSession(t *testing.T) {
	e := setup(t)
	publishOK(t, e, e.request("a", herald.Message{Text: "a"}))
	e.clock.Add(blueskyfake.DefaultRefreshTTL)
	publishOK(t, e, e.request("b", herald.Message{Text: "b"}))
	if s, r := e.fake.Sessions(), e.fake.Refreshes(); s != 2 || r != 0 {
		t.Errorf("%d sessions, %d refreshes; want a second session, no refresh", s, r)
	}
}

// Refresh tokens rotate on use: two refreshes at once would revoke each
// other. Concurrent posts on an expired session refresh it once.
func TestOneRefreshAtATime(t *testing.T) {
	e := setup(t)
	publishOK(t, e, e.request("first", herald.Message{Text: "first"}))
	e.clock.Add(blueskyfake.DefaultAccessTTL)
	var wg sync.WaitGroup
	results := make([]herald.Result, 8)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = e.pub.Publish(context.Background(), e.request(fmt.Sprint("k", i), herald.Message{Text: fmt.Sprint("post ", i)}))
		}()
	}
	wg.Wait()
	for i, r := range results {
		if r.Outcome != herald.OutcomePublished {
			t.Errorf("post %d: %s %s", i, r.Outcome, r.Reason)
		}
	}
	if s, r := e.fake.Sessions(), e.fake.Refreshes(); s != 1 || r != 1 {
		t.Errorf("%d sessions, %d refreshes; want 1 and 1", s, r)
	}
}

func TestRejectedSessionIsDropped(t *testing.T) {
	e := setup(t)
	publishOK(t, e, e.request("a", herald.Message{Text: "a"}))
	e.fake.RevokeSessions()
	if res := e.pub.Publish(context.Background(), e.request("b", herald.Message{Text: "b"})); res.Outcome != herald.OutcomeReauth {
		t.Fatalf("revoked session: %s %s, want reauth", res.Outcome, res.Reason)
	}
	// Once the channel is active again, a new session is opened.
	publishOK(t, e, e.request("b", herald.Message{Text: "b"}))
	if n := e.fake.Sessions(); n != 2 {
		t.Errorf("%d sessions, want 2", n)
	}
}

func TestNewCredentialsNewSession(t *testing.T) {
	e := setup(t)
	publishOK(t, e, e.request("a", herald.Message{Text: "a"}))
	req := e.request("b", herald.Message{Text: "b"})
	req.Channel.Credentials["app_password"] = "wxyz-wxyz-wxyz-wxyz"
	if res := e.pub.Publish(context.Background(), req); res.Outcome != herald.OutcomeReauth {
		t.Errorf("changed password: %s %s; want the new password tried (and refused), not the cached session", res.Outcome, res.Reason)
	}
}

// A putRecord whose answer was lost wrote the post; the retry finds it
// under the same record key and does not write again.
func TestIdempotentRetryAfterLostAnswer(t *testing.T) {
	e := setup(t)
	e.fake.Script(blueskyfake.DropAfterPost().On(putRecord))
	req := e.request("herald-9-lost", herald.Message{Text: "Lost answer", Link: "https://brand.example"})
	first := e.pub.Publish(context.Background(), req)
	if first.Outcome != herald.OutcomeRetry {
		t.Fatalf("first: %s (%s), want retry", first.Outcome, first.Reason)
	}
	req.Attempt = 2
	res := publishOK(t, e, req)
	posts := e.fake.Posts()
	if len(posts) != 1 || posts[0].Writes != 1 || res.RemoteID != posts[0].URI || res.URL != e.postURL(posts[0].Rkey) {
		t.Errorf("retry: %s %s; posts %+v; want the original record, written once", res.RemoteID, res.URL, posts)
	}
	if !bluesky.New(bluesky.Options{HTTPClient: testkit.Loopback}).Idempotent() {
		t.Error("Idempotent must be true")
	}
}

func TestExpiredTokenAnswers(t *testing.T) {
	tests := []struct {
		name      string
		faults    []blueskyfake.Fault
		want      herald.Outcome
		refreshes int
	}{
		{name: "400 ExpiredToken", faults: []blueskyfake.Fault{blueskyfake.ExpiredToken().On(putRecord)}, want: herald.OutcomePublished, refreshes: 1},
		{name: "401 ExpiredToken (some servers)", faults: []blueskyfake.Fault{{NSID: putRecord, Status: 401, Error: "ExpiredToken", Message: "Token has expired"}},
			want: herald.OutcomePublished, refreshes: 1},
		{name: "expired again after the refresh", faults: []blueskyfake.Fault{blueskyfake.ExpiredToken().On(putRecord), blueskyfake.ExpiredToken().On(putRecord)},
			want: herald.OutcomeRetry, refreshes: 1},
		{name: "refresh fails with 500", faults: []blueskyfake.Fault{blueskyfake.ExpiredToken().On(putRecord), blueskyfake.ServerError().On("com.atproto.server.refreshSession")},
			want: herald.OutcomeRetry},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t)
			publishOK(t, e, e.request("warm", herald.Message{Text: "warm the session"}))
			e.fake.Script(tc.faults...)
			res := e.pub.Publish(context.Background(), e.request("k", herald.Message{Text: "x"}))
			if res.Outcome != tc.want || e.fake.Refreshes() != tc.refreshes || e.fake.Sessions() != 1 {
				t.Errorf("got %s (%s), %d refreshes, %d sessions; want %s, %d refreshes, 1 session",
					res.Outcome, res.Reason, e.fake.Refreshes(), e.fake.Sessions(), tc.want, tc.refreshes)
			}
			if e.fake.Pending() != 0 {
				t.Error("a scripted fault was not reached")
			}
			e.noSecrets(t, res)
		})
	}
}
