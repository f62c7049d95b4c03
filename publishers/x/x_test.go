package x_test

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/testkit"
	"github.com/heraldhq/herald/publishers/x"
	"github.com/heraldhq/herald/publishers/x/xfake"
	"github.com/rs/zerolog"
)

// saver records SaveCredentials calls.
type saver struct {
	mu    sync.Mutex
	calls []map[string]string
	ids   []int64
	err   error
	hook  func() // runs before recording, outside the lock
}

func (s *saver) Save(ctx context.Context, id int64, creds map[string]string) error {
	if s.hook != nil {
		s.hook()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, creds)
	s.ids = append(s.ids, id)
	return s.err
}

func (s *saver) Calls() []map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]map[string]string(nil), s.calls...)
}

type env struct {
	fake  *xfake.Server
	pub   *x.Publisher
	clock *testkit.Clock
	save  *saver
	logs  *testkit.SyncBuffer
	media *httptest.Server
	opts  x.Options
}

func setup(t *testing.T, fo xfake.Options) *env {
	t.Helper()
	c := testkit.NewClock(time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC))
	fo.Now = c.Now
	fake := xfake.New(fo)
	t.Cleanup(fake.Close)
	media := httptest.NewServer(http.HandlerFunc(serveMedia))
	t.Cleanup(media.Close)
	e := &env{fake: fake, clock: c, save: &saver{}, logs: &testkit.SyncBuffer{}, media: media}
	e.opts = x.Options{Logger: zerolog.New(e.logs).Level(zerolog.DebugLevel), Now: c.Now,
		HTTPClient: testkit.Loopback, SaveCredentials: e.save.Save}
	e.pub = x.New(e.opts)
	return e
}

var png = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 100)...)

func serveMedia(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/1.png", "/2.png", "/3.png", "/4.png", "/5.png":
		w.Header().Set("Content-Type", "image/png")
		w.Write(png)
	case "/page.html":
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html></html>"))
	case "/big.png":
		w.Header().Set("Content-Type", "image/png")
		w.Write(bytes.Repeat(png, 60000))
	case "/flaky.png":
		w.WriteHeader(http.StatusServiceUnavailable)
	default:
		http.NotFound(w, r)
	}
}

func (e *env) channel() herald.Channel {
	return herald.Channel{ID: 7, Name: "brand-x", Platform: "x",
		Config:      map[string]any{"username": e.fake.Username(), "base_url": e.fake.URL},
		Credentials: e.fake.Credentials()}
}

func (e *env) request(m herald.Message) herald.PublishRequest {
	return herald.PublishRequest{Workspace: "acme", DeliveryID: 9, IdempotencyKey: "k", Attempt: 1, Channel: e.channel(), Message: m}
}

func (e *env) images(names ...string) []string {
	var us []string
	for _, n := range names {
		us = append(us, e.media.URL+"/"+n)
	}
	return us
}

// secrets are every token and secret the fake ever issued or accepted.
func (e *env) secrets() []string {
	s := []string{xfake.DefaultAccessToken, xfake.DefaultRefreshToken, xfake.DefaultClientSecret}
	for _, r := range e.fake.Refreshes() {
		s = append(s, r.New, r.AccessToken)
	}
	return s
}

func (e *env) noSecrets(t *testing.T, res herald.Result) {
	t.Helper()
	for _, sec := range e.secrets() {
		for name, v := range map[string]string{"Request": res.Request, "Response": res.Response, "Reason": res.Reason, "logs": e.logs.String()} {
			if strings.Contains(v, sec) {
				t.Errorf("%s contains a secret %q: %q", name, sec, v)
			}
		}
	}
}

func (e *env) paths() string {
	var ps []string
	for _, c := range e.fake.Calls() {
		ps = append(ps, c.Method+" "+c.Path)
	}
	return strings.Join(ps, ", ")
}

