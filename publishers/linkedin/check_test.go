package linkedin_test

import (
	"context"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/linkedin"
	"github.com/heraldhq/herald/publishers/linkedin/linkedinfake"
)

func check(e env, ch herald.Channel) error {
	return e.pub.Check(context.Background(), &ch)
}

func TestCheck(t *testing.T) {
	e := setup(t, linkedinfake.Options{}, linkedin.Options{})
	if err := check(e, e.channel()); err != nil {
		t.Fatalf("check: %v", err)
	}
	calls := e.fake.Calls()
	if len(calls) != 1 || calls[0].Op != linkedinfake.OpUserinfo || len(e.fake.Posts()) != 0 {
		t.Errorf("calls %+v, want one GET /v2/userinfo and no post", calls)
	}
}

func TestCheckOrganization(t *testing.T) {
	e := setup(t, linkedinfake.Options{Author: "urn:li:organization:42"}, linkedin.Options{})
	if err := check(e, e.channel()); err != nil {
		t.Fatalf("check: %v", err)
	}
}

func TestCheckErrors(t *testing.T) {
	e := setup(t, linkedinfake.Options{}, linkedin.Options{})
	other := e.channel()
	other.Config["author"] = "urn:li:person:someoneElse"
	noToken := e.channel()
	noToken.Credentials = nil
	for name, tc := range map[string]struct {
		ch    herald.Channel
		fault *linkedinfake.Fault
		code  string
	}{
		"unauthorized":   {e.channel(), ptr(linkedinfake.Unauthorized()), herald.EUNAUTHORIZED},
		"throttled":      {e.channel(), ptr(linkedinfake.Throttled()), herald.EUNAVAILABLE},
		"down":           {e.channel(), ptr(linkedinfake.BadGateway()), herald.EUNAVAILABLE},
		"no openid":      {e.channel(), ptr(linkedinfake.Forbidden()), herald.EINVALID},
		"another member": {other, nil, herald.EINVALID},
		"no token":       {noToken, nil, herald.EINVALID},
	} {
		t.Run(name, func(t *testing.T) {
			if tc.fault != nil {
				e.fake.Script(*tc.fault)
			}
			err := check(e, tc.ch)
			if herald.ErrorCode(err) != tc.code {
				t.Fatalf("check: %v (code %s), want %s", err, herald.ErrorCode(err), tc.code)
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("the token leaked: %v", err)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
