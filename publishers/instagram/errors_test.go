package instagram_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/instagram"
	"github.com/heraldhq/herald/publishers/instagram/instagramfake"
	"github.com/heraldhq/herald/publishers/internal/container"
	cf "github.com/heraldhq/herald/publishers/internal/container/containerfake"
	"github.com/heraldhq/herald/publishers/internal/testkit"
)

// Each Graph error class, answered to the container creation.
func TestErrorClasses(t *testing.T) {
	cases := []struct {
		name      string
		fault     cf.Fault
		outcome   herald.Outcome
		throttled bool
		after     time.Duration
	}{
		{"190 invalid token", cf.InvalidToken(), herald.OutcomeReauth, false, 0},
		{"102 session", cf.Error(102, 0, "Session key invalid"), herald.OutcomeReauth, false, 0},
		{"4 app limit with usage header", cf.Throttled(4, 7), herald.OutcomeRetry, true, 7 * time.Minute},
		{"17 user limit", cf.Error(17, 0, "User request limit reached"), herald.OutcomeRetry, true, container.DefaultThrottleWait},
		{"32 page limit", cf.Error(32, 0, "Page request limit reached"), herald.OutcomeRetry, true, container.DefaultThrottleWait},
		{"341 call limit", cf.Error(341, 0, "Application limit reached"), herald.OutcomeRetry, true, container.DefaultThrottleWait},
		{"613 rate limit", cf.Error(613, 0, "Calls to this api have exceeded the rate limit"), herald.OutcomeRetry, true, container.DefaultThrottleWait},
		{"1 unknown", cf.Error(1, 0, "An unknown error occurred"), herald.OutcomeRetry, false, 0},
		{"2 service", cf.ServiceUnavailable(), herald.OutcomeRetry, false, 0},
		{"2207003 download timeout", cf.Error(-2, 2207003, "Timeout while downloading the media"), herald.OutcomeRetry, false, 0},
		{"2207001 server error", cf.Error(-1, 2207001, "Instagram server error"), herald.OutcomeRetry, false, 0},
		{"368 policy block", cf.PolicyBlock(), herald.OutcomeRetry, false, container.DefaultPolicyWait},
		{"2207042 cap", cf.Error(9, 2207042, "You have reached the maximum number of posts"), herald.OutcomeRetry, true, container.DefaultQuotaWait},
		{"100 invalid parameter", cf.InvalidParam("image_url"), herald.OutcomeFailed, false, 0},
		{"10 permission", cf.Error(10, 0, "Application does not have permission for this action"), herald.OutcomeFailed, false, 0},
		{"200 permission", cf.Error(200, 0, "Permissions error"), herald.OutcomeFailed, false, 0},
		{"2207004 too large", cf.Error(-2, 2207004, "The image is too large to download"), herald.OutcomeFailed, false, 0},
		{"502 page", cf.BadGateway(), herald.OutcomeRetry, false, 0},
		{"dropped connection", cf.Drop(), herald.OutcomeRetry, false, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, instagramfake.Options{}, instagram.Options{})
			e.fake.Script(tc.fault.On(cf.StepCreate))
			res := e.publish(t, e.request("hello", "https://cdn.example.com/a.jpg"))
			if res.Outcome != tc.outcome || res.Throttled != tc.throttled || res.RetryAfter != tc.after {
				t.Fatalf("got %q throttled=%v after=%s (%s), want %q throttled=%v after=%s",
					res.Outcome, res.Throttled, res.RetryAfter, res.Reason, tc.outcome, tc.throttled, tc.after)
			}
			if tc.fault.Code != 0 && !strings.Contains(res.Reason, tc.fault.Msg) {
				t.Fatalf("reason %q lacks Meta's message %q", res.Reason, tc.fault.Msg)
			}
			if len(e.fake.Posts()) != 0 {
				t.Fatal("something was published")
			}
		})
	}
}

