package main

import (
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/mastodon/mastodonfake"
	"github.com/heraldhq/herald/publishers/telegram/telegramfake"
	"github.com/heraldhq/herald/publishers/webhook/webhookfake"
)

// Fault tests of replicas: real `herald serve` processes on one PostgreSQL
// schema (HERALD_TEST_POSTGRES_URL; skipped without it), killed, cut off
// the database, stopped. Leases are short (3 s) so that takeovers come
// within the tests' time. Helpers are in replicas_helpers_test.go.

const (
	replicaLease = 3 * time.Second
	// maintenanceEvery is how often the maintenance leader recovers expired
	// leases (scheduler's recoverEvery): a takeover comes at most a lease and
	// a round of it after a process stopped.
	maintenanceEvery = 5 * time.Second
	// receiverLatency is how long the webhook receiver takes to answer,
	// after it has accepted the post.
	receiverLatency = 150 * time.Millisecond
)

// Three replicas share a burst of 96 deliveries (12 webhook channels × 8
// posts, all due, to a receiver that honours Idempotency-Key and answers
// after 150 ms); one is killed with SIGKILL while the receiver has accepted
// a post of its and not answered yet. The other two take over the claims it
// held once their leases end — the recovery and the publish name another
// node, at least half a lease and at most a lease and a maintenance round
// after the kill — and every post reaches the receiver exactly once, in due
// order on each channel: the interrupted one is retried with its key and
// answered by the receiver's replay.
func TestReplicaKilledMidBurst(t *testing.T) {
	dsn, _, _ := postgresSchema(t)
	fake := webhookfake.New(webhookfake.Options{HonourIdempotencyKey: true, Latency: receiverLatency})
	t.Cleanup(fake.Close)
	c := newCluster(t, dsn, dsn, "HERALD_LEASE="+replicaLease.String(), "HERALD_WORKERS=4") // 4 channels at a time each
	const victimNode = "replica-0"
	victim := c.start(victimNode)
	c.start("replica-1")
	via := c.start("replica-2")
	b := newBurst(t, c, via, fake, 12, 8)

	// The receiver's posts name their delivery and attempt; the attempt
	// names its node.
	nodes := map[[2]int64]string{}
	nodeOf := func(d webhookfake.Delivery) string {
		k := [2]int64{d.Payload.DeliveryID, int64(d.Payload.Attempt)}
		if _, ok := nodes[k]; !ok {
			nodes[k] = c.delivery(via, "brand", d.Payload.DeliveryID).attemptNode(d.Payload.Attempt)
		}
		return nodes[k]
	}
	// Kill the victim once it has sent eight posts and the receiver accepted
	// one of its less than half the latency ago: that answer is still to
	// come, so the victim is mid-publish.
	var inFlight webhookfake.Delivery
	eventually(t, 20*time.Second, func() string {
		sent := 0
		var last webhookfake.Delivery
		for _, d := range fake.Deliveries() {
			if nodeOf(d) == victimNode {
				sent++
				last = d
			}
		}
		if sent < 8 || herald.Now().Sub(last.Received) >= receiverLatency/2 {
			return fmt.Sprintf("%s sent %d posts, none awaiting its answer", victimNode, sent)
		}
		inFlight = last
		return ""
	})
	killedAt := herald.Now()
	if err := victim.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	victim.wait(t, 10*time.Second)
	if n := len(fake.Deliveries()); n >= b.total() {
		t.Fatalf("the burst was over (%d posts) when %s was killed", n, victimNode)
	}

	// What the victim held when it died: nothing can change it before its
	// leases end.
	tm := &testMain{Token: c.Token, URL: via.URL}
	var held []int64
	for _, row := range tm.report(t, "brand", "burst").Rows {
		if row.Status == "publishing" && c.delivery(via, "brand", row.DeliveryID).running(victimNode) {
			held = append(held, row.DeliveryID)
		}
	}
	if !slices.Contains(held, inFlight.Payload.DeliveryID) {
		t.Fatalf("delivery %d, whose post the receiver had accepted from %s, is not among those it held at its death: %v",
			inFlight.Payload.DeliveryID, victimNode, held)
	}

	t.Logf("killed %s after %d of %d posts, holding deliveries %v; delivery %d's post awaited its answer",
		victimNode, len(fake.Deliveries()), b.total(), held, inFlight.Payload.DeliveryID)

	r, details := b.wait(t, c, via, 40*time.Second)
	b.checkOnce(t, r, details)
	b.checkOrder(t)

	for _, id := range held {
		d := details[id]
		var recovered *time.Time
		for _, e := range d.Events {
			if e.From == "publishing" && e.To == "retrying" && e.Node != victimNode && strings.Contains(e.Reason, "lease expired") {
				recovered = &e.At
				t.Logf("delivery %d recovered by %s %s after the kill", id, e.Node, e.At.Sub(killedAt).Round(time.Millisecond))
				break
			}
		}
		last := d.Attempts[len(d.Attempts)-1]
		switch {
		case recovered == nil:
			t.Errorf("delivery %d, held by %s at its death, was not recovered by another node: %+v", id, victimNode, d.Events)
		case recovered.Sub(killedAt) < replicaLease/2:
			t.Errorf("delivery %d was taken over %s after the kill, before its lease (%s) could end", id, recovered.Sub(killedAt), replicaLease)
		case recovered.Sub(killedAt) > replicaLease+maintenanceEvery+3*time.Second:
			t.Errorf("delivery %d was taken over %s after the kill; want within a lease (%s) and a maintenance round (%s)",
				id, recovered.Sub(killedAt), replicaLease, maintenanceEvery)
		case last.Node == victimNode:
			t.Errorf("delivery %d: its published attempt is %s's: %+v", id, victimNode, d.Attempts)
		}
	}
	// The interrupted post was answered by the receiver's replay of its key.
	d := details[inFlight.Payload.DeliveryID]
	if last := d.Attempts[len(d.Attempts)-1]; last.Number <= inFlight.Payload.Attempt || d.RemoteID != inFlight.ID {
		t.Errorf("delivery %d: attempts %+v, remote id %q; want a later attempt by another node answered with %q, the post %s sent",
			d.ID, d.Attempts, d.RemoteID, inFlight.ID, victimNode)
	}
	if calls, accepted := len(fake.Calls()), len(fake.Deliveries()); calls <= accepted {
		t.Errorf("the receiver got %d calls for %d posts: the interrupted post was never retried", calls, accepted)
	}
}

