package api_test

import (
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/api"
)

type pauseAnswer struct {
	Scope     string     `json:"scope"`
	Workspace string     `json:"workspace"`
	Channel   string     `json:"channel"`
	PausedAt  time.Time  `json:"paused_at"`
	Reason    string     `json:"reason"`
	By        string     `json:"by"`
	ByName    string     `json:"by_name"`
	Until     *time.Time `json:"until"`
	Already   bool       `json:"already_paused"`
	InFlight  []struct {
		ID      int64  `json:"id"`
		Channel string `json:"channel"`
		Plan    string `json:"plan"`
		Post    string `json:"post"`
	} `json:"in_flight"`
}

type resumeAnswer struct {
	Scope       string    `json:"scope"`
	Reason      string    `json:"reason"`
	ResumedAt   time.Time `json:"resumed_at"`
	WillPublish int       `json:"will_publish"`
	Missed      int       `json:"missed"`
	StillHeld   int       `json:"still_held"`
}

type pausedField struct {
	Paused *struct {
		Scope   string     `json:"scope"`
		Channel string     `json:"channel"`
		At      time.Time  `json:"at"`
		Reason  string     `json:"reason"`
		By      string     `json:"by"`
		ByName  string     `json:"by_name"`
		Until   *time.Time `json:"until"`
	} `json:"paused"`
	PausedChannels []struct {
		Channel string `json:"channel"`
		Reason  string `json:"reason"`
	} `json:"paused_channels"`
}

// Pause and resume a workspace through the API: 200 with the pause (by the
// token), pausing twice updates the reason, the workspace, its channels,
// plan and calendar say so; resume answers its counts, wakes the
// scheduler, and a second resume is 409.
func TestPauseWorkspaceRoutes(t *testing.T) {
	e := newEnv(t)
	e.setup("acme")
	must(t, e.do("PUT", "/api/v1/workspaces/acme/plans/p", dayAhead("one", "two")), 200)
	var ws pausedField
	must(t, e.do("GET", "/api/v1/workspaces/acme", nil), 200).decode(t, &ws)
	if ws.Paused != nil || !strings.Contains(must(t, e.do("GET", "/api/v1/workspaces/acme", nil), 200).String(), `"paused":null`) {
		t.Fatalf("an unpaused workspace shows paused %+v", ws.Paused)
	}

	until := herald.Now().UTC().Add(2 * time.Hour).Truncate(time.Second)
	var p pauseAnswer
	must(t, e.do("POST", "/api/v1/workspaces/acme/pause", map[string]any{"reason": "crisis", "until": until.Format(time.RFC3339)}), 200).decode(t, &p)
	if p.Scope != "workspace" || p.Workspace != "acme" || p.Reason != "crisis" || p.PausedAt.IsZero() || !strings.HasPrefix(p.By, "token:") ||
		p.ByName != "test" || p.Until == nil || !p.Until.Equal(until) || p.Already || p.InFlight == nil || len(p.InFlight) != 0 {
		t.Fatalf("pause answer %+v", p)
	}
	var again pauseAnswer
	must(t, e.do("POST", "/api/v1/workspaces/acme/pause", map[string]any{"reason": "still a crisis"}), 200).decode(t, &again)
	if !again.Already || again.Reason != "still a crisis" || !again.PausedAt.Equal(p.PausedAt) || again.Until != nil {
		t.Fatalf("pause again %+v", again)
	}

	for _, path := range []string{"/api/v1/workspaces/acme", "/api/v1/workspaces/acme/channels/demo", "/api/v1/workspaces/acme/plans/p",
		"/api/v1/workspaces/acme/posts"} {
		var v pausedField
		must(t, e.do("GET", path, nil), 200).decode(t, &v)
		if v.Paused == nil || v.Paused.Scope != "workspace" || v.Paused.Reason != "still a crisis" || v.Paused.ByName != "test" || !v.Paused.At.Equal(p.PausedAt) {
			t.Fatalf("GET %s: paused %+v", path, v.Paused)
		}
	}
	var list struct {
		Items []pausedField `json:"items"`
	}
	must(t, e.do("GET", "/api/v1/workspaces/acme/channels", nil), 200).decode(t, &list)
	if len(list.Items) != 1 || list.Items[0].Paused == nil {
		t.Fatalf("channel list %+v", list)
	}

	before := e.applied.Load()
	var r resumeAnswer
	must(t, e.do("POST", "/api/v1/workspaces/acme/resume", nil), 200).decode(t, &r)
	if r.Scope != "workspace" || r.Reason != "still a crisis" || r.Missed != 0 || r.WillPublish != 0 || r.ResumedAt.IsZero() {
		t.Fatalf("resume answer %+v (the plan's posts are a day ahead: none due, none missed)", r)
	}
	if e.applied.Load() != before+1 {
		t.Error("resume did not wake the scheduler")
	}
	res := must(t, e.do("POST", "/api/v1/workspaces/acme/resume", nil), 409)
	if res.errorCode(t) != "conflict" || !strings.Contains(res.String(), "not paused") {
		t.Fatalf("second resume %s", res)
	}
	must(t, e.do("GET", "/api/v1/workspaces/acme", nil), 200).decode(t, &ws)
	if ws.Paused != nil {
		t.Fatalf("resumed workspace shows paused %+v", ws.Paused)
	}
}

