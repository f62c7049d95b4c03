package vk_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/vk"
	"github.com/heraldhq/herald/publishers/vk/vkfake"
)

func ptr[T any](v T) *T { return &v }

func TestErrorClasses(t *testing.T) {
	tests := []struct {
		name       string
		fault      *vkfake.Fault
		token      string
		media      bool // the post has an image, so the fault may hit the upload flow
		want       herald.Outcome
		reason     string
		throttled  bool
		retryAfter time.Duration
	}{
		{name: "1 unknown", fault: ptr(vkfake.UnknownError()), want: herald.OutcomeRetry, reason: "VK error 1: Unknown error occurred"},
		{name: "10 internal", fault: ptr(vkfake.InternalError()), want: herald.OutcomeRetry, reason: "VK error 10: Internal server error"},
		{name: "5 expired token", fault: ptr(vkfake.AuthFailed()), want: herald.OutcomeReauth, reason: "access_token has expired"},
		{name: "wrong token (the fake's own check)", token: "vk1.a.other", want: herald.OutcomeReauth, reason: "invalid access_token"},
		{name: "27 community token", fault: ptr(vkfake.Error(27, "Group authorization failed: method is unavailable with group auth.")),
			want: herald.OutcomeReauth, reason: "user token"},
		{name: "6 per second", fault: ptr(vkfake.TooManyRequests()), want: herald.OutcomeRetry, reason: "Too many requests per second",
			throttled: true, retryAfter: vk.TooManyRequestsWait},
		{name: "9 flood control", fault: ptr(vkfake.FloodControl()), want: herald.OutcomeRetry, reason: "Flood control",
			throttled: true, retryAfter: vk.FloodControlWait},
		{name: "29 rate limit", fault: ptr(vkfake.RateLimitReached()), want: herald.OutcomeRetry, reason: "Rate limit reached",
			throttled: true, retryAfter: vk.RateLimitWait},
		{name: "14 captcha", fault: ptr(vkfake.Captcha()), want: herald.OutcomeFailed,
			reason: "captcha required: post it by hand or lower the rate"},
		{name: "15 access denied", fault: ptr(vkfake.AccessDenied("wall is disabled")), want: herald.OutcomeFailed, reason: "VK error 15: Access denied: wall is disabled"},
		{name: "17 validation required", fault: ptr(vkfake.ValidationRequired()), want: herald.OutcomeFailed, reason: "VK error 17"},
		{name: "100 invalid parameter", fault: ptr(vkfake.InvalidParam("owner_id is invalid")), want: herald.OutcomeFailed, reason: "owner_id is invalid"},
		{name: "214 post denied", fault: ptr(vkfake.PostDenied()), want: herald.OutcomeFailed, reason: "VK error 214"},
		{name: "222 hyperlinks", fault: ptr(vkfake.HyperlinksForbidden()), want: herald.OutcomeFailed, reason: "Hyperlinks are forbidden"},
		{name: "502 from the proxy", fault: ptr(vkfake.BadGateway()), want: herald.OutcomeRetry, reason: "HTTP 502"},
		{name: "dropped before posting", fault: ptr(vkfake.Drop()), want: herald.OutcomeRetry, reason: "same guid"},
		{name: "upload server unavailable", media: true, fault: ptr(vkfake.BadGateway().On("upload")), want: herald.OutcomeRetry, reason: "upload server answered HTTP 502"},
		{name: "getWallUploadServer denied", media: true, fault: ptr(vkfake.AccessDenied("no photos scope").On("photos.getWallUploadServer")),
			want: herald.OutcomeFailed, reason: "no photos scope"},
		{name: "saveWallPhoto with an expired token", media: true, fault: ptr(vkfake.AuthFailed().On("photos.saveWallPhoto")),
			want: herald.OutcomeReauth, reason: "saving photo"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, vkfake.Options{}, vk.Options{})
			if tc.fault != nil {
				f := *tc.fault
				if f.Method == "" {
					f = f.On("wall.post")
				}
				e.fake.Script(f)
			}
			req := e.request("k", herald.Message{Text: "Hello"})
			if tc.media {
				req.Message.Media = e.photos("cat.png")
			}
			if tc.token != "" {
				req.Channel.Credentials["access_token"] = tc.token
			}
			res := e.pub.Publish(context.Background(), req)
			if res.Outcome != tc.want || !strings.Contains(res.Reason, tc.reason) || res.Throttled != tc.throttled || res.RetryAfter != tc.retryAfter {
				t.Errorf("got %s %q throttled=%v retry after %s; want %s containing %q, throttled=%v, retry after %s",
					res.Outcome, res.Reason, res.Throttled, res.RetryAfter, tc.want, tc.reason, tc.throttled, tc.retryAfter)
			}
			if n := len(e.fake.Posts()); n != 0 {
				t.Errorf("%d posts made", n)
			}
			if e.fake.Pending() != 0 {
				t.Errorf("the scripted fault was not used; calls: %s", e.methods())
			}
			e.noToken(t, res)
		})
	}
}

