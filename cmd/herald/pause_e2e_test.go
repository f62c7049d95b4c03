package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/webhook/webhookfake"
)

// The crisis stop under a burst, through real `herald serve` processes: 50
// deliveries due over the next 10 s on 5 channels, the workspace paused 3 s
// in, resumed once everything is due. Nothing is claimed after the pause
// answered; what was publishing then is listed in flight; on resume the
// rest goes out, in due order per channel, each exactly once. The audit
// log lists each change, the pause and the resume with who made them.

// pauseLatency is how long the receiver takes to answer a post. The proof
// below leans on it only against the test's own clock (the receiver runs
// in this process): a post that reached the receiver after the pause
// request was sent is still unanswered — so its delivery still publishing
// — for pauseLatency, longer than the pause takes to answer.
const pauseLatency = 400 * time.Millisecond

// Two replicas on one PostgreSQL schema: the pause is sent to one, the
// resume to the other.
func TestPauseAcrossReplicas(t *testing.T) {
	dsn, _, _ := postgresSchema(t)
	c := newCluster(t, dsn, dsn, "HERALD_LEASE="+replicaLease.String())
	a := c.start("replica-0")
	b := c.start("replica-1")
	pauseUnderBurst(t, c, a, b)
}

// One process on SQLite.
func TestPauseOneProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "herald.db")
	c := newCluster(t, path, path)
	solo := c.start("solo")
	pauseUnderBurst(t, c, solo, solo)
}

// pauseAnswer is POST …/pause's answer.
type pauseAnswer struct {
	PausedAt time.Time `json:"paused_at"`
	Reason   string    `json:"reason"`
	InFlight []struct {
		ID      int64  `json:"id"`
		Channel string `json:"channel"`
		Plan    string `json:"plan"`
		Post    string `json:"post"`
	} `json:"in_flight"`
}

