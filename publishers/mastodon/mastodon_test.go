package mastodon_test

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/testkit"
	"github.com/heraldhq/herald/publishers/mastodon"
	"github.com/heraldhq/herald/publishers/mastodon/mastodonfake"
	"github.com/rs/zerolog"
)

const token = "SECRET-access-token-123"

var clock = time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC)

func now() time.Time { return clock }

type env struct {
	fake  *mastodonfake.Server
	pub   *mastodon.Publisher
	logs  *bytes.Buffer
	media *httptest.Server // serves media files to download
}

func setup(t *testing.T, fo mastodonfake.Options, po mastodon.Options) env {
	t.Helper()
	fo.Token, fo.Now = token, now
	fake := mastodonfake.New(fo)
	t.Cleanup(fake.Close)
	var logs bytes.Buffer
	po.Logger, po.Now = zerolog.New(&logs).Level(zerolog.DebugLevel), now
	po.HTTPClient = testkit.Loopback // the fake and the media server are on loopback
	if po.PollInterval == 0 {
		po.PollInterval = time.Millisecond
	}
	media := httptest.NewServer(http.HandlerFunc(serveMedia))
	t.Cleanup(media.Close)
	return env{fake: fake, pub: mastodon.New(po), logs: &logs, media: media}
}

var png = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 100)...)

func serveMedia(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/cat.png", "/dog.png":
		w.Header().Set("Content-Type", "image/png")
		w.Write(png)
	case "/sniffed":
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(png)
	case "/page.html":
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html></html>"))
	case "/big.png":
		w.Header().Set("Content-Type", "image/png")
		w.Write(bytes.Repeat(png, 1000))
	case "/flaky.png":
		w.WriteHeader(http.StatusServiceUnavailable)
	default:
		http.NotFound(w, r)
	}
}

func (e env) request(key string, m herald.Message) herald.PublishRequest {
	return herald.PublishRequest{
		Workspace: "acme", DeliveryID: 9, IdempotencyKey: key, Attempt: 1,
		Channel: herald.Channel{Name: "masto", Platform: "mastodon",
			Config:      map[string]any{"instance_url": e.fake.URL, "visibility": "unlisted", "language": "en"},
			Credentials: map[string]string{"access_token": token}},
		Message: m,
	}
}

func (e env) noToken(t *testing.T, res herald.Result) {
	t.Helper()
	for name, s := range map[string]string{"Request": res.Request, "Response": res.Response, "Reason": res.Reason, "logs": e.logs.String()} {
		if strings.Contains(s, token) {
			t.Errorf("%s contains the access token: %q", name, s)
		}
	}
}

func TestPublishText(t *testing.T) {
	e := setup(t, mastodonfake.Options{}, mastodon.Options{})
	res := e.pub.Publish(context.Background(), e.request("k1", herald.Message{Text: "Hello", Link: "https://brand.example/x"}))
	if res.Outcome != herald.OutcomePublished {
		t.Fatalf("outcome %s: %s", res.Outcome, res.Reason)
	}
	sts := e.fake.Statuses()
	if len(sts) != 1 {
		t.Fatalf("%d statuses", len(sts))
	}
	st := sts[0]
	if st.Text != "Hello\n\nhttps://brand.example/x" || st.Visibility != "unlisted" || st.Language != "en" || st.IdempotencyKey != "k1" {
		t.Errorf("status %+v", st)
	}
	if res.RemoteID != st.ID || res.URL != st.URL || !strings.HasSuffix(res.URL, "/@herald/"+st.ID) {
		t.Errorf("remote id %q url %q, status %+v", res.RemoteID, res.URL, st)
	}
	e.noToken(t, res)
}

func TestIdempotentReplay(t *testing.T) {
	e := setup(t, mastodonfake.Options{}, mastodon.Options{})
	if !e.pub.Idempotent() {
		t.Error("Idempotent must be true")
	}
	req := e.request("herald-9-abc", herald.Message{Text: "Once"})
	first := e.pub.Publish(context.Background(), req)
	second := e.pub.Publish(context.Background(), req)
	if first.Outcome != herald.OutcomePublished || second.Outcome != herald.OutcomePublished || first.RemoteID != second.RemoteID {
		t.Fatalf("first %s %s, second %s %s: want both published with the same id", first.Outcome, first.RemoteID, second.Outcome, second.RemoteID)
	}
	if n := len(e.fake.Statuses()); n != 1 {
		t.Errorf("%d statuses on the instance, want 1", n)
	}
}

