package xfake_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/publishers/internal/testkit"
	"github.com/heraldhq/herald/publishers/x/xfake"
)

func start(t *testing.T, o xfake.Options) (*xfake.Server, *testkit.Clock) {
	t.Helper()
	c := testkit.NewClock(time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC))
	o.Now = c.Now
	s := xfake.New(o)
	t.Cleanup(s.Close)
	return s, c
}

type answer struct {
	status int
	header http.Header
	body   map[string]any
}

func do(t *testing.T, req *http.Request) answer {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header}
	if err := json.Unmarshal(b, &a.body); err != nil {
		t.Fatalf("%s %s answered %d %q: not JSON", req.Method, req.URL.Path, resp.StatusCode, b)
	}
	return a
}

func tweet(t *testing.T, s *xfake.Server, token, text string, media ...string) answer {
	t.Helper()
	body := map[string]any{"text": text}
	if len(media) > 0 {
		body["media"] = map[string]any{"media_ids": media}
	}
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/2/tweets", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	return do(t, req)
}

func refresh(t *testing.T, s *xfake.Server, rt string) answer {
	t.Helper()
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/2/oauth2/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(xfake.DefaultClientID, xfake.DefaultClientSecret)
	return do(t, req)
}

func TestTweetAndBearer(t *testing.T) {
	s, _ := start(t, xfake.Options{})
	if a := tweet(t, s, "wrong", "hi"); a.status != 401 || a.body["title"] != "Unauthorized" {
		t.Errorf("wrong token: %d %v", a.status, a.body)
	}
	a := tweet(t, s, xfake.DefaultAccessToken, "hi")
	data, _ := a.body["data"].(map[string]any)
	if a.status != 201 || data["id"] == nil || data["text"] != "hi" {
		t.Fatalf("tweet: %d %v", a.status, a.body)
	}
	tw := s.Tweets()
	if len(tw) != 1 || tw[0].ID != data["id"] || tw[0].URL != "https://x.com/herald/status/"+tw[0].ID {
		t.Errorf("tweets %+v", tw)
	}
	if a.header.Get("x-rate-limit-limit") != "100" || a.header.Get("x-rate-limit-remaining") != "99" {
		t.Errorf("rate headers %v", a.header)
	}
	if a := tweet(t, s, xfake.DefaultAccessToken, "hi"); a.status != 403 ||
		!strings.Contains(a.body["detail"].(string), "duplicate content") {
		t.Errorf("duplicate: %d %v", a.status, a.body)
	}
	if a := tweet(t, s, xfake.DefaultAccessToken, "with media", "404"); a.status != 400 {
		t.Errorf("unknown media id: %d %v", a.status, a.body)
	}
}

func TestTokenExpiryAndRotation(t *testing.T) {
	s, c := start(t, xfake.Options{})
	c.Add(xfake.DefaultTokenTTL)
	if a := tweet(t, s, xfake.DefaultAccessToken, "late"); a.status != 401 {
		t.Fatalf("expired token: %d %v", a.status, a.body)
	}
	a := refresh(t, s, xfake.DefaultRefreshToken)
	access, _ := a.body["access_token"].(string)
	rt, _ := a.body["refresh_token"].(string)
	if a.status != 200 || access == "" || rt == "" || rt == xfake.DefaultRefreshToken || a.body["expires_in"] != 7200.0 {
		t.Fatalf("refresh: %d %v", a.status, a.body)
	}
	if a := refresh(t, s, xfake.DefaultRefreshToken); a.status != 400 || a.body["error"] != "invalid_grant" {
		t.Errorf("reused refresh token: %d %v", a.status, a.body)
	}
	if a := tweet(t, s, access, "late"); a.status != 201 {
		t.Errorf("new token: %d %v", a.status, a.body)
	}
	if r := s.Refreshes(); len(r) != 1 || r[0].Old != xfake.DefaultRefreshToken || r[0].New != rt {
		t.Errorf("refreshes %+v", r)
	}
	s.Revoke()
	if a := refresh(t, s, rt); a.status != 400 || a.body["error"] != "invalid_grant" {
		t.Errorf("revoked refresh token: %d %v", a.status, a.body)
	}
}

func TestClientAuth(t *testing.T) {
	s, _ := start(t, xfake.Options{})
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {xfake.DefaultRefreshToken}}
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/2/oauth2/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if a := do(t, req); a.status != 401 || a.body["error"] != "unauthorized_client" {
		t.Errorf("no basic auth: %d %v", a.status, a.body)
	}
}

func TestRateLimitFault(t *testing.T) {
	s, c := start(t, xfake.Options{})
	s.Script(xfake.TooManyRequests(time.Minute))
	a := tweet(t, s, xfake.DefaultAccessToken, "one")
	reset := c.Now().Add(time.Minute).Unix()
	if a.status != 429 || a.header.Get("x-rate-limit-remaining") != "0" || a.header.Get("x-rate-limit-reset") != strconv.FormatInt(reset, 10) {
		t.Fatalf("429: %d %v %v", a.status, a.header, a.body)
	}
	if a := tweet(t, s, xfake.DefaultAccessToken, "two"); a.status != 429 || s.Early() != 1 {
		t.Errorf("before the reset: %d, early %d", a.status, s.Early())
	}
	c.Add(time.Minute)
	if a := tweet(t, s, xfake.DefaultAccessToken, "three"); a.status != 201 {
		t.Errorf("after the reset: %d %v", a.status, a.body)
	}
}

func TestRateLimitWindow(t *testing.T) {
	s, _ := start(t, xfake.Options{RateLimit: 1})
	tweet(t, s, xfake.DefaultAccessToken, "one")
	if a := tweet(t, s, xfake.DefaultAccessToken, "two"); a.status != 429 || a.header.Get("x-rate-limit-remaining") != "0" {
		t.Errorf("past the limit: %d %v", a.status, a.header)
	}
}

func TestUpload(t *testing.T) {
	s, _ := start(t, xfake.Options{})
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 50)...)
	upload := func(category string, data []byte) answer {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, _ := mw.CreateFormFile("media", "cat.png")
		fw.Write(data)
		if category != "" {
			mw.WriteField("media_category", category)
		}
		mw.Close()
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/2/media/upload", &buf)
		req.Header.Set("Authorization", "Bearer "+xfake.DefaultAccessToken)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		return do(t, req)
	}
	a := upload("tweet_image", png)
	data, _ := a.body["data"].(map[string]any)
	id, _ := data["id"].(string)
	if a.status != 200 || id == "" || data["media_key"] != "3_"+id {
		t.Fatalf("upload: %d %v", a.status, a.body)
	}
	if a := upload("", png); a.status != 400 {
		t.Errorf("no category: %d", a.status)
	}
	if a := upload("tweet_image", []byte("<html></html>")); a.status != 400 {
		t.Errorf("not an image: %d", a.status)
	}
	if a := tweet(t, s, xfake.DefaultAccessToken, "pet", id); a.status != 201 || len(s.Tweets()[0].MediaIDs) != 1 {
		t.Errorf("tweet with media: %d %v", a.status, a.body)
	}
	if m := s.Media(); len(m) != 1 || m[0].Category != "tweet_image" || m[0].ContentType != "image/png" {
		t.Errorf("media %+v", m)
	}
}