func pauseUnderBurst(t *testing.T, c *cluster, via, other *child) {
	fake := webhookfake.New(webhookfake.Options{HonourIdempotencyKey: true, Latency: pauseLatency})
	t.Cleanup(fake.Close)
	b := burst{fake: fake, posts: 10}
	c.api(via, "POST", "/api/v1/workspaces", map[string]any{"slug": "brand", "name": "Brand"}, 201, nil)
	for i := 1; i <= 5; i++ {
		name := fmt.Sprintf("ch%02d", i)
		b.channels = append(b.channels, name)
		c.api(via, "POST", "/api/v1/workspaces/brand/channels", map[string]any{"name": name, "platform": "webhook",
			"config": map[string]any{"url": fake.URL, "idempotent": true}, "credentials": map[string]any{"secret": fake.Secret}}, 201, nil)
	}
	// Post i on every channel at base + i + 1 s: five deliveries a second
	// for ten seconds, on the clock the services run on.
	base := herald.Now().Truncate(time.Second).Add(time.Second)
	var rows []map[string]any
	for i := range b.posts {
		rows = append(rows, map[string]any{"key": fmt.Sprintf("p%02d", i), "at": at(base.Add(time.Duration(i+1) * time.Second)),
			"channels": b.channels, "text": postText(i)})
	}
	c.api(via, "PUT", "/api/v1/workspaces/brand/plans/burst", map[string]any{"posts": rows}, 200, nil)
	lastDue := base.Add(time.Duration(b.posts) * time.Second)
	tm := &testMain{Token: c.Token, URL: via.URL}

	time.Sleep(base.Add(3*time.Second + 100*time.Millisecond).Sub(herald.Now())) // the burst's fourth second
	sent := herald.Now()
	var p pauseAnswer
	c.api(other, "POST", "/api/v1/workspaces/brand/pause", map[string]any{"reason": "crisis: hold everything"}, 200, &p)
	if took := herald.Now().Sub(sent); took >= pauseLatency {
		t.Fatalf("the pause took %s to answer, not less than the receiver's latency %s the proof leans on", took, pauseLatency)
	}
	first := tm.report(t, "brand", "burst") // right after the answer
	inFlight := map[int64]bool{}
	byID := map[int64]reportRow{}
	for _, r := range first.Rows {
		byID[r.DeliveryID] = r
	}
	for _, f := range p.InFlight {
		inFlight[f.ID] = true
		if r := byID[f.ID]; f.Plan != "burst" || f.Post != r.Key || f.Channel != r.Channel {
			t.Errorf("in flight %+v names another delivery than %s/%s", f, r.Key, r.Channel)
		}
	}
	for _, r := range first.Rows {
		if r.Status == "publishing" && !inFlight[r.DeliveryID] {
			t.Errorf("%s/%s (delivery %d) is publishing after the pause answered but was not listed in flight %+v", r.Key, r.Channel, r.DeliveryID, p.InFlight)
		}
	}
	for _, node := range []*child{via, other} {
		var ws struct {
			Paused *struct{ Reason string } `json:"paused"`
		}
		c.api(node, "GET", "/api/v1/workspaces/brand", nil, 200, &ws)
		if ws.Paused == nil || ws.Paused.Reason != "crisis: hold everything" {
			t.Errorf("GET the workspace while paused: %+v", ws.Paused)
		}
	}

	// Everything comes due and the in-flight publishes finish, on the
	// processes' every tick, while paused.
	var held report
	eventually(t, 30*time.Second, func() string {
		if now := herald.Now(); now.Before(lastDue.Add(2 * time.Second)) {
			return fmt.Sprintf("the last post is due at %s (now %s)", lastDue.Format(time.TimeOnly), now.Format(time.TimeOnly))
		}
		held = tm.report(t, "brand", "burst")
		for _, r := range held.Rows {
			if r.Status == "publishing" {
				return fmt.Sprintf("%s/%s is still publishing", r.Key, r.Channel)
			}
		}
		return ""
	})

	// The proof, from what the receiver got (on this process's clock) and
	// each delivery's events (read before the resume): every post that
	// arrived after the pause was sent is of a delivery listed in flight;
	// every move to publishing is of a delivery in flight or whose post
	// arrived before the pause was sent.
	before := map[int64]bool{}
	for _, d := range fake.Deliveries() {
		if d.Received.Before(sent) {
			before[d.Payload.DeliveryID] = true
		} else if !inFlight[d.Payload.DeliveryID] {
			t.Errorf("%s %q (delivery %d) reached the receiver %s after the pause was sent and was not in flight",
				d.Payload.Channel, d.Payload.Text, d.Payload.DeliveryID, d.Received.Sub(sent))
		}
	}
	waiting := 0
	for _, r := range held.Rows {
		d := c.delivery(via, "brand", r.DeliveryID)
		claims := 0
		for _, e := range d.Events {
			if e.To == "publishing" {
				claims++
			}
		}
		switch {
		case claims > 0 && !inFlight[r.DeliveryID] && !before[r.DeliveryID]:
			t.Errorf("%s/%s (delivery %d) was claimed while paused: %+v", r.Key, r.Channel, r.DeliveryID, d.Events)
		case claims == 0:
			waiting++
			if r.Status != "scheduled" {
				t.Errorf("%s/%s is %s while paused, want scheduled (held, not missed)", r.Key, r.Channel, r.Status)
			}
		}
	}
	if waiting == 0 || waiting == b.total() {
		t.Fatalf("%d of %d deliveries were held: the pause did not come mid-burst", waiting, b.total())
	}
	t.Logf("paused after %d posts, %d in flight, %d held", len(before), len(p.InFlight), waiting)

	var res struct {
		WillPublish int `json:"will_publish"`
		Missed      int `json:"missed"`
	}
	c.api(via, "POST", "/api/v1/workspaces/brand/resume", nil, 200, &res)
	if res.WillPublish != waiting || res.Missed != 0 {
		t.Errorf("resume answered %+v, want %d to publish and none missed", res, waiting)
	}
	r, details := b.wait(t, c, via, 40*time.Second)
	b.checkOnce(t, r, details)
	b.checkOrder(t)

	// The audit log lists each change above with its actor, the pause and
	// the resume too, whichever replica took them; the channels' secret is
	// nowhere in it.
	want := []string{"workspace.created workspace brand by token:1 (replicas)"}
	for _, name := range b.channels {
		want = append(want, "channel.created channel "+name+" by token:1 (replicas)")
	}
	want = append(want,
		"plan.applied plan burst (10 created) by token:1 (replicas)",
		"workspace.paused workspace brand by token:1 (replicas)",
		"workspace.resumed workspace brand by token:1 (replicas)")
	wantAudit(t, "brand's audit log", auditActions(t, tm, "brand"), want...)
	wantAudit(t, "the instance's audit log", auditActions(t, tm, ""), "token.created token 1 by system:cli (herald token create)")
	for _, e := range auditEntries(t, tm, "brand") {
		if d, _ := json.Marshal(e.Details); strings.Contains(string(d), fake.Secret) {
			t.Errorf("the channels' secret in the audit log: %s %s %s", e.Action, e.Target, d)
		}
		if e.Action == herald.AuditWorkspacePaused && e.Details["reason"] != "crisis: hold everything" {
			t.Errorf("the pause's entry does not give its reason: %+v", e.Details)
		}
	}
}
