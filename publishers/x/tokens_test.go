package x_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/x"
	"github.com/heraldhq/herald/publishers/x/xfake"
)

func TestRefreshOn401SavesBeforeRetry(t *testing.T) {
	e := setup(t, xfake.Options{})
	var atSave string
	e.save.hook = func() { atSave = e.paths() }
	e.clock.Add(3 * time.Hour) // the access token expired
	res := e.pub.Publish(context.Background(), e.request(herald.Message{Text: "After expiry"}))
	if res.Outcome != herald.OutcomePublished {
		t.Fatalf("got %s %q\ncalls: %s", res.Outcome, res.Reason, e.paths())
	}
	e.noSecrets(t, res)
	refs, saves := e.fake.Refreshes(), e.save.Calls()
	if len(refs) != 1 || len(saves) != 1 || e.save.ids[0] != 7 {
		t.Fatalf("%d refreshes, %d saves (ids %v), want 1 and 1 for channel 7", len(refs), len(saves), e.save.ids)
	}
	want := map[string]string{"access_token": refs[0].AccessToken, "refresh_token": refs[0].New,
		"expires_at": e.clock.Now().Add(xfake.DefaultTokenTTL).Format(time.RFC3339)}
	for k, v := range want {
		if saves[0][k] != v {
			t.Errorf("saved %s = %q, want %q", k, saves[0][k], v)
		}
	}
	if atSave != "POST /2/tweets, POST /2/oauth2/token" {
		t.Errorf("calls when the pair was saved: %s; want it saved before the tweet was sent again", atSave)
	}
	if tw := e.fake.Tweets(); len(tw) != 1 || tw[0].Token != refs[0].AccessToken {
		t.Errorf("tweets %+v", tw)
	}
}

func TestRefreshBeforeKnownExpiry(t *testing.T) {
	e := setup(t, xfake.Options{})
	req := e.request(herald.Message{Text: "Soon expiring"})
	req.Channel.Credentials["expires_at"] = e.clock.Now().Add(30 * time.Second).Format(time.RFC3339)
	res := e.pub.Publish(context.Background(), req)
	if res.Outcome != herald.OutcomePublished || e.paths() != "POST /2/oauth2/token, POST /2/tweets" {
		t.Errorf("got %s %q, calls %s; want a refresh first, then the tweet", res.Outcome, res.Reason, e.paths())
	}
}

func TestConcurrent401sRefreshOnce(t *testing.T) {
	e := setup(t, xfake.Options{})
	e.clock.Add(3 * time.Hour)
	e.fake.Script(xfake.Fault{Path: "/2/oauth2/token", Hang: true})
	results := make([]herald.Result, 2)
	var wg sync.WaitGroup
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = e.pub.Publish(context.Background(), e.request(herald.Message{Text: []string{"One", "Two"}[i]}))
		}()
	}
	// Both tweets met 401 with the old token while the first refresh is held.
	deadline := time.Now().Add(5 * time.Second)
	for !(strings.Count(e.paths(), "POST /2/tweets") == 2 && e.fake.Held() == 1) {
		if time.Now().After(deadline) {
			t.Fatalf("calls %s, held %d", e.paths(), e.fake.Held())
		}
		time.Sleep(time.Millisecond) // polling a condition with a deadline
	}
	e.fake.Release()
	wg.Wait()
	for i, res := range results {
		if res.Outcome != herald.OutcomePublished {
			t.Errorf("publish %d: %s %q", i, res.Outcome, res.Reason)
		}
	}
	if n, s := len(e.fake.Refreshes()), len(e.save.Calls()); n != 1 || s != 1 {
		t.Errorf("%d refreshes, %d SaveCredentials calls; want 1 and 1\ncalls: %s", n, s, e.paths())
	}
	for _, tw := range e.fake.Tweets() {
		if tw.Token != e.fake.Refreshes()[0].AccessToken {
			t.Errorf("tweet %q sent with an old token", tw.Text)
		}
	}
}

func TestStaleCredentialsUseLatestPair(t *testing.T) {
	e := setup(t, xfake.Options{})
	e.clock.Add(3 * time.Hour)
	first := e.pub.Publish(context.Background(), e.request(herald.Message{Text: "First"}))
	// The second delivery was claimed before the refresh: it carries the spent pair.
	second := e.pub.Publish(context.Background(), e.request(herald.Message{Text: "Second"}))
	if first.Outcome != herald.OutcomePublished || second.Outcome != herald.OutcomePublished {
		t.Fatalf("first %s %q, second %s %q", first.Outcome, first.Reason, second.Outcome, second.Reason)
	}
	if n := len(e.fake.Refreshes()); n != 1 || strings.Count(e.paths(), "oauth2") != 1 {
		t.Errorf("%d refreshes, calls %s; want the second delivery to reuse the new pair", n, e.paths())
	}
}