// dayAhead is a plan of posts on channel demo a day after now, on the
// clock the server runs on.
func dayAhead(texts ...string) map[string]any {
	var posts []map[string]any
	for i, text := range texts {
		posts = append(posts, map[string]any{"key": "post-" + string(rune('a'+i)), "channels": []string{"demo"}, "text": text,
			"at": herald.Now().Add(24*time.Hour + time.Duration(i)*time.Hour).UTC().Format(time.RFC3339)})
	}
	return map[string]any{"title": "Test", "timezone": "UTC", "posts": posts}
}

// A channel's pause shows on it and in its workspace's plan and calendar
// as a paused channel; the instance pause shows everywhere.
func TestPauseChannelAndInstanceRoutes(t *testing.T) {
	e := newEnv(t)
	e.setup("acme")
	must(t, e.do("PUT", "/api/v1/workspaces/acme/plans/p", jsonPlan("one")), 200)
	var p pauseAnswer
	must(t, e.do("POST", "/api/v1/workspaces/acme/channels/demo/pause", map[string]any{"reason": "token leaked"}), 200).decode(t, &p)
	if p.Scope != "channel" || p.Channel != "demo" || p.Workspace != "acme" {
		t.Fatalf("channel pause %+v", p)
	}
	var v pausedField
	must(t, e.do("GET", "/api/v1/workspaces/acme/channels/demo", nil), 200).decode(t, &v)
	if v.Paused == nil || v.Paused.Scope != "channel" || v.Paused.Reason != "token leaked" {
		t.Fatalf("channel shows %+v", v.Paused)
	}
	for _, path := range []string{"/api/v1/workspaces/acme/plans/p", "/api/v1/workspaces/acme/posts"} {
		var v pausedField
		must(t, e.do("GET", path, nil), 200).decode(t, &v)
		if v.Paused != nil || len(v.PausedChannels) != 1 || v.PausedChannels[0].Channel != "demo" || v.PausedChannels[0].Reason != "token leaked" {
			t.Fatalf("GET %s: %+v", path, v)
		}
	}
	var inst pauseAnswer
	must(t, e.do("POST", "/api/v1/pause", map[string]any{"reason": "everything stops"}), 200).decode(t, &inst)
	if inst.Scope != "instance" || inst.Workspace != "" || inst.Channel != "" {
		t.Fatalf("instance pause %+v", inst)
	}
	must(t, e.do("GET", "/api/v1/workspaces/acme", nil), 200).decode(t, &v)
	if v.Paused == nil || v.Paused.Scope != "instance" || v.Paused.Reason != "everything stops" {
		t.Fatalf("workspace under the instance pause shows %+v", v.Paused)
	}
	r := must(t, e.do("POST", "/api/v1/workspaces/acme/resume", nil), 409)
	if !strings.Contains(r.String(), "/api/v1/resume") {
		t.Fatalf("resume a workspace under the instance pause: %s", r)
	}
	must(t, e.do("POST", "/api/v1/resume", nil), 200)
	must(t, e.do("POST", "/api/v1/workspaces/acme/channels/demo/resume", nil), 200)
	must(t, e.do("POST", "/api/v1/workspaces/acme/channels/demo/resume", nil), 409)
	must(t, e.do("POST", "/api/v1/workspaces/acme/channels/nope/pause", map[string]any{"reason": "x"}), 404)
	must(t, e.do("POST", "/api/v1/workspaces/nope/pause", map[string]any{"reason": "x"}), 404)
}

// A pause needs a reason of bounded length; until, when given, is an RFC
// 3339 time in the future, at most 30 days ahead; the body is bounded as
// every body is.
func TestPauseValidation(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	e := newEnv(t, func(c *api.Config) { c.Now = func() time.Time { return now } })
	e.setup("acme")
	cases := []struct {
		body   any
		column string
		code   string
	}{
		{map[string]any{}, "reason", "required"},
		{map[string]any{"reason": "   "}, "reason", "required"},
		{map[string]any{"reason": strings.Repeat("é", herald.MaxPauseReason+1)}, "reason", "too_long"},
		{map[string]any{"reason": "x", "until": "tomorrow"}, "until", "invalid_time"},
		{map[string]any{"reason": "x", "until": "2026-12-01T09:59:59Z"}, "until", "in_the_past"},
		{map[string]any{"reason": "x", "until": "2026-12-31T10:00:01Z"}, "until", "too_far"},
	}
	for _, c := range cases {
		r := must(t, e.do("POST", "/api/v1/workspaces/acme/pause", c.body), 422)
		var env struct {
			Error struct {
				Details []herald.Problem `json:"details"`
			} `json:"error"`
		}
		r.decode(t, &env)
		if len(env.Error.Details) != 1 || env.Error.Details[0].Column != c.column || env.Error.Details[0].Code != c.code {
			t.Errorf("%v: %s, want %s %s", c.body, r, c.column, c.code)
		}
	}
	must(t, e.do("POST", "/api/v1/workspaces/acme/pause", map[string]any{"reason": "x", "extra": 1}), 400)
	must(t, e.do("POST", "/api/v1/workspaces/acme/pause", map[string]any{"reason": strings.Repeat("é", herald.MaxPauseReason),
		"until": "2026-12-31T10:00:00Z"}), 200)
}
