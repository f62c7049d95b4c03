package x_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/testkit"
	"github.com/heraldhq/herald/publishers/x"
	"github.com/heraldhq/herald/publishers/x/xfake"
)

func TestValidateChannel(t *testing.T) {
	p := x.New(x.Options{HTTPClient: testkit.Loopback})
	good := herald.Channel{Name: "x", Platform: "x", Config: map[string]any{"username": "@brand_1"},
		Credentials: map[string]string{"access_token": "a", "refresh_token": "r", "client_id": "c"}}
	if err := p.ValidateChannel(&good); err != nil {
		t.Errorf("valid channel: %v", err)
	}
	bad := herald.Channel{Name: "x", Platform: "x", Config: map[string]any{"username": "way-too-long-name!", "base_url": "ftp://x"},
		Credentials: map[string]string{"expires_at": "tomorrow"}}
	err := p.ValidateChannel(&bad)
	var he *herald.Error
	if !errors.As(err, &he) || he.Code != herald.EVALIDATION {
		t.Fatalf("got %v", err)
	}
	var cols []string
	for _, pr := range he.Details {
		cols = append(cols, pr.Column)
	}
	want := "config.username,config.base_url,credentials.access_token,credentials.refresh_token,credentials.client_id,credentials.expires_at"
	if got := strings.Join(cols, ","); got != want {
		t.Errorf("problems %s, want %s", got, want)
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name  string
		prep  func(e *env, ch *herald.Channel)
		code  string
		about string
	}{
		{name: "ok", prep: func(*env, *herald.Channel) {}},
		{name: "expired token refreshed", prep: func(e *env, _ *herald.Channel) { e.clock.Add(3 * time.Hour) }},
		{name: "other account", prep: func(_ *env, ch *herald.Channel) { ch.Config["username"] = "someone" },
			code: herald.EINVALID, about: "belongs to @herald"},
		{name: "revoked", prep: func(e *env, _ *herald.Channel) { e.fake.Revoke() },
			code: herald.EUNAUTHORIZED, about: "invalid_grant"},
		{name: "down", prep: func(e *env, _ *herald.Channel) {
			e.fake.Script(xfake.Fault{Path: "/2/users/me", Status: 503, Title: "Service Unavailable"})
		}, code: herald.EUNAVAILABLE, about: "Service Unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, xfake.Options{})
			ch := e.channel()
			tt.prep(e, &ch)
			err := e.pub.Check(context.Background(), &ch)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				return
			}
			if herald.ErrorCode(err) != tt.code || !strings.Contains(herald.ErrorMessage(err), tt.about) {
				t.Errorf("got %v, want %s about %q", err, tt.code, tt.about)
			}
			for _, sec := range e.secrets() {
				if strings.Contains(fmt.Sprint(err), sec) || strings.Contains(herald.ErrorMessage(err), sec) {
					t.Errorf("error shows a secret: %v", err)
				}
			}
			if n := len(e.fake.Tweets()); n != 0 {
				t.Errorf("Check posted %d tweets", n)
			}
		})
	}
}
