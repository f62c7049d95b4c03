package mastodon_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/mastodon"
	"github.com/heraldhq/herald/publishers/mastodon/mastodonfake"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name   string
		token  string
		fault  *mastodonfake.Fault
		code   string
		reason string
	}{
		{name: "ok"},
		{name: "wrong token", token: "other", code: herald.EUNAUTHORIZED, reason: "The access token is invalid"},
		{name: "throttled", fault: ptr(mastodonfake.TooManyRequests(time.Minute)), code: herald.EUNAVAILABLE, reason: "Too many requests"},
		{name: "down", fault: ptr(mastodonfake.BadGateway()), code: herald.EUNAVAILABLE, reason: "502"},
		{name: "not found", fault: &mastodonfake.Fault{Status: 404, Error: "Record not found"}, code: herald.EINVALID, reason: "Record not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, mastodonfake.Options{}, mastodon.Options{})
			if tc.fault != nil {
				e.fake.Script(*tc.fault)
			}
			ch := e.request("k", herald.Message{}).Channel
			if tc.token != "" {
				ch.Credentials["access_token"] = tc.token
			}
			err := e.pub.Check(context.Background(), &ch)
			if herald.ErrorCode(err) != tc.code || !strings.Contains(herald.ErrorMessage(err), tc.reason) {
				t.Fatalf("Check: %v, want %q with %q", err, tc.code, tc.reason)
			}
			if err != nil && strings.Contains(err.Error(), token) {
				t.Errorf("the token shows: %v", err)
			}
			if n := len(e.fake.Statuses()); n != 0 {
				t.Errorf("Check posted %d statuses", n)
			}
			if tc.token == "" {
				if calls := e.fake.Calls(); len(calls) != 1 || calls[0].Path != "/api/v1/accounts/verify_credentials" {
					t.Errorf("calls %+v, want one verify_credentials", calls)
				}
			}
		})
	}
}