// A throttled channel waits: the next publish calls nothing until the wait is over.
func TestThrottleHoldsLaterCalls(t *testing.T) {
	e := setup(t, instagramfake.Options{}, instagram.Options{})
	e.fake.Script(cf.Throttled(4, 2).On(cf.StepCreate))
	req := e.request("hello", "https://cdn.example.com/a.jpg")
	e.publish(t, req)
	calls := len(e.fake.Calls())
	res := e.publish(t, req)
	if res.Outcome != herald.OutcomeRetry || !res.Throttled || res.RetryAfter != 2*time.Minute || len(e.fake.Calls()) != calls {
		t.Fatalf("while throttled: %+v, %d new calls", res, len(e.fake.Calls())-calls)
	}
	e.clock.Add(2 * time.Minute)
	if res := e.publish(t, req); res.Outcome != herald.OutcomePublished {
		t.Fatalf("after the wait: %+v", res)
	}
}

// A container id that cannot be stored is not published: a retry would
// not know about it.
func TestUnstoredContainerIsNotPublished(t *testing.T) {
	e := setup(t, instagramfake.Options{}, instagram.Options{})
	e.store.err = herald.Errorf(herald.ECONFLICT, "delivery 42 is retrying, not publishing")
	res := e.publish(t, e.request("hello", "https://cdn.example.com/a.jpg"))
	if res.Outcome != herald.OutcomeRetry || !strings.Contains(res.Reason, "not publishing") || len(e.fake.Posts()) != 0 {
		t.Fatalf("result %+v", res)
	}
}

// A stored container the platform no longer knows: unknown, nothing made.
func TestResumeUnreadableContainer(t *testing.T) {
	e := setup(t, instagramfake.Options{}, instagram.Options{})
	req := e.request("hello", "https://cdn.example.com/a.jpg")
	req.State = map[string]string{container.StateContainer: "999"}
	res := e.pub.Publish(context.Background(), req)
	if res.Outcome != herald.OutcomeUnknown || len(e.fake.Containers()) != 0 {
		t.Fatalf("result %+v", res)
	}
}

func TestCheck(t *testing.T) {
	e := setup(t, instagramfake.Options{}, instagram.Options{})
	ch := e.channel()
	ctx := context.Background()
	if err := e.pub.Check(ctx, &ch); err != nil {
		t.Fatal(err)
	}
	if c := e.fake.Calls()[0]; c.Path != e.fake.UserID() || c.Params.Get("fields") != "username" {
		t.Fatalf("check call %+v", c)
	}
	for fault, code := range map[string]string{"token": herald.EUNAUTHORIZED, "down": herald.EUNAVAILABLE, "throttled": herald.EUNAVAILABLE} {
		switch fault {
		case "token":
			e.fake.Script(cf.InvalidToken())
		case "down":
			e.fake.Script(cf.ServiceUnavailable())
		case "throttled":
			e.fake.Script(cf.Throttled(4, 1))
		}
		err := e.pub.Check(ctx, &ch)
		if herald.ErrorCode(err) != code || strings.Contains(herald.ErrorMessage(err), e.fake.Token) {
			t.Errorf("%s: %v, want %s", fault, err, code)
		}
	}
	wrong := e.channel()
	wrong.Config["ig_user_id"] = "123"
	var herr *herald.Error
	if err := e.pub.Check(ctx, &wrong); !errors.As(err, &herr) || herr.Code != herald.EINVALID {
		t.Fatalf("wrong user: %v", err)
	}
}

func TestValidateChannel(t *testing.T) {
	p := instagram.New(instagram.Options{HTTPClient: testkit.Loopback})
	ok := &herald.Channel{Platform: "instagram", Config: map[string]any{"ig_user_id": "17841400000000001"},
		Credentials: map[string]string{"access_token": "EAAG"}}
	if err := p.ValidateChannel(ok); err != nil {
		t.Fatal(err)
	}
	bad := &herald.Channel{Platform: "instagram", Config: map[string]any{"ig_user_id": "me", "graph_version": "21", "base_url": "ftp://x"}}
	cols := map[string]bool{}
	for _, pr := range herald.ErrorDetails(p.ValidateChannel(bad)) {
		cols[pr.Column] = true
	}
	for _, c := range []string{"config.ig_user_id", "config.graph_version", "config.base_url", "credentials.access_token"} {
		if !cols[c] {
			t.Errorf("no problem on %s: %v", c, cols)
		}
	}
}
