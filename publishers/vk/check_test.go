package vk_test

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/testkit"
	"github.com/heraldhq/herald/publishers/vk"
	"github.com/heraldhq/herald/publishers/vk/vkfake"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name   string
		fo     vkfake.Options
		owner  float64
		token  string
		base   string // "refused": a port nobody listens on
		fault  *vkfake.Fault
		code   string // "" for nil
		msg    string
		method string // the method Check must call
	}{
		{name: "community", method: "groups.getById"},
		{name: "user wall", owner: 1000, method: "users.get"},
		{name: "not an admin", fo: vkfake.Options{NotAdmin: true}, code: herald.EINVALID, msg: "not an admin", method: "groups.getById"},
		{name: "wrong token", token: "vk1.a.nope", code: herald.EUNAUTHORIZED, msg: "VK error 5: User authorization failed: invalid access_token", method: "groups.getById"},
		{name: "throttled", fault: ptr(vkfake.RateLimitReached()), code: herald.EUNAVAILABLE, msg: "Rate limit reached", method: "groups.getById"},
		{name: "internal error", fault: ptr(vkfake.InternalError()), code: herald.EUNAVAILABLE, msg: "Internal server error", method: "groups.getById"},
		{name: "bad owner", fault: ptr(vkfake.InvalidParam("group_ids is undefined")), code: herald.EINVALID, msg: "group_ids is undefined", method: "groups.getById"},
		{name: "no answer", base: "refused", code: herald.EUNAVAILABLE, msg: "no answer from VK"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, tc.fo, vk.Options{})
			if tc.fault != nil {
				e.fake.Script(*tc.fault)
			}
			ch := e.request("k", herald.Message{}).Channel
			if tc.owner != 0 {
				ch.Config["owner_id"] = tc.owner
			}
			if tc.token != "" {
				ch.Credentials["access_token"] = tc.token
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
			if err != nil && strings.Contains(err.Error(), token) {
				t.Errorf("the error shows the token: %v", err)
			}
			var methods []string
			for _, c := range e.fake.Calls() {
				methods = append(methods, c.Method)
			}
			if strings.Join(methods, " ") != tc.method || len(e.fake.Posts()) != 0 {
				t.Errorf("calls %v, %d posts; want one %s and no post", methods, len(e.fake.Posts()), tc.method)
			}
		})
	}
}

func TestReconcile(t *testing.T) {
	e := setup(t, vkfake.Options{}, vk.Options{})
	since := e.clock.Now()
	msg := herald.Message{Text: "Launch day", Media: e.photos("cat.png"), Link: "https://brand.example/launch"}
	req := e.request("herald-9-rec", msg)

	// Nothing posted yet, but look-alikes: older, other text, no photo.
	e.fake.AddPost(owner, "Launch day", since.Add(-time.Minute))
	e.fake.AddPost(owner, "Launch day!", since)
	e.fake.Script(vkfake.DropAfterPost().On("wall.post"))
	if res := e.pub.Publish(context.Background(), e.request("herald-9-other", herald.Message{Text: "Launch day", Link: msg.Link})); res.Outcome != herald.OutcomeRetry {
		t.Fatalf("look-alike without a photo: %s %s", res.Outcome, res.Reason)
	}
	e.clock.Add(2 * time.Second)
	if res, found, err := e.pub.Reconcile(context.Background(), req, since); err != nil || found {
		t.Fatalf("before posting: found=%v %+v err=%v; want not found", found, res, err)
	}

	e.fake.Script(vkfake.DropAfterPost().On("wall.post"))
	if res := e.pub.Publish(context.Background(), req); res.Outcome != herald.OutcomeRetry {
		t.Fatalf("lost answer: %s %s", res.Outcome, res.Reason)
	}
	e.clock.Add(2 * time.Second)
	res, found, err := e.pub.Reconcile(context.Background(), req, since)
	posts := e.fake.Posts()
	last := posts[len(posts)-1]
	if err != nil || !found || res.Outcome != herald.OutcomePublished || res.RemoteID != strconv.FormatInt(last.ID, 10) || res.URL != last.URL {
		t.Fatalf("found=%v %+v err=%v; want the post %+v", found, res, err, last)
	}
	e.noToken(t, res)

	// Published twice by hand meanwhile: cannot tell which one is the delivery's.
	e.fake.Script(vkfake.DropAfterPost().On("wall.post"))
	e.pub.Publish(context.Background(), e.request("herald-9-again", msg))
	e.clock.Add(2 * time.Second)
	if _, found, err := e.pub.Reconcile(context.Background(), req, since); err != nil || found {
		t.Errorf("two matches: found=%v err=%v; want not found", found, err)
	}

	bad := req
	bad.Channel.Credentials = map[string]string{"access_token": "vk1.a.nope"}
	if _, found, err := e.pub.Reconcile(context.Background(), bad, since); err == nil || found || !strings.Contains(err.Error(), "VK error 5") {
		t.Errorf("rejected token: found=%v err=%v; want VK's error", found, err)
	}
	for _, c := range e.fake.Calls() {
		if c.Method == "wall.get" && (c.Params.Get("owner_id") != "-4242" || c.Params.Get("count") != "20") {
			t.Errorf("wall.get params %v", c.Params)
		}
	}
}

func TestValidateChannel(t *testing.T) {
	pub := vk.New(vk.Options{HTTPClient: testkit.Loopback})
	err := pub.ValidateChannel(&herald.Channel{Config: map[string]any{"api_version": "latest", "base_url": "api.vk.com"}})
	var cols []string
	for _, p := range herald.ErrorDetails(err) {
		cols = append(cols, p.Column)
	}
	if herald.ErrorCode(err) != herald.EVALIDATION || strings.Join(cols, ",") != "config.owner_id,config.api_version,config.base_url,credentials.access_token" {
		t.Errorf("got %v %v", err, cols)
	}
	err = pub.ValidateChannel(&herald.Channel{Config: map[string]any{"owner_id": "club42"}, Credentials: map[string]string{"access_token": "t"}})
	if d := herald.ErrorDetails(err); len(d) != 1 || d[0].Code != "invalid" {
		t.Errorf("owner_id club42: %v", err)
	}
	for _, o := range []any{float64(-42), "-42", "42"} {
		ok := &herald.Channel{Config: map[string]any{"owner_id": o, "api_version": "5.199"}, Credentials: map[string]string{"access_token": "t"}}
		if err := pub.ValidateChannel(ok); err != nil {
			t.Errorf("owner_id %v: %v", o, err)
		}
	}
}
