package linkedin_test

import (
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/linkedin"
	"github.com/heraldhq/herald/publishers/linkedin/linkedinfake"
)

func TestUnauthorizedIsReauth(t *testing.T) {
	e := setup(t, linkedinfake.Options{}, linkedin.Options{})
	e.fake.Script(linkedinfake.Unauthorized().On(linkedinfake.OpPosts))
	res := e.publish(t, herald.Message{Text: "hello"})
	wantOutcome(t, res, herald.OutcomeReauth)
	if !strings.Contains(res.Reason, "EXPIRED_ACCESS_TOKEN") {
		t.Errorf("reason %q lacks LinkedIn's code", res.Reason)
	}
}

func TestWrongTokenIsReauth(t *testing.T) {
	e := setup(t, linkedinfake.Options{}, linkedin.Options{})
	req := e.request(herald.Message{Text: "hello"})
	req.Channel.Credentials = map[string]string{"access_token": "AQV-another-token"}
	wantOutcome(t, e.publishReq(t, req), herald.OutcomeReauth)
}

func TestDuplicatePostNamesTheExistingURN(t *testing.T) {
	e := setup(t, linkedinfake.Options{}, linkedin.Options{})
	first := e.publish(t, herald.Message{Text: "same words (twice)"})
	wantOutcome(t, first, herald.OutcomePublished)
	res := e.publish(t, herald.Message{Text: "same words (twice)"})
	wantOutcome(t, res, herald.OutcomeFailed)
	if !strings.Contains(res.Reason, "already published as "+first.RemoteID) || !strings.Contains(res.Reason, "DUPLICATE_POST") {
		t.Errorf("reason %q does not name %s", res.Reason, first.RemoteID)
	}
	if len(e.fake.Posts()) != 1 {
		t.Errorf("%d posts, want 1", len(e.fake.Posts()))
	}
}

func TestThrottledWaitsTheDefault(t *testing.T) {
	e := setup(t, linkedinfake.Options{}, linkedin.Options{})
	e.fake.Script(linkedinfake.Throttled().On(linkedinfake.OpPosts))
	res := e.publish(t, herald.Message{Text: "hello"})
	wantOutcome(t, res, herald.OutcomeRetry)
	if !res.Throttled || res.RetryAfter != linkedin.DefaultThrottleWait {
		t.Fatalf("throttled=%v retry_after=%s, want a throttled retry after %s", res.Throttled, res.RetryAfter, linkedin.DefaultThrottleWait)
	}
	// The channel is held: the next publish waits without calling LinkedIn.
	calls := len(e.fake.Calls())
	e.clock.Add(time.Minute)
	next := e.publish(t, herald.Message{Text: "hello again"})
	if next.Outcome != herald.OutcomeRetry || !next.Throttled || next.RetryAfter != linkedin.DefaultThrottleWait-time.Minute {
		t.Errorf("while held: %q throttled=%v after %s", next.Outcome, next.Throttled, next.RetryAfter)
	}
	if len(e.fake.Calls()) != calls {
		t.Error("a held channel called LinkedIn")
	}
	e.clock.Add(linkedin.DefaultThrottleWait)
	wantOutcome(t, e.publish(t, herald.Message{Text: "hello at last"}), herald.OutcomePublished)
}

func TestThrottledHonoursRetryAfterAndOption(t *testing.T) {
	e := setup(t, linkedinfake.Options{}, linkedin.Options{ThrottleWait: 2 * time.Minute})
	e.fake.Script(linkedinfake.Throttled().On(linkedinfake.OpPosts))
	if res := e.publish(t, herald.Message{Text: "a"}); res.RetryAfter != 2*time.Minute {
		t.Errorf("retry_after %s, want the configured 2m", res.RetryAfter)
	}
	e.clock.Add(time.Hour)
	f := linkedinfake.Throttled()
	f.Header = map[string]string{"Retry-After": "90"}
	e.fake.Script(f.On(linkedinfake.OpImages))
	res := e.publish(t, herald.Message{Text: "b", Media: []string{e.media.URL + "/img/a.png"}})
	if !res.Throttled || res.RetryAfter != 90*time.Second {
		t.Errorf("throttled=%v retry_after %s, want 90s from Retry-After", res.Throttled, res.RetryAfter)
	}
}

