package facebook_test

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/facebook/facebookfake"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name  string
		token string
		base  string // "refused": a port nobody listens on
		fault *facebookfake.Fault
		code  string // "" for nil
		msg   string
		calls int
	}{
		{name: "ok", calls: 1},
		{name: "wrong token", token: "EAAGnope", code: herald.EUNAUTHORIZED, msg: "Invalid OAuth access token", calls: 1},
		{name: "expired token", fault: ptr(facebookfake.TokenExpired()), code: herald.EUNAUTHORIZED, msg: "Session has expired", calls: 1},
		{name: "throttled", fault: ptr(facebookfake.PageRateLimited(3)), code: herald.EUNAVAILABLE, msg: "Page request limit reached", calls: 1},
		{name: "down", fault: ptr(facebookfake.BadGateway()), code: herald.EUNAVAILABLE, msg: "HTTP 502", calls: 1},
		{name: "wrong page", fault: ptr(facebookfake.Fault{Code: 100, Subcode: 33, Msg: "Unsupported get request."}), code: herald.EINVALID, msg: "Unsupported get request", calls: 1},
		{name: "no answer", base: "refused", code: herald.EUNAVAILABLE, msg: "no answer from Facebook"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t)
			if tc.fault != nil {
				e.fake.Script(*tc.fault)
			}
			ch := e.channel()
			if tc.token != "" {
				ch.Credentials["page_access_token"] = tc.token
			}
			if tc.base == "refused" {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				ln.Close()
				ch.Config["base_url"] = "http://" + ln.Addr().String()
			}
			err := e.pub.Check(context.Background(), &ch)
			if herald.ErrorCode(err) != tc.code || !strings.Contains(herald.ErrorMessage(err), tc.msg) {
				t.Errorf("got %v, want code %q containing %q", err, tc.code, tc.msg)
			}
			if err != nil && strings.Contains(err.Error(), ch.Credentials["page_access_token"]) {
				t.Errorf("the error shows the token: %v", err)
			}
			calls := e.fake.Calls()
			if len(calls) != tc.calls || len(e.fake.Posts()) != 0 {
				t.Fatalf("%d calls, %d posts; want %d and no post", len(calls), len(e.fake.Posts()), tc.calls)
			}
			if tc.calls == 1 && (calls[0].Op != "page" || calls[0].Params.Get("fields") != "name") {
				t.Errorf("called %s %v, want GET /{page-id}?fields=name", calls[0].Op, calls[0].Params)
			}
		})
	}
	e := setup(t)
	if err := e.pub.Check(context.Background(), &herald.Channel{Platform: "facebook"}); herald.ErrorCode(err) != herald.EINVALID {
		t.Errorf("empty channel: %v, want EINVALID", err)
	}
}