func TestMediaProblems(t *testing.T) {
	tests := []struct {
		name   string
		path   string
		po     vk.Options
		want   herald.Outcome
		reason string
	}{
		{name: "not found", path: "missing.png", want: herald.OutcomeFailed, reason: "404"},
		{name: "not an image", path: "page.html", want: herald.OutcomeFailed, reason: "text/html"},
		{name: "a video", path: "clip.mp4", want: herald.OutcomeFailed, reason: "video/mp4"},
		{name: "too large", path: "big.png", po: vk.Options{MaxMediaBytes: 200}, want: herald.OutcomeFailed, reason: "bound"},
		{name: "media host 503", path: "flaky.png", want: herald.OutcomeRetry, reason: "503"},
		{name: "refused by the upload server", path: "lying.png", want: herald.OutcomeFailed, reason: "did not take photo"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, vkfake.Options{}, tc.po)
			res := e.pub.Publish(context.Background(), e.request("k", herald.Message{Text: "x", Media: e.photos(tc.path)}))
			if res.Outcome != tc.want || !strings.Contains(res.Reason, tc.reason) {
				t.Errorf("got %s %q, want %s containing %q", res.Outcome, res.Reason, tc.want, tc.reason)
			}
			if n := len(e.fake.Posts()); n != 0 {
				t.Errorf("%d posts made", n)
			}
		})
	}
}

func TestPrivateMediaRefusedByDefault(t *testing.T) {
	e := setup(t, vkfake.Options{}, vk.Options{})
	pub := vk.New(vk.Options{Now: e.clock.Now, Wait: e.clock.Wait}) // the default client: public addresses only
	res := pub.Publish(context.Background(), e.request("k", herald.Message{Text: "x", Media: e.photos("cat.png")}))
	if res.Outcome != herald.OutcomeFailed || !strings.Contains(res.Reason, "address refused") || len(e.fake.Calls()) != 0 {
		t.Errorf("got %s %q after %d calls; want failed before any call", res.Outcome, res.Reason, len(e.fake.Calls()))
	}
}

func TestTimeoutAndRefusedRetry(t *testing.T) {
	e := setup(t, vkfake.Options{}, vk.Options{})
	e.fake.Script(vkfake.Hang())
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if res := e.pub.Publish(ctx, e.request("k", herald.Message{Text: "x"})); res.Outcome != herald.OutcomeRetry {
		t.Errorf("timeout: %s (%s), want retry", res.Outcome, res.Reason)
	}
	e.fake.Release()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	req := e.request("k", herald.Message{Text: "x"})
	req.Channel.Config["base_url"] = "http://" + ln.Addr().String()
	res := e.pub.Publish(context.Background(), req)
	if res.Outcome != herald.OutcomeRetry || !strings.Contains(res.Reason, "no answer from VK") {
		t.Errorf("refused: %s (%s), want retry", res.Outcome, res.Reason)
	}
	e.noToken(t, res)
}