// Three replicas reach PostgreSQL through a proxy that, in the middle of a
// burst like the one above, resets every connection and every new one for
// longer than a lease. Meanwhile each replica's /readyz answers 503; once
// the database is reachable again they reconnect (/readyz 200) and finish:
// every post reaches the receiver exactly once, in due order per channel,
// and each delivery is published once — those whose results could not be
// recorded are recovered and retried with their key.
func TestReplicasSurvivePostgresCut(t *testing.T) {
	dsn, _, _ := postgresSchema(t)
	proxy, through := proxied(t, dsn)
	fake := webhookfake.New(webhookfake.Options{HonourIdempotencyKey: true, Latency: receiverLatency})
	t.Cleanup(fake.Close)
	c := newCluster(t, dsn, through, "HERALD_LEASE="+replicaLease.String(), "HERALD_WORKERS=4")
	replicas := []*child{c.start("replica-0"), c.start("replica-1"), c.start("replica-2")}
	b := newBurst(t, c, replicas[0], fake, 12, 8)

	eventually(t, 20*time.Second, func() string {
		if n := len(fake.Deliveries()); n < b.total()/4 {
			return fmt.Sprintf("%d of %d posts sent", n, b.total())
		}
		return ""
	})
	proxy.Cut()
	cutAt, cutPosts := herald.Now(), len(fake.Deliveries())
	if cutPosts >= b.total() {
		t.Fatalf("the burst was over (%d posts) when the database was cut", cutPosts)
	}
	for i, r := range replicas {
		eventually(t, 15*time.Second, func() string {
			if s := readyz(r); s != 503 {
				return fmt.Sprintf("replica-%d: /readyz answers %d while the database is unreachable", i, s)
			}
			return ""
		})
	}
	// The outage lasts past a lease: claims whose results could not be
	// recorded expire meanwhile.
	time.Sleep(cutAt.Add(replicaLease + time.Second).Sub(herald.Now())) // the outage, on the clock cutAt was read from
	proxy.Restore()
	t.Logf("database cut for %s after %d of %d posts; %d connections reset", herald.Now().Sub(cutAt).Round(time.Millisecond),
		cutPosts, b.total(), proxy.Cuts())
	for i, r := range replicas {
		eventually(t, 20*time.Second, func() string {
			if s := readyz(r); s != 200 {
				return fmt.Sprintf("replica-%d: /readyz answers %d after the database came back", i, s)
			}
			return ""
		})
	}
	r, details := b.wait(t, c, replicas[1], 45*time.Second)
	b.checkOnce(t, r, details)
	b.checkOrder(t)
	retried := 0
	for _, d := range details {
		if len(d.Attempts) > 1 {
			retried++
		}
	}
	t.Logf("%d deliveries took more than one attempt; the receiver got %d calls for %d posts", retried, len(fake.Calls()), b.total())
	if proxy.Cuts() == 0 {
		t.Error("the cut reset no connection")
	}
}

