package telegram_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/testkit"
	"github.com/heraldhq/herald/publishers/telegram"
	"github.com/heraldhq/herald/publishers/telegram/telegramfake"
)

func clockedSetup(t *testing.T) (*telegramfake.Server, *telegram.Publisher, *testkit.Clock) {
	t.Helper()
	fake := telegramfake.New(telegramfake.Options{Token: token})
	t.Cleanup(fake.Close)
	c := testkit.NewClock(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	return fake, telegram.New(telegram.Options{HTTPClient: testkit.Loopback, Now: c.Now}), c
}

// publishN publishes n messages to chat and returns the outcomes.
func publishN(t *testing.T, pub *telegram.Publisher, fake *telegramfake.Server, chat string, n int) []herald.Result {
	t.Helper()
	var out []herald.Result
	for range n {
		out = append(out, pub.Publish(context.Background(), request(fake.URL, chat, herald.Message{Text: "Hello"})))
	}
	return out
}

func TestGroupPaceIsAtMost20PerMinute(t *testing.T) {
	fake, pub, c := clockedSetup(t)
	sent := 0
	// Try a message every second for a minute: no more than 20 may reach Telegram.
	for range 60 {
		res := pub.Publish(context.Background(), request(fake.URL, "-4001", herald.Message{Text: "Hello"}))
		switch {
		case res.Outcome == herald.OutcomePublished:
			sent++
		case res.Outcome == herald.OutcomeRetry && res.Throttled && res.RetryAfter > 0:
		default:
			t.Fatalf("got %s throttled=%v after %s (%s)", res.Outcome, res.Throttled, res.RetryAfter, res.Reason)
		}
		c.Add(time.Second)
	}
	if sent > 20 || sent < 17 {
		t.Fatalf("%d messages went to the group in a minute, want 17–20", sent)
	}
	if calls := len(fake.Calls()); calls != sent {
		t.Fatalf("Telegram got %d calls for %d messages: throttled ones must not call it", calls, sent)
	}
}

func TestChatPaceAllowsABurstThenOnePerSecond(t *testing.T) {
	fake, pub, c := clockedSetup(t)
	res := publishN(t, pub, fake, "@brand", telegram.ChatBurst+1)
	for i, r := range res[:telegram.ChatBurst] {
		if r.Outcome != herald.OutcomePublished {
			t.Fatalf("message %d of the burst: %s (%s)", i+1, r.Outcome, r.Reason)
		}
	}
	last := res[telegram.ChatBurst]
	if last.Outcome != herald.OutcomeRetry || !last.Throttled || last.RetryAfter != time.Second {
		t.Fatalf("over the burst: %s throttled=%v after %s, want a throttled retry after 1s", last.Outcome, last.Throttled, last.RetryAfter)
	}
	// Another chat is paced on its own.
	if r := publishN(t, pub, fake, "@other", 1)[0]; r.Outcome != herald.OutcomePublished {
		t.Fatalf("another chat: %s", r.Outcome)
	}
	c.Add(time.Second)
	if r := publishN(t, pub, fake, "@brand", 1)[0]; r.Outcome != herald.OutcomePublished {
		t.Fatalf("after the wait: %s (%s)", r.Outcome, r.Reason)
	}
	if n := len(fake.Messages()); n != telegram.ChatBurst+2 {
		t.Fatalf("%d messages posted, want %d", n, telegram.ChatBurst+2)
	}
}

func TestRetryAfterHoldsTheChat(t *testing.T) {
	fake, pub, c := clockedSetup(t)
	fake.Script(telegramfake.TooManyRequests(30))
	first := publishN(t, pub, fake, "@brand", 1)[0]
	if first.Outcome != herald.OutcomeRetry || !first.Throttled || first.RetryAfter != 30*time.Second {
		t.Fatalf("429: %s throttled=%v after %s", first.Outcome, first.Throttled, first.RetryAfter)
	}
	c.Add(10 * time.Second)
	held := publishN(t, pub, fake, "@brand", 1)[0]
	if held.Outcome != herald.OutcomeRetry || !held.Throttled || held.RetryAfter != 20*time.Second ||
		!strings.Contains(held.Reason, "rate limits") {
		t.Fatalf("within retry_after: %s throttled=%v after %s (%s), want a throttled retry after 20s",
			held.Outcome, held.Throttled, held.RetryAfter, held.Reason)
	}
	if calls := len(fake.Calls()); calls != 1 {
		t.Fatalf("Telegram got %d calls; the client must wait out retry_after", calls)
	}
	c.Add(20 * time.Second)
	if r := publishN(t, pub, fake, "@brand", 1)[0]; r.Outcome != herald.OutcomePublished {
		t.Fatalf("after retry_after: %s (%s)", r.Outcome, r.Reason)
	}
}

// TestReplicasKeepTheGroupPace plays three replicas of herald serve taking
// turns on one group, with the database's part done by hand: each claim
// comes no earlier than the last Result's NotBefore, on whichever replica.
// The group gets at most 20 messages a minute, none of them refused.
func TestReplicasKeepTheGroupPace(t *testing.T) {
	fake := telegramfake.New(telegramfake.Options{Token: token})
	t.Cleanup(fake.Close)
	c := testkit.NewClock(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	var replicas []*telegram.Publisher
	for range 3 {
		replicas = append(replicas, telegram.New(telegram.Options{HTTPClient: testkit.Loopback, Now: c.Now}))
	}
	end := c.Now().Add(time.Minute)
	for i := 0; ; i++ {
		req := request(fake.URL, "-4001", herald.Message{Text: "Hello"})
		res := replicas[i%len(replicas)].Publish(context.Background(), req)
		if res.Outcome != herald.OutcomePublished {
			t.Fatalf("message %d: %s throttled=%v after %s (%s), want published: the database held the channel as asked",
				i+1, res.Outcome, res.Throttled, res.RetryAfter, res.Reason)
		}
		if got := res.NotBefore.Sub(c.Now()); got != telegram.GroupEvery {
			t.Fatalf("message %d: NotBefore %s after it, want GroupEvery (%s)", i+1, got, telegram.GroupEvery)
		}
		if !res.NotBefore.Before(end) {
			break
		}
		c.Add(res.NotBefore.Sub(c.Now())) // the database holds the channel until then
	}
	if n := len(fake.Messages()); n > 20 {
		t.Fatalf("%d messages went to the group in a minute from three replicas, want at most 20", n)
	}
}

// TestNotBeforeFollowsAMigratedChat: after a resend to the supergroup a
// group became, the channel's next message goes there, so NotBefore is
// that chat's pace.
func TestNotBeforeFollowsAMigratedChat(t *testing.T) {
	fake, pub, c := clockedSetup(t)
	fake.Script(telegramfake.Migrate(-1009876543210))
	res := pub.Publish(context.Background(), request(fake.URL, "-4001", herald.Message{Text: "Hello"}))
	if res.Outcome != herald.OutcomePublished || res.ConfigUpdate["chat_id"] != "-1009876543210" {
		t.Fatalf("got %s %v (%s), want published to the new chat", res.Outcome, res.ConfigUpdate, res.Reason)
	}
	if want := c.Now().Add(telegram.GroupEvery); !res.NotBefore.Equal(want) {
		t.Fatalf("NotBefore %v, want the new chat's pace: %v", res.NotBefore, want)
	}
}