func TestLostAnswerRetriedWithSameKey(t *testing.T) {
	e := setup(t, mastodonfake.Options{}, mastodon.Options{})
	e.fake.Script(mastodonfake.DropAfterPost())
	req := e.request("herald-9-lost", herald.Message{Text: "Lost answer"})
	res := e.pub.Publish(context.Background(), req)
	if res.Outcome != herald.OutcomeRetry {
		t.Fatalf("outcome %s (%s), want retry", res.Outcome, res.Reason)
	}
	e.noToken(t, res)
	res = e.pub.Publish(context.Background(), req)
	sts := e.fake.Statuses()
	if res.Outcome != herald.OutcomePublished || len(sts) != 1 || res.RemoteID != sts[0].ID {
		t.Errorf("retry: %s %s, statuses %+v; want the original status, posted once", res.Outcome, res.RemoteID, sts)
	}
}

func TestMediaDownloadUploadPoll(t *testing.T) {
	e := setup(t, mastodonfake.Options{ProcessingPolls: 3}, mastodon.Options{})
	res := e.pub.Publish(context.Background(), e.request("k", herald.Message{Text: "Pets",
		Media: []string{e.media.URL + "/cat.png", e.media.URL + "/sniffed"}}))
	if res.Outcome != herald.OutcomePublished {
		t.Fatalf("outcome %s: %s\n%s", res.Outcome, res.Reason, res.Request)
	}
	media := e.fake.Media()
	if len(media) != 2 || media[0].FileName != "cat.png" || media[1].FileName != "sniffed.png" ||
		media[0].ContentType != "image/png" || media[1].ContentType != "image/png" || media[0].Size != len(png) {
		t.Errorf("uploads %+v", media)
	}
	sts := e.fake.Statuses()
	if len(sts) != 1 || strings.Join(sts[0].MediaIDs, ",") != media[0].ID+","+media[1].ID {
		t.Errorf("statuses %+v, want one with both media", sts)
	}
	polls := 0
	for _, c := range e.fake.Calls() {
		if strings.HasPrefix(c.Path, "/api/v1/media/") {
			polls++
		}
	}
	if polls != 8 { // 3 × 206 then 200, for each of the two
		t.Errorf("%d polls, want 8", polls)
	}
}