func TestPublish(t *testing.T) {
	tests := []struct {
		name    string
		msg     func(e *env) herald.Message
		fault   *xfake.Fault
		outcome herald.Outcome
		reason  string // part of the reason
		images  int    // uploads and media ids of the tweet
	}{
		{name: "text with link", msg: func(e *env) herald.Message {
			return herald.Message{Text: "Hello", Link: "https://brand.example/a"}
		}, outcome: herald.OutcomePublished},
		{name: "one image", msg: func(e *env) herald.Message {
			return herald.Message{Text: "Pet", Media: e.images("1.png")}
		}, outcome: herald.OutcomePublished, images: 1},
		{name: "four images", msg: func(e *env) herald.Message {
			return herald.Message{Text: "Pets", Media: e.images("1.png", "2.png", "3.png", "4.png")}
		}, outcome: herald.OutcomePublished, images: 4},
		{name: "five images", msg: func(e *env) herald.Message {
			return herald.Message{Text: "Too many", Media: e.images("1.png", "2.png", "3.png", "4.png", "5.png")}
		}, outcome: herald.OutcomeFailed, reason: "at most 4 images"},
		{name: "media not found", msg: func(e *env) herald.Message {
			return herald.Message{Text: "Gone", Media: e.images("gone.png")}
		}, outcome: herald.OutcomeFailed, reason: "404"},
		{name: "media not an image", msg: func(e *env) herald.Message {
			return herald.Message{Text: "Page", Media: e.images("page.html")}
		}, outcome: herald.OutcomeFailed, reason: "text/html"},
		{name: "media over 5 MB", msg: func(e *env) herald.Message {
			return herald.Message{Text: "Big", Media: e.images("big.png")}
		}, outcome: herald.OutcomeFailed, reason: "bound"},
		{name: "media host down", msg: func(e *env) herald.Message {
			return herald.Message{Text: "Flaky", Media: e.images("flaky.png")}
		}, outcome: herald.OutcomeRetry, reason: "503"},
		{name: "duplicate", fault: ptr(xfake.Duplicate()), outcome: herald.OutcomeFailed,
			reason: "X rejected it as a duplicate of a recent post (it may already be published"},
		{name: "invalid request", fault: ptr(xfake.InvalidRequest("Your Tweet text is too long.")),
			outcome: herald.OutcomeFailed, reason: "Your Tweet text is too long."},
		{name: "forbidden", fault: ptr(xfake.Forbidden("You are not permitted to perform this action.")),
			outcome: herald.OutcomeFailed, reason: "You are not permitted"},
		{name: "server error", fault: ptr(xfake.ServerError()), outcome: herald.OutcomeRetry, reason: "Service Unavailable"},
		{name: "bad gateway page", fault: ptr(xfake.BadGateway()), outcome: herald.OutcomeRetry, reason: "502"},
		{name: "answer lost", fault: ptr(xfake.DropAfterPost()), outcome: herald.OutcomeUnknown, reason: "look for it"},
		{name: "connection dropped after sending", fault: ptr(xfake.Drop()), outcome: herald.OutcomeUnknown},
		{name: "upload server error", msg: func(e *env) herald.Message {
			return herald.Message{Text: "Pet", Media: e.images("1.png")}
		}, fault: ptr(xfake.ServerError().On("/2/media/upload")), outcome: herald.OutcomeRetry},
		{name: "upload refused", msg: func(e *env) herald.Message {
			return herald.Message{Text: "Pet", Media: e.images("1.png")}
		}, fault: ptr(xfake.Forbidden("media.write scope missing").On("/2/media/upload")), outcome: herald.OutcomeFailed, reason: "media.write"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, xfake.Options{})
			msg := herald.Message{Text: "Plain " + tt.name}
			if tt.msg != nil {
				msg = tt.msg(e)
			}
			if tt.fault != nil {
				e.fake.Script(*tt.fault)
			}
			res := e.pub.Publish(context.Background(), e.request(msg))
			e.noSecrets(t, res)
			if res.Outcome != tt.outcome || !strings.Contains(res.Reason, tt.reason) {
				t.Fatalf("got %s %q, want %s with %q\ncalls: %s", res.Outcome, res.Reason, tt.outcome, tt.reason, e.paths())
			}
			tweets := e.fake.Tweets()
			if tt.outcome != herald.OutcomePublished {
				if len(tweets) > 0 && tt.fault != nil && !tt.fault.Post {
					t.Errorf("tweets %+v after %s", tweets, tt.outcome)
				}
				return
			}
			if len(tweets) != 1 {
				t.Fatalf("%d tweets", len(tweets))
			}
			tw := tweets[0]
			if tw.Text != msg.Body() || res.RemoteID != tw.ID || res.URL != "https://x.com/herald/status/"+tw.ID || res.URL != tw.URL {
				t.Errorf("result %s %s, tweet %+v", res.RemoteID, res.URL, tw)
			}
			media := e.fake.Media()
			if len(media) != tt.images || len(tw.MediaIDs) != tt.images {
				t.Fatalf("%d uploads, %d media ids, want %d", len(media), len(tw.MediaIDs), tt.images)
			}
			for i, m := range media {
				if tw.MediaIDs[i] != m.ID || m.Category != "tweet_image" || m.Size != len(png) {
					t.Errorf("upload %d %+v, tweet media ids %v", i, m, tw.MediaIDs)
				}
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestNetworkErrorBeforeSending(t *testing.T) {
	e := setup(t, xfake.Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	req := e.request(herald.Message{Text: "Nobody home"})
	req.Channel.Config["base_url"] = "http://" + addr
	res := e.pub.Publish(context.Background(), req)
	if res.Outcome != herald.OutcomeRetry || !strings.Contains(res.Reason, "not sent") {
		t.Errorf("got %s %q, want retry", res.Outcome, res.Reason)
	}
	e.noSecrets(t, res)
}

func TestIdempotent(t *testing.T) {
	if x.New(x.Options{HTTPClient: testkit.Loopback}).Idempotent() {
		t.Error("X has no idempotency key: Idempotent must be false")
	}
}

func TestThrottledUntilReset(t *testing.T) {
	e := setup(t, xfake.Options{})
	e.fake.Script(xfake.TooManyRequests(90 * time.Second))
	res := e.pub.Publish(context.Background(), e.request(herald.Message{Text: "First"}))
	if res.Outcome != herald.OutcomeRetry || !res.Throttled || res.RetryAfter != 90*time.Second {
		t.Fatalf("got %s throttled=%v after %s (%s), want a throttled retry after 90s", res.Outcome, res.Throttled, res.RetryAfter, res.Reason)
	}
	calls := len(e.fake.Calls())
	e.clock.Add(30 * time.Second)
	res = e.pub.Publish(context.Background(), e.request(herald.Message{Text: "Second"}))
	if res.Outcome != herald.OutcomeRetry || !res.Throttled || res.RetryAfter != time.Minute {
		t.Errorf("before the reset: %s throttled=%v after %s, want a throttled retry after 1m", res.Outcome, res.Throttled, res.RetryAfter)
	}
	if n := len(e.fake.Calls()); n != calls || e.fake.Early() != 0 {
		t.Errorf("X was called before the reset (%d calls, was %d; early %d)", n, calls, e.fake.Early())
	}
	e.clock.Add(time.Minute)
	if res := e.pub.Publish(context.Background(), e.request(herald.Message{Text: "Third"})); res.Outcome != herald.OutcomePublished {
		t.Errorf("after the reset: %s %q", res.Outcome, res.Reason)
	}
}

func TestDailyCapThrottlesUntilItsReset(t *testing.T) {
	e := setup(t, xfake.Options{})
	e.fake.Script(xfake.DailyCapReached(5 * time.Hour))
	res := e.pub.Publish(context.Background(), e.request(herald.Message{Text: "Capped"}))
	if res.Outcome != herald.OutcomeRetry || !res.Throttled || res.RetryAfter != 5*time.Hour {
		t.Errorf("got %s throttled=%v after %s (%s), want a throttled retry after the daily cap's reset", res.Outcome, res.Throttled, res.RetryAfter, res.Reason)
	}
}

// TestAppCapHoldsTheAppsOtherChannelsOnAnotherReplica: a used-up app cap
// seen by one replica comes back in Result.Blocks under the app's key; a
// second replica given those Blocks holds another channel of the app back
// without calling X, and lets it go once the cap resets.
func TestAppCapHoldsTheAppsOtherChannelsOnAnotherReplica(t *testing.T) {
	e := setup(t, xfake.Options{})
	b := x.New(e.opts) // another replica: limits of its own
	e.fake.Script(xfake.AppCapReached(2 * time.Hour))
	resA := e.pub.Publish(context.Background(), e.request(herald.Message{Text: "Capped"}))
	if resA.Outcome != herald.OutcomeRetry || !resA.Throttled || resA.RetryAfter != 2*time.Hour {
		t.Fatalf("A: %s throttled=%v after %s (%s), want a throttled retry after the cap's reset", resA.Outcome, resA.Throttled, resA.RetryAfter, resA.Reason)
	}
	app := "x:app:" + e.fake.Credentials()["client_id"]
	if until := resA.Blocks[app]; !until.Equal(e.clock.Now().Add(2 * time.Hour)) {
		t.Fatalf("A's Blocks %v: want %s blocked until the cap's reset", resA.Blocks, app)
	}
	other := e.request(herald.Message{Text: "Elsewhere"})
	other.Channel.ID, other.Channel.Name = 2, "x-2"
	other.Blocks = resA.Blocks
	calls := len(e.fake.Calls())
	e.clock.Add(time.Hour)
	res := b.Publish(context.Background(), other)
	if res.Outcome != herald.OutcomeRetry || !res.Throttled || res.RetryAfter != time.Hour || len(e.fake.Calls()) != calls {
		t.Fatalf("B on another channel of the app: %s throttled=%v after %s, %d calls (%s): want a throttled retry after 1h without calling X",
			res.Outcome, res.Throttled, res.RetryAfter, len(e.fake.Calls())-calls, res.Reason)
	}
	if !res.NotBefore.Equal(resA.Blocks[app]) {
		t.Errorf("B's NotBefore %v, want the app's block %v", res.NotBefore, resA.Blocks[app])
	}
	e.clock.Add(time.Hour)
	if res := b.Publish(context.Background(), other); res.Outcome != herald.OutcomePublished {
		t.Fatalf("B after the reset: %s %q", res.Outcome, res.Reason)
	}
}

func TestLastRemainingBlocks(t *testing.T) {
	e := setup(t, xfake.Options{RateLimit: 1})
	if res := e.pub.Publish(context.Background(), e.request(herald.Message{Text: "One"})); res.Outcome != herald.OutcomePublished {
		t.Fatalf("first: %s %q", res.Outcome, res.Reason)
	}
	res := e.pub.Publish(context.Background(), e.request(herald.Message{Text: "Two"}))
	if res.Outcome != herald.OutcomeRetry || !res.Throttled || res.RetryAfter <= 0 || len(e.fake.Calls()) != 1 {
		t.Errorf("got %s throttled=%v after %s with calls %s: want a throttled retry without calling X", res.Outcome, res.Throttled, res.RetryAfter, e.paths())
	}
}

func TestRealRateLimit429(t *testing.T) {
	e := setup(t, xfake.Options{RateLimit: 1})
	// Another client of the account (unknown to this publisher's limiter) uses up the window.
	other := x.New(x.Options{HTTPClient: testkit.Loopback, Now: e.clock.Now, SaveCredentials: e.save.Save})
	other.Publish(context.Background(), e.request(herald.Message{Text: "elsewhere"}))
	res := e.pub.Publish(context.Background(), e.request(herald.Message{Text: "Mine"}))
	want := xfake.RateWindow
	if res.Outcome != herald.OutcomeRetry || !res.Throttled || res.RetryAfter != want {
		t.Errorf("got %s throttled=%v after %s (%s), want a throttled retry after %s", res.Outcome, res.Throttled, res.RetryAfter, res.Reason, want)
	}
}

func TestUploadBaseURL(t *testing.T) {
	e := setup(t, xfake.Options{})
	target, _ := url.Parse(e.fake.URL)
	var mu sync.Mutex
	var seen []string
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.Path)
		mu.Unlock()
		httputil.NewSingleHostReverseProxy(target).ServeHTTP(w, r)
	}))
	defer proxy.Close()
	req := e.request(herald.Message{Text: "Via the upload host", Media: e.images("1.png")})
	req.Channel.Config["upload_base_url"] = proxy.URL + "/"
	res := e.pub.Publish(context.Background(), req)
	mu.Lock()
	defer mu.Unlock()
	if res.Outcome != herald.OutcomePublished || strings.Join(seen, ",") != "/2/media/upload" {
		t.Errorf("got %s %q; the upload host saw %v, want only the upload", res.Outcome, res.Reason, seen)
	}
}
