package bluesky_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/bluesky/blueskyfake"
)

const (
	createSession = "com.atproto.server.createSession"
	putRecord     = "com.atproto.repo.putRecord"
	uploadBlob    = "com.atproto.repo.uploadBlob"
)

func TestErrorClasses(t *testing.T) {
	tests := []struct {
		name       string
		fault      *blueskyfake.Fault
		password   string
		text       string
		image      bool
		want       herald.Outcome
		reason     string
		throttled  bool
		retryAfter time.Duration
	}{
		{name: "429 until ratelimit-reset", fault: ptr(blueskyfake.RateLimited(90 * time.Second).On(putRecord)),
			want: herald.OutcomeRetry, reason: "RateLimitExceeded", throttled: true, retryAfter: 90 * time.Second},
		{name: "createSession 429", fault: ptr(blueskyfake.RateLimited(5 * time.Minute).On(createSession)),
			want: herald.OutcomeRetry, reason: "RateLimitExceeded", throttled: true, retryAfter: 5 * time.Minute},
		{name: "500", fault: ptr(blueskyfake.ServerError().On(putRecord)), want: herald.OutcomeRetry, reason: "InternalServerError"},
		{name: "502 html", fault: ptr(blueskyfake.BadGateway().On(putRecord)), want: herald.OutcomeRetry, reason: "502"},
		{name: "uploadBlob 500", image: true, fault: ptr(blueskyfake.ServerError().On(uploadBlob)), want: herald.OutcomeRetry, reason: "uploadBlob"},
		{name: "400 InvalidRequest", fault: ptr(blueskyfake.InvalidRequest("Invalid app.bsky.feed.post record: Record/langs/0 must be a valid language code").On(putRecord)),
			want: herald.OutcomeFailed, reason: "InvalidRequest: Invalid app.bsky.feed.post record: Record/langs/0"},
		{name: "too long (the fake's own check)", text: strings.Repeat("ё", 301), want: herald.OutcomeFailed,
			reason: "Record/text must not be longer than 300 graphemes"},
		{name: "401 InvalidToken", fault: ptr(blueskyfake.InvalidToken().On(putRecord)), want: herald.OutcomeReauth, reason: "InvalidToken"},
		{name: "wrong app password", password: "wxyz-wxyz-wxyz-wxyz", want: herald.OutcomeReauth, reason: "AuthenticationRequired: Invalid identifier or password"},
		{name: "createSession AccountTakedown", fault: ptr(blueskyfake.Fault{Status: 400, Error: "AccountTakedown", Message: "Account has been taken down"}.On(createSession)),
			want: herald.OutcomeReauth, reason: "AccountTakedown"},
		{name: "connection dropped", fault: ptr(blueskyfake.Drop().On(putRecord)), want: herald.OutcomeRetry, reason: "same record key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t)
			if tc.fault != nil {
				e.fake.Script(*tc.fault)
			}
			if tc.text == "" {
				tc.text = "Hello"
			}
			m := herald.Message{Text: tc.text}
			if tc.image {
				m.Media = []string{e.media.URL + "/1.png"}
			}
			req := e.request("k", m)
			if tc.password != "" {
				req.Channel.Credentials["app_password"] = tc.password
			}
			res := e.pub.Publish(context.Background(), req)
			if res.Outcome != tc.want || !strings.Contains(res.Reason, tc.reason) || res.Throttled != tc.throttled || res.RetryAfter != tc.retryAfter {
				t.Errorf("got %s %q throttled %v retry after %s; want %s containing %q, throttled %v, retry after %s",
					res.Outcome, res.Reason, res.Throttled, res.RetryAfter, tc.want, tc.reason, tc.throttled, tc.retryAfter)
			}
			if n := len(e.fake.Posts()); n != 0 {
				t.Errorf("%d posts", n)
			}
			if e.fake.Pending() != 0 {
				t.Errorf("the scripted fault was not reached")
			}
			e.noSecrets(t, res)
			if tc.password != "" && strings.Contains(res.Request+res.Reason, tc.password) {
				t.Errorf("the wrong password shows in the result: %q", res.Request)
			}
		})
	}
}

// After a 429 the channel waits for the reset: the next attempts are
// throttled without calling the PDS, and the fake sees no early call.
func TestThrottleHonoured(t *testing.T) {
	e := setup(t)
	e.fake.Script(blueskyfake.RateLimited(90 * time.Second).On(putRecord))
	res := e.pub.Publish(context.Background(), e.request("a", herald.Message{Text: "one"}))
	if !res.Throttled || res.RetryAfter != 90*time.Second {
		t.Fatalf("first: %s throttled %v after %s", res.Outcome, res.Throttled, res.RetryAfter)
	}
	calls := len(e.fake.Calls())
	e.clock.Add(30 * time.Second)
	res = e.pub.Publish(context.Background(), e.request("b", herald.Message{Text: "two"}))
	if res.Outcome != herald.OutcomeRetry || !res.Throttled || res.RetryAfter != 60*time.Second {
		t.Errorf("during the wait: %s throttled %v after %s, want a throttled retry after 60s", res.Outcome, res.Throttled, res.RetryAfter)
	}
	if n := len(e.fake.Calls()); n != calls {
		t.Errorf("%d calls reached the PDS during the wait", n-calls)
	}
	e.clock.Add(60 * time.Second)
	if res := e.pub.Publish(context.Background(), e.request("b", herald.Message{Text: "two"})); res.Outcome != herald.OutcomePublished {
		t.Errorf("after the reset: %s %s", res.Outcome, res.Reason)
	}
	for _, c := range e.fake.Calls() {
		if c.Early {
			t.Errorf("call %+v came before ratelimit-reset", c)
		}
	}
}

func TestTimeoutRetries(t *testing.T) {
	e := setup(t)
	e.fake.Script(blueskyfake.Hang().On(putRecord))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if res := e.pub.Publish(ctx, e.request("k", herald.Message{Text: "x"})); res.Outcome != herald.OutcomeRetry {
		t.Errorf("timeout: %s (%s), want retry", res.Outcome, res.Reason)
	}
	e.fake.Release()
}
