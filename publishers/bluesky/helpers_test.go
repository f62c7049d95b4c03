package bluesky_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/bluesky"
	"github.com/heraldhq/herald/publishers/bluesky/blueskyfake"
	"github.com/heraldhq/herald/publishers/internal/testkit"
	"github.com/rs/zerolog"
)

type env struct {
	fake  *blueskyfake.Server
	pub   *bluesky.Publisher
	clock *testkit.Clock
	logs  *testkit.SyncBuffer
	media *httptest.Server
}

func setup(t *testing.T) env {
	t.Helper()
	c := testkit.NewClock(time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC))
	fake := blueskyfake.New(blueskyfake.Options{Now: c.Now})
	t.Cleanup(fake.Close)
	var logs testkit.SyncBuffer
	pub := bluesky.New(bluesky.Options{Now: c.Now, HTTPClient: testkit.Loopback,
		Logger: zerolog.New(&logs).Level(zerolog.DebugLevel)})
	media := httptest.NewServer(http.HandlerFunc(serveMedia))
	t.Cleanup(media.Close)
	return env{fake: fake, pub: pub, clock: c, logs: &logs, media: media}
}

var png = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 100)...)

func serveMedia(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/1.png", "/2.png", "/3.png", "/4.png", "/5.png":
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
		w.Write(append(png, make([]byte, bluesky.MaxImageBytes)...))
	case "/flaky.png":
		w.WriteHeader(http.StatusServiceUnavailable)
	default:
		http.NotFound(w, r)
	}
}

func (e env) channel() herald.Channel {
	return herald.Channel{ID: 7, Name: "bsky", Platform: "bluesky",
		Config:      map[string]any{"pds_url": e.fake.URL, "handle": e.fake.Handle},
		Credentials: map[string]string{"app_password": e.fake.AppPassword}}
}

func (e env) request(key string, m herald.Message) herald.PublishRequest {
	return herald.PublishRequest{Workspace: "acme", DeliveryID: 9, IdempotencyKey: key, Attempt: 1,
		Channel: e.channel(), Message: m}
}

// noSecrets fails t when a password or token shows in res or the logs.
func (e env) noSecrets(t *testing.T, res herald.Result) {
	t.Helper()
	for name, s := range map[string]string{"Request": res.Request, "Response": res.Response, "Reason": res.Reason, "logs": e.logs.String()} {
		for _, secret := range []string{e.fake.AppPassword, "fake-access-jwt", "fake-refresh-jwt"} {
			if strings.Contains(s, secret) {
				t.Errorf("%s contains a credential (%s): %q", name, secret, s)
			}
		}
	}
}

func (e env) postURL(rkey string) string {
	return "https://bsky.app/profile/" + e.fake.Handle + "/post/" + rkey
}

func ptr[T any](v T) *T { return &v }