func TestMediaProblems(t *testing.T) {
	tests := []struct {
		name   string
		path   string
		fault  *mastodonfake.Fault
		po     mastodon.Options
		fo     mastodonfake.Options
		want   herald.Outcome
		reason string
	}{
		{name: "not found", path: "/missing.png", want: herald.OutcomeFailed, reason: "404"},
		{name: "not an image", path: "/page.html", want: herald.OutcomeFailed, reason: "text/html"},
		{name: "too large", path: "/big.png", po: mastodon.Options{MaxMediaBytes: 1000}, want: herald.OutcomeFailed, reason: "bound"},
		{name: "media host 503", path: "/flaky.png", want: herald.OutcomeRetry, reason: "503"},
		{name: "upload 422", path: "/cat.png", fault: ptr(mastodonfake.Unprocessable("Validation failed: File content type is invalid").On("/api/v2/media")),
			want: herald.OutcomeFailed, reason: "File content type is invalid"},
		{name: "upload 500", path: "/cat.png", fault: ptr(mastodonfake.ServerError().On("/api/v2/media")), want: herald.OutcomeRetry, reason: "wrong"},
		{name: "processing too long", path: "/cat.png", fo: mastodonfake.Options{ProcessingPolls: 1000000},
			po: mastodon.Options{MediaWait: 20 * time.Millisecond}, want: herald.OutcomeRetry, reason: "still processing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, tc.fo, tc.po)
			if tc.fault != nil {
				e.fake.Script(*tc.fault)
			}
			res := e.pub.Publish(context.Background(), e.request("k", herald.Message{Text: "x", Media: []string{e.media.URL + tc.path}}))
			if res.Outcome != tc.want || !strings.Contains(res.Reason, tc.reason) {
				t.Errorf("got %s %q, want %s containing %q", res.Outcome, res.Reason, tc.want, tc.reason)
			}
			if n := len(e.fake.Statuses()); n != 0 {
				t.Errorf("%d statuses posted", n)
			}
			e.noToken(t, res)
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestErrorClasses(t *testing.T) {
	tests := []struct {
		name       string
		fault      *mastodonfake.Fault
		text       string
		token      string
		want       herald.Outcome
		reason     string
		retryAfter time.Duration
	}{
		{name: "429 until reset", fault: ptr(mastodonfake.TooManyRequests(90 * time.Second)), want: herald.OutcomeRetry,
			reason: "Too many requests", retryAfter: 90 * time.Second},
		{name: "500", fault: ptr(mastodonfake.ServerError()), want: herald.OutcomeRetry, reason: "went wrong"},
		{name: "502 html", fault: ptr(mastodonfake.BadGateway()), want: herald.OutcomeRetry, reason: "502"},
		{name: "403", fault: ptr(mastodonfake.Forbidden()), want: herald.OutcomeReauth, reason: "reauthorize"},
		{name: "wrong token", token: "other", want: herald.OutcomeReauth, reason: "reauthorize"},
		{name: "422 too long (fake's own check)", text: strings.Repeat("é", 501), want: herald.OutcomeFailed,
			reason: "Validation failed: Text character limit of 500 exceeded"},
		{name: "drop", fault: ptr(mastodonfake.Drop()), want: herald.OutcomeRetry, reason: "same Idempotency-Key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, mastodonfake.Options{}, mastodon.Options{})
			if tc.fault != nil {
				e.fake.Script(*tc.fault)
			}
			if tc.text == "" {
				tc.text = "Hello"
			}
			req := e.request("k", herald.Message{Text: tc.text})
			if tc.token != "" {
				req.Channel.Credentials["access_token"] = tc.token
			}
			res := e.pub.Publish(context.Background(), req)
			if res.Throttled != (tc.retryAfter > 0) {
				t.Errorf("throttled = %v", res.Throttled)
			}
			if res.Outcome != tc.want || !strings.Contains(res.Reason, tc.reason) || res.RetryAfter != tc.retryAfter {
				t.Errorf("got %s %q retry after %s; want %s containing %q, retry after %s",
					res.Outcome, res.Reason, res.RetryAfter, tc.want, tc.reason, tc.retryAfter)
			}
			e.noToken(t, res)
		})
	}
}

func TestRateLimitWindow(t *testing.T) {
	e := setup(t, mastodonfake.Options{RateLimit: 1}, mastodon.Options{})
	if res := e.pub.Publish(context.Background(), e.request("a", herald.Message{Text: "one"})); res.Outcome != herald.OutcomePublished {
		t.Fatalf("first: %s %s", res.Outcome, res.Reason)
	}
	res := e.pub.Publish(context.Background(), e.request("b", herald.Message{Text: "two"}))
	if res.Outcome != herald.OutcomeRetry || !res.Throttled || res.RetryAfter != mastodonfake.RateWindow {
		t.Errorf("over the limit: %s throttled=%v, retry after %s; want a throttled retry after %s (the window's reset)",
			res.Outcome, res.Throttled, res.RetryAfter, mastodonfake.RateWindow)
	}
	// X-RateLimit-Remaining 0 on the first answer held the second back.
	if n := len(e.fake.Calls()); n != 1 {
		t.Errorf("the instance got %d calls, want 1", n)
	}
}

func TestTimeoutAndRefusedRetry(t *testing.T) {
	e := setup(t, mastodonfake.Options{}, mastodon.Options{})
	e.fake.Script(mastodonfake.Hang())
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if res := e.pub.Publish(ctx, e.request("k", herald.Message{Text: "x"})); res.Outcome != herald.OutcomeRetry {
		t.Errorf("timeout: %s (%s), want retry", res.Outcome, res.Reason)
	}
	e.fake.Release()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	req := e.request("k", herald.Message{Text: "x"})
	req.Channel.Config["instance_url"] = "http://" + ln.Addr().String()
	res := e.pub.Publish(context.Background(), req)
	if res.Outcome != herald.OutcomeRetry {
		t.Errorf("refused: %s (%s), want retry", res.Outcome, res.Reason)
	}
	e.noToken(t, res)
}

func TestValidateChannel(t *testing.T) {
	pub := mastodon.New(mastodon.Options{HTTPClient: testkit.Loopback})
	err := pub.ValidateChannel(&herald.Channel{Config: map[string]any{"visibility": "everyone"}})
	var cols []string
	for _, p := range herald.ErrorDetails(err) {
		cols = append(cols, p.Column)
	}
	if herald.ErrorCode(err) != herald.EVALIDATION || strings.Join(cols, ",") != "config.instance_url,config.visibility,credentials.access_token" {
		t.Errorf("got %v %v", err, cols)
	}
	ok := &herald.Channel{Config: map[string]any{"instance_url": "https://mastodon.social"}, Credentials: map[string]string{"access_token": "t"}}
	if err := pub.ValidateChannel(ok); err != nil {
		t.Errorf("valid channel: %v", err)
	}
}
