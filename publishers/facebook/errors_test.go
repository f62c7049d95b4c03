package facebook_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/facebook"
	"github.com/heraldhq/herald/publishers/facebook/facebookfake"
)

func TestErrorClasses(t *testing.T) {
	photos := []string{"https://cdn.example/1.jpg", "https://cdn.example/2.jpg"}
	tests := []struct {
		name      string
		fault     facebookfake.Fault
		media     []string
		outcome   herald.Outcome
		throttled bool
		after     time.Duration
		reason    string
	}{
		{name: "190 expired token", fault: facebookfake.TokenExpired(), outcome: herald.OutcomeReauth, reason: "Facebook error 190 (subcode 463): Error validating access token"},
		{name: "4 app limit, no time", fault: facebookfake.AppRateLimited(), outcome: herald.OutcomeRetry, throttled: true, after: facebook.DefaultThrottleWait, reason: "Application request limit reached"},
		{name: "32 page limit, X-Page-Usage", fault: facebookfake.PageRateLimited(7), outcome: herald.OutcomeRetry, throttled: true, after: 7 * time.Minute, reason: "Page request limit"},
		{name: "17 user limit, X-Business-Use-Case-Usage", fault: facebookfake.BusinessRateLimited(12), outcome: herald.OutcomeRetry, throttled: true, after: 12 * time.Minute, reason: "User request limit"},
		{name: "341", fault: facebookfake.Error(341, "Application limit reached"), outcome: herald.OutcomeRetry, throttled: true, after: facebook.DefaultThrottleWait},
		{name: "613", fault: facebookfake.Error(613, "Calls to this api have exceeded the rate limit."), outcome: herald.OutcomeRetry, throttled: true, after: facebook.DefaultThrottleWait},
		{name: "368 temporarily blocked", fault: facebookfake.TemporarilyBlocked(), outcome: herald.OutcomeRetry, throttled: true, after: facebook.BlockedWait, reason: "temporarily blocked"},
		{name: "506 duplicate", fault: facebookfake.Duplicate(), outcome: herald.OutcomeFailed, reason: "Facebook rejected it as a duplicate"},
		{name: "100 invalid parameter", fault: facebookfake.InvalidParam("message"), outcome: herald.OutcomeFailed, reason: "Facebook error 100: Invalid parameter: message"},
		{name: "200 permission", fault: facebookfake.PermissionDenied(), outcome: herald.OutcomeFailed, reason: "pages_manage_posts"},
		{name: "10 permission", fault: facebookfake.Error(10, "Application does not have permission for this action"), outcome: herald.OutcomeFailed},
		{name: "1 unknown", fault: facebookfake.Error(1, "An unknown error occurred"), outcome: herald.OutcomeRetry},
		{name: "2 transient 500", fault: facebookfake.Transient(), outcome: herald.OutcomeRetry, reason: "Facebook error 2"},
		{name: "is_transient", fault: facebookfake.Fault{Code: 9999, Msg: "Something odd", Transient: true}, outcome: herald.OutcomeRetry},
		{name: "other code", fault: facebookfake.Error(324, "Missing or invalid image file"), outcome: herald.OutcomeFailed, reason: "324"},
		{name: "502 page", fault: facebookfake.BadGateway(), outcome: herald.OutcomeRetry, reason: "HTTP 502"},
		{name: "garbled 200 to the post", fault: facebookfake.Fault{Status: 200, Body: "<html>ok</html>"}, outcome: herald.OutcomeUnknown, reason: "not what it documents"},
		{name: "garbled 200 to an unpublished photo", fault: facebookfake.Fault{Status: 200, Body: "<html>ok</html>"}, media: photos, outcome: herald.OutcomeRetry, reason: "not what it documents"},
		{name: "drop before answer", fault: facebookfake.Drop(), outcome: herald.OutcomeUnknown, reason: "no answer from Facebook"},
		{name: "drop after post", fault: facebookfake.DropAfterPost(), outcome: herald.OutcomeUnknown, reason: "may have been made"},
		{name: "single photo lost", fault: facebookfake.DropAfterPost().On("photos"), media: photos[:1], outcome: herald.OutcomeUnknown},
		{name: "unpublished photo lost", fault: facebookfake.DropAfterPost().On("photos"), media: photos, outcome: herald.OutcomeRetry, reason: "photo 1 of 2"},
		{name: "unpublished photo refused", fault: facebookfake.Error(324, "Missing or invalid image file").On("photos"), media: photos, outcome: herald.OutcomeFailed, reason: "photo 1 of 2: Facebook error 324"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t)
			e.fake.Script(tc.fault)
			res := e.publish(t, herald.Message{Text: "Hello " + tc.name, Media: tc.media})
			if res.Outcome != tc.outcome || res.Throttled != tc.throttled || res.RetryAfter != tc.after || !strings.Contains(res.Reason, tc.reason) {
				t.Errorf("got %q throttled=%v after=%s reason %q; want %q %v %s containing %q",
					res.Outcome, res.Throttled, res.RetryAfter, res.Reason, tc.outcome, tc.throttled, tc.after, tc.reason)
			}
			if tc.fault.Code != 0 && !strings.Contains(res.Reason, "fbtrace_id") {
				t.Errorf("reason %q lacks the fbtrace_id", res.Reason)
			}
		})
	}
}