// One replica is stopped (SIGSTOP) while Mastodon and Telegram both hold
// its publishes, past its lease; another takes both over: the Mastodon post
// is retried with the same Idempotency-Key (the instance holds that call
// too), the Telegram one becomes unknown and is not sent again. Continued
// (SIGCONT) while the retry is in flight, the stopped replica finds its
// leases lost and its late completions are refused: nothing it records
// changes the deliveries. Mastodon ends with one status from two calls
// with one key, Telegram with one message.
func TestReplicaStoppedPastLease(t *testing.T) {
	dsn, _, _ := postgresSchema(t)
	tg := telegramfake.New(telegramfake.Options{})
	t.Cleanup(tg.Close)
	tg.Script(telegramfake.Hang())
	ms := mastodonfake.New(mastodonfake.Options{})
	t.Cleanup(ms.Close)
	ms.Script(mastodonfake.Hang().On("/api/v1/statuses"), mastodonfake.Hang().On("/api/v1/statuses"))
	c := newCluster(t, dsn, dsn, "HERALD_LEASE="+replicaLease.String())
	const stoppedNode, takerNode = "replica-a", "replica-b"
	stopped := c.start(stoppedNode) // alone: the held calls are its
	c.api(stopped, "POST", "/api/v1/workspaces", map[string]any{"slug": "brand", "name": "Brand"}, 201, nil)
	c.api(stopped, "POST", "/api/v1/workspaces/brand/channels", map[string]any{"name": "tg", "platform": "telegram",
		"config": map[string]any{"chat_id": "@brand", "base_url": tg.URL}, "credentials": map[string]any{"bot_token": tg.Token}}, 201, nil)
	c.api(stopped, "POST", "/api/v1/workspaces/brand/channels", map[string]any{"name": "masto", "platform": "mastodon",
		"config": map[string]any{"instance_url": ms.URL}, "credentials": map[string]any{"access_token": ms.Token}}, 201, nil)
	c.api(stopped, "PUT", "/api/v1/workspaces/brand/plans/p", map[string]any{"posts": []map[string]any{
		{"key": "launch", "at": at(herald.Now()), "channels": []string{"tg", "masto"}, "text": "We are live"}}}, 200, nil)
	eventually(t, 15*time.Second, func() string {
		if tg.Held() != 1 || ms.Held() != 1 {
			return fmt.Sprintf("held calls: telegram %d, mastodon %d", tg.Held(), ms.Held())
		}
		return ""
	})
	ids := map[string]int64{}
	for _, row := range (&testMain{Token: c.Token, URL: stopped.URL}).report(t, "brand", "p").Rows {
		ids[row.Channel] = row.DeliveryID
		if d := c.delivery(stopped, "brand", row.DeliveryID); !d.running(stoppedNode) {
			t.Fatalf("%s's delivery is not in flight on %s: %+v", row.Channel, stoppedNode, d)
		}
	}
	taker := c.start(takerNode)
	if err := stopped.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	stoppedAt := herald.Now()

	statusCalls := func() (keys []string) {
		for _, cl := range ms.Calls() {
			if cl.Method == "POST" && cl.Path == "/api/v1/statuses" {
				keys = append(keys, cl.IdempotencyKey)
			}
		}
		return keys
	}
	var masto, tgd deliveryDetail
	eventually(t, 20*time.Second, func() string {
		masto, tgd = c.delivery(taker, "brand", ids["masto"]), c.delivery(taker, "brand", ids["tg"])
		if !masto.running(takerNode) || ms.Held() != 2 || tgd.Status != "unknown" {
			return fmt.Sprintf("mastodon delivery %s (attempts %+v), %d calls held; telegram delivery %s",
				masto.Status, masto.Attempts, ms.Held(), tgd.Status)
		}
		return ""
	})
	for _, tk := range []struct {
		d  deliveryDetail
		to string
	}{{masto, "retrying"}, {tgd, "unknown"}} {
		at, ok := takenOver(tk.d, takerNode, tk.to)
		switch took := at.Sub(stoppedAt); {
		case !ok:
			t.Errorf("delivery %d's events %+v; want it moved from publishing to %s by %s as its lease expired",
				tk.d.ID, tk.d.Events, tk.to, takerNode)
		case took < replicaLease/2:
			t.Errorf("delivery %d taken over %s after the stop, before the lease (%s) could end", tk.d.ID, took, replicaLease)
		default:
			t.Logf("delivery %d (%s) taken over by %s %s after the stop", tk.d.ID, tk.d.Channel, takerNode, took.Round(time.Millisecond))
		}
	}
	if keys := statusCalls(); len(keys) != 2 || keys[0] == "" || keys[0] != keys[1] || keys[0] != masto.IdempotencyKey {
		t.Errorf("status calls with keys %q; want two with the delivery's key %q", keys, masto.IdempotencyKey)
	}
	if !strings.Contains(tgd.Attempts[0].Error, "may or may not") {
		t.Errorf("telegram attempt %+v should say the outcome is unknown", tgd.Attempts[0])
	}

	// The stopped replica wakes while the retry is in flight.
	if err := stopped.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	const refused = "lease lost before the result was recorded"
	eventually(t, 15*time.Second, func() string {
		for name, id := range ids {
			if !loggedFor(stopped, refused, id) {
				return fmt.Sprintf("%s has not logged its late %s completion (delivery %d) as refused", stoppedNode, name, id)
			}
		}
		return ""
	})
	if d := c.delivery(taker, "brand", ids["masto"]); !d.running(takerNode) || len(d.Events) != len(masto.Events) {
		t.Errorf("the refused completion changed the mastodon delivery: %+v", d)
	}

	ms.Release()
	tg.Release()
	tm := &testMain{Token: c.Token, URL: taker.URL}
	tm.waitReport(t, "brand", "p", 15*time.Second, map[string]string{"launch/masto": "published", "launch/tg": "unknown"})
	if _, err := tg.WaitMessages(1, 5*time.Second); err != nil {
		t.Fatal(err) // the held call goes through once released, though its client gave up
	}
	statuses := ms.Statuses()
	masto, tgd = c.delivery(taker, "brand", ids["masto"]), c.delivery(taker, "brand", ids["tg"])
	if len(statuses) != 1 || statuses[0].IdempotencyKey != masto.IdempotencyKey || masto.RemoteID != statuses[0].ID {
		t.Errorf("mastodon statuses %+v, delivery remote id %q; want one status, the delivery's", statuses, masto.RemoteID)
	}
	if keys := statusCalls(); len(keys) != 2 {
		t.Errorf("%d status calls, want 2 (one key)", len(keys))
	}
	if n := len(masto.Attempts); n != 2 || masto.Attempts[1].Node != takerNode || masto.Attempts[1].Outcome != "published" {
		t.Errorf("mastodon attempts %+v; want the stopped one and %s's, published", masto.Attempts, takerNode)
	}
	if n, m := len(tg.Calls()), len(tg.Messages()); n != 1 || m != 1 || tgd.Status != "unknown" || len(tgd.Attempts) != 1 {
		t.Errorf("telegram: %d calls, %d messages, delivery %s with %d attempts; want the post sent once and left unknown",
			n, m, tgd.Status, len(tgd.Attempts))
	}
	for _, d := range []deliveryDetail{masto, tgd} {
		for _, e := range d.Events {
			if e.Node == stoppedNode && e.From != "" && e.From != "scheduled" { // its creation (applied through it) and its claim
				t.Errorf("delivery %d: an event of %s after its claim: %+v", d.ID, stoppedNode, e)
			}
		}
	}
}

// takenOver returns when node moved d out of publishing to status as its
// lease expired, with ok false when it did not.
func takenOver(d deliveryDetail, node, status string) (at time.Time, ok bool) {
	for _, e := range d.Events {
		if e.From == "publishing" && e.To == status && e.Node == node && strings.Contains(e.Reason, "lease expired") {
			return e.At, true
		}
	}
	return time.Time{}, false
}
