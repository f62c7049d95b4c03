package bluesky_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/bluesky/blueskyfake"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name     string
		fault    *blueskyfake.Fault
		password string
		handle   string
		code     string
		reason   string
	}{
		{name: "ok"},
		{name: "wrong password", password: "wxyz-wxyz-wxyz-wxyz", code: herald.EUNAUTHORIZED, reason: "Invalid identifier or password"},
		{name: "no password", password: " ", code: herald.EINVALID},
		{name: "PDS down", fault: ptr(blueskyfake.ServerError().On(createSession)), code: herald.EUNAVAILABLE, reason: "InternalServerError"},
		{name: "throttled", fault: ptr(blueskyfake.RateLimited(time.Minute).On(createSession)), code: herald.EUNAVAILABLE, reason: "RateLimitExceeded"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t)
			if tc.fault != nil {
				e.fake.Script(*tc.fault)
			}
			ch := e.channel()
			if tc.password != "" {
				ch.Credentials["app_password"] = strings.TrimSpace(tc.password)
			}
			err := e.pub.Check(context.Background(), &ch)
			if herald.ErrorCode(err) != tc.code || tc.reason != "" && !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("got %v, want code %q containing %q", err, tc.code, tc.reason)
			}
			if err != nil && strings.Contains(err.Error(), e.fake.AppPassword) {
				t.Errorf("the password shows: %v", err)
			}
			if n := len(e.fake.Posts()); n != 0 {
				t.Errorf("Check posted %d records", n)
			}
		})
	}
}

// With a cached session Check asks getSession, refreshing it when expired.
func TestCheckCachedSession(t *testing.T) {
	e := setup(t)
	ch := e.channel()
	if err := e.pub.Check(context.Background(), &ch); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(blueskyfake.DefaultAccessTTL)
	if err := e.pub.Check(context.Background(), &ch); err != nil {
		t.Fatal(err)
	}
	if s, r, g := e.fake.Sessions(), e.fake.Refreshes(), len(e.fake.CallsTo("com.atproto.server.getSession")); s != 1 || r != 1 || g != 2 {
		t.Errorf("%d sessions, %d refreshes, %d getSession calls; want 1, 1, 2 (expired, then refreshed)", s, r, g)
	}
	e.fake.RevokeSessions()
	if err := e.pub.Check(context.Background(), &ch); herald.ErrorCode(err) != herald.EUNAUTHORIZED {
		t.Errorf("revoked session: %v, want unauthorized", err)
	}
}