func TestReusedRefreshTokenReauth(t *testing.T) {
	e := setup(t, xfake.Options{})
	e.clock.Add(3 * time.Hour)
	if res := e.pub.Publish(context.Background(), e.request(herald.Message{Text: "First"})); res.Outcome != herald.OutcomePublished {
		t.Fatalf("first: %s %q", res.Outcome, res.Reason)
	}
	// A restarted Herald that lost the new pair has only the spent refresh token.
	restarted := x.New(e.opts)
	res := restarted.Publish(context.Background(), e.request(herald.Message{Text: "Second"}))
	if res.Outcome != herald.OutcomeReauth || !strings.Contains(res.Reason, "invalid_grant") {
		t.Errorf("got %s %q, want reauth with invalid_grant", res.Outcome, res.Reason)
	}
	e.noSecrets(t, res)
	if n := len(e.save.Calls()); n != 1 {
		t.Errorf("%d saves, want only the first refresh's", n)
	}
}

func TestRevokedReauth(t *testing.T) {
	e := setup(t, xfake.Options{})
	e.fake.Revoke()
	res := e.pub.Publish(context.Background(), e.request(herald.Message{Text: "Revoked"}))
	if res.Outcome != herald.OutcomeReauth || res.Reason == "" || len(e.fake.Tweets()) != 0 {
		t.Errorf("got %s %q", res.Outcome, res.Reason)
	}
}

func TestSecond401Reauth(t *testing.T) {
	e := setup(t, xfake.Options{})
	e.fake.Script(xfake.Unauthorized(), xfake.Unauthorized())
	res := e.pub.Publish(context.Background(), e.request(herald.Message{Text: "Twice"}))
	if res.Outcome != herald.OutcomeReauth || e.paths() != "POST /2/tweets, POST /2/oauth2/token, POST /2/tweets" {
		t.Errorf("got %s %q, calls %s; want one refresh, then reauth", res.Outcome, res.Reason, e.paths())
	}
}

func TestSaveFailureRetriesAndKeepsPair(t *testing.T) {
	e := setup(t, xfake.Options{})
	e.save.err = errors.New("database is locked")
	e.clock.Add(3 * time.Hour)
	req := e.request(herald.Message{Text: "Kept"})
	res := e.pub.Publish(context.Background(), req)
	if res.Outcome != herald.OutcomeRetry || !strings.Contains(res.Reason, "database is locked") || len(e.fake.Tweets()) != 0 {
		t.Fatalf("got %s %q, tweets %d; want retry with the reason and no tweet", res.Outcome, res.Reason, len(e.fake.Tweets()))
	}
	if !strings.Contains(e.logs.String(), `"level":"error"`) {
		t.Errorf("no error-level log line: %s", e.logs.String())
	}
	e.noSecrets(t, res)
	e.save.err = nil
	res = e.pub.Publish(context.Background(), req) // still the old credentials, as stored
	if res.Outcome != herald.OutcomePublished {
		t.Fatalf("second attempt: %s %q", res.Outcome, res.Reason)
	}
	saves := e.save.Calls()
	if len(e.fake.Refreshes()) != 1 || len(saves) != 2 || saves[1]["refresh_token"] != e.fake.Refreshes()[0].New {
		t.Errorf("%d refreshes, saves %d; want the kept pair stored on the second attempt", len(e.fake.Refreshes()), len(saves))
	}
}

func TestNoCredentialStoreNoRefresh(t *testing.T) {
	e := setup(t, xfake.Options{})
	o := e.opts
	o.SaveCredentials = nil
	e.clock.Add(3 * time.Hour)
	res := x.New(o).Publish(context.Background(), e.request(herald.Message{Text: "Nowhere to keep it"}))
	if res.Outcome != herald.OutcomeReauth || strings.Contains(e.paths(), "oauth2") {
		t.Errorf("got %s %q, calls %s; want reauth without spending the refresh token", res.Outcome, res.Reason, e.paths())
	}
}

func TestPublicClientRefresh(t *testing.T) {
	e := setup(t, xfake.Options{PublicClient: true})
	e.clock.Add(3 * time.Hour)
	req := e.request(herald.Message{Text: "Public client"})
	delete(req.Channel.Credentials, "client_secret")
	if res := e.pub.Publish(context.Background(), req); res.Outcome != herald.OutcomePublished {
		t.Errorf("got %s %q", res.Outcome, res.Reason)
	}
}

func TestUploadRefreshesOn401(t *testing.T) {
	e := setup(t, xfake.Options{})
	e.clock.Add(3 * time.Hour)
	res := e.pub.Publish(context.Background(), e.request(herald.Message{Text: "Pet", Media: e.images("1.png")}))
	want := "POST /2/media/upload, POST /2/oauth2/token, POST /2/media/upload, POST /2/tweets"
	if res.Outcome != herald.OutcomePublished || e.paths() != want {
		t.Errorf("got %s %q, calls %s; want %s", res.Outcome, res.Reason, e.paths(), want)
	}
}