// The fake's own 190 for a wrong token is reauth.
func TestWrongTokenIsReauth(t *testing.T) {
	e := setup(t)
	req := e.request(herald.Message{Text: "x"})
	req.Channel.Credentials["page_access_token"] = "EAAGwrong"
	res := e.pub.Publish(t.Context(), req)
	if res.Outcome != herald.OutcomeReauth || !strings.Contains(res.Reason, "Invalid OAuth access token") {
		t.Errorf("got %q %q, want reauth", res.Outcome, res.Reason)
	}
}

// The same message twice within the fake's window: Facebook's own 506.
func TestDuplicateMessage(t *testing.T) {
	e := setup(t)
	if res := e.publish(t, herald.Message{Text: "Same"}); res.Outcome != herald.OutcomePublished {
		t.Fatalf("first: %q %q", res.Outcome, res.Reason)
	}
	res := e.publish(t, herald.Message{Text: "Same"})
	if res.Outcome != herald.OutcomeFailed || !strings.Contains(res.Reason, "Facebook rejected it as a duplicate") {
		t.Errorf("second: %q %q, want failed as a duplicate", res.Outcome, res.Reason)
	}
	e.clock.Add(facebookfake.DefaultDuplicateWindow)
	if res := e.publish(t, herald.Message{Text: "Same"}); res.Outcome != herald.OutcomePublished {
		t.Errorf("after the window: %q %q", res.Outcome, res.Reason)
	}
}

// A throttled channel waits: until the usage header's time passes, Publish
// answers a throttled retry without calling Facebook; afterwards it posts
// (the fake itself refuses calls before that time).
func TestThrottleHonoured(t *testing.T) {
	e := setup(t)
	e.fake.Script(facebookfake.PageRateLimited(5).On("feed"))
	if res := e.publish(t, herald.Message{Text: "one"}); !res.Throttled || res.RetryAfter != 5*time.Minute {
		t.Fatalf("got %q throttled=%v after %s", res.Outcome, res.Throttled, res.RetryAfter)
	}
	calls := len(e.fake.Calls())
	e.clock.Add(4 * time.Minute)
	res := e.publish(t, herald.Message{Text: "one"})
	if res.Outcome != herald.OutcomeRetry || !res.Throttled || res.RetryAfter != time.Minute {
		t.Errorf("within the wait: %q throttled=%v after %s, want a throttled retry after 1m", res.Outcome, res.Throttled, res.RetryAfter)
	}
	if n := len(e.fake.Calls()); n != calls {
		t.Errorf("%d calls reached Facebook within the wait", n-calls)
	}
	e.clock.Add(time.Minute)
	if res := e.publish(t, herald.Message{Text: "one"}); res.Outcome != herald.OutcomePublished {
		t.Errorf("after the wait: %q %q", res.Outcome, res.Reason)
	}
	for _, c := range e.fake.Calls() {
		if c.Fault == "" && c.Code != 0 {
			t.Errorf("a call got error %d: the client did not wait", c.Code)
		}
	}
}

// A successful answer whose usage header is at 100% holds the next publish.
func TestUsageHeaderAtLimitHolds(t *testing.T) {
	e := setup(t)
	e.fake.SetUsage("X-App-Usage", `{"call_count":100,"total_cputime":10,"total_time":10}`)
	if res := e.publish(t, herald.Message{Text: "one"}); res.Outcome != herald.OutcomePublished {
		t.Fatalf("first: %q %q", res.Outcome, res.Reason)
	}
	e.fake.SetUsage("X-App-Usage", "")
	res := e.publish(t, herald.Message{Text: "two"})
	if res.Outcome != herald.OutcomeRetry || !res.Throttled || res.RetryAfter != facebook.DefaultThrottleWait {
		t.Errorf("second: %q throttled=%v after %s", res.Outcome, res.Throttled, res.RetryAfter)
	}
	if got := e.ops(); !slices.Equal(got, []string{"feed"}) {
		t.Errorf("calls %v: the permalink read or the second post went out despite the limit", got)
	}
}