func TestServerErrorsRetry(t *testing.T) {
	for name, f := range map[string]linkedinfake.Fault{
		"post 500":   linkedinfake.ServerError().On(linkedinfake.OpPosts),
		"post 502":   linkedinfake.BadGateway().On(linkedinfake.OpPosts),
		"images 500": linkedinfake.ServerError().On(linkedinfake.OpImages),
		"upload 502": linkedinfake.BadGateway().On(linkedinfake.OpUpload),
	} {
		t.Run(name, func(t *testing.T) {
			e := setup(t, linkedinfake.Options{}, linkedin.Options{})
			e.fake.Script(f)
			res := e.publish(t, herald.Message{Text: "x", Media: []string{e.media.URL + "/img/a.png"}})
			wantOutcome(t, res, herald.OutcomeRetry)
			if res.Throttled || len(e.fake.Posts()) != 0 {
				t.Errorf("throttled=%v, %d posts", res.Throttled, len(e.fake.Posts()))
			}
		})
	}
}

func TestRefusalsFail(t *testing.T) {
	e := setup(t, linkedinfake.Options{}, linkedin.Options{})
	e.fake.Script(linkedinfake.Forbidden().On(linkedinfake.OpPosts))
	res := e.publish(t, herald.Message{Text: "x"})
	wantOutcome(t, res, herald.OutcomeFailed)
	if !strings.Contains(res.Reason, "ACCESS_DENIED") {
		t.Errorf("reason %q lacks LinkedIn's code", res.Reason)
	}
	// An author the token cannot post as: the fake answers 403 on its own.
	req := e.request(herald.Message{Text: "y"})
	req.Channel.Config["author"] = "urn:li:organization:999"
	wantOutcome(t, e.publishReq(t, req), herald.OutcomeFailed)
}

// TestLostAnswerIsUnknown: the post was made but its answer dropped;
// LinkedIn has no idempotency key, so the outcome is unknown.
func TestLostAnswerIsUnknown(t *testing.T) {
	e := setup(t, linkedinfake.Options{}, linkedin.Options{})
	if e.pub.Idempotent() {
		t.Fatal("LinkedIn has no idempotency key")
	}
	e.fake.Script(linkedinfake.DropAfterPost().On(linkedinfake.OpPosts))
	res := e.publish(t, herald.Message{Text: "lost"})
	wantOutcome(t, res, herald.OutcomeUnknown)
	if len(e.fake.Posts()) != 1 {
		t.Errorf("%d posts, want the one made", len(e.fake.Posts()))
	}
}

// TestNotSentIsRetry: a connection that never took the request is retried.
func TestNotSentIsRetry(t *testing.T) {
	e := setup(t, linkedinfake.Options{}, linkedin.Options{})
	req := e.request(herald.Message{Text: "nowhere"})
	e.fake.Close()
	wantOutcome(t, e.publishReq(t, req), herald.OutcomeRetry)
}

// TestDroppedUploadIsRetry: nothing is posted before the post call, so a
// lost upload answer retries.
func TestDroppedUploadIsRetry(t *testing.T) {
	e := setup(t, linkedinfake.Options{}, linkedin.Options{})
	e.fake.Script(linkedinfake.DropAfterPost().On(linkedinfake.OpUpload))
	wantOutcome(t, e.publish(t, herald.Message{Text: "x", Media: []string{e.media.URL + "/img/a.png"}}), herald.OutcomeRetry)
}

func TestMissingRestliIDIsUnknown(t *testing.T) {
	e := setup(t, linkedinfake.Options{}, linkedin.Options{})
	e.fake.Script(linkedinfake.Fault{Op: linkedinfake.OpPosts, Status: 201})
	wantOutcome(t, e.publish(t, herald.Message{Text: "x"}), herald.OutcomeUnknown)
}
