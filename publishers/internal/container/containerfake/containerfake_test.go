package containerfake_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/publishers/instagram/instagramfake"
	cf "github.com/heraldhq/herald/publishers/internal/container/containerfake"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

type client struct {
	t    *testing.T
	fake *cf.Server
}

func (c client) do(method, path string, p url.Values) (int, map[string]any) {
	c.t.Helper()
	if p == nil {
		p = url.Values{}
	}
	if !p.Has("access_token") {
		p.Set("access_token", c.fake.Token)
	}
	var resp *http.Response
	var err error
	u := c.fake.URL + "/v21.0/" + path
	if method == http.MethodGet {
		resp, err = http.Get(u + "?" + p.Encode())
	} else {
		resp, err = http.PostForm(u, p)
	}
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func graphCode(out map[string]any) (int, int) {
	e, _ := out["error"].(map[string]any)
	code, _ := e["code"].(float64)
	sub, _ := e["error_subcode"].(float64)
	return int(code), int(sub)
}

// The container lifecycle: IN_PROGRESS for N polls, then FINISHED; publish
// refused before; PUBLISHED after; EXPIRED a day after creation.
func TestContainerLifecycle(t *testing.T) {
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	fake := instagramfake.New(instagramfake.Options{PollsToFinish: 2, Now: clk.now})
	defer fake.Close()
	c := client{t, fake}
	user := fake.UserID()
	_, out := c.do(http.MethodPost, user+"/media", url.Values{"image_url": {"https://cdn.example.com/a.jpg"}, "caption": {"hi"}})
	id, _ := out["id"].(string)
	if id == "" {
		t.Fatalf("create: %v", out)
	}
	if st, out := c.do(http.MethodPost, user+"/media_publish", url.Values{"creation_id": {id}}); st != 400 {
		t.Fatalf("publish while in progress: %d %v", st, out)
	} else if code, sub := graphCode(out); code != 9007 || sub != 2207027 {
		t.Fatalf("publish while in progress: %v", out)
	}
	for i, want := range []string{"IN_PROGRESS", "IN_PROGRESS", "FINISHED"} {
		if _, out := c.do(http.MethodGet, id, url.Values{"fields": {"status_code"}}); out["status_code"] != want {
			t.Fatalf("poll %d: %v, want %s", i, out, want)
		}
	}
	_, out = c.do(http.MethodPost, user+"/media_publish", url.Values{"creation_id": {id}})
	media, _ := out["id"].(string)
	if media == "" || len(fake.Posts()) != 1 {
		t.Fatalf("publish: %v", out)
	}
	if _, out := c.do(http.MethodGet, id, url.Values{"fields": {"status_code"}}); out["status_code"] != "PUBLISHED" {
		t.Fatalf("after publishing: %v", out)
	}
	if _, out := c.do(http.MethodGet, media, url.Values{"fields": {"permalink"}}); out["permalink"] != fake.Posts()[0].Permalink {
		t.Fatalf("permalink: %v", out)
	}
	_, out = c.do(http.MethodPost, user+"/media", url.Values{"image_url": {"https://cdn.example.com/b.jpg"}})
	id2, _ := out["id"].(string)
	clk.add(cf.Window)
	if _, out := c.do(http.MethodGet, id2, url.Values{"fields": {"status_code"}}); out["status_code"] != "EXPIRED" {
		t.Fatalf("a day later: %v", out)
	}
	if _, out := c.do(http.MethodPost, user+"/media_publish", url.Values{"creation_id": {id2}}); !strings.Contains(out["error"].(map[string]any)["message"].(string), "expired") {
		t.Fatalf("publishing an expired container: %v", out)
	}
}

// The cap over a rolling day, reported by content_publishing_limit and
// enforced by media_publish.
func TestPublishingCap(t *testing.T) {
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	fake := instagramfake.New(instagramfake.Options{QuotaTotal: 1, Now: clk.now})
	defer fake.Close()
	c := client{t, fake}
	fake.AddPost("first", clk.now())
	_, out := c.do(http.MethodGet, fake.UserID()+"/content_publishing_limit", url.Values{"fields": {"quota_usage,config"}})
	data := out["data"].([]any)[0].(map[string]any)
	if data["quota_usage"] != 1.0 || data["config"].(map[string]any)["quota_total"] != 1.0 {
		t.Fatalf("limit: %v", out)
	}
	clk.add(time.Hour)
	_, out = c.do(http.MethodPost, fake.UserID()+"/media", url.Values{"image_url": {"https://cdn.example.com/a.jpg"}})
	id := out["id"].(string)
	if _, out := c.do(http.MethodPost, fake.UserID()+"/media_publish", url.Values{"creation_id": {id}}); func() bool { _, s := graphCode(out); return s != 2207042 }() {
		t.Fatalf("publish at the cap: %v", out)
	}
	if !fake.WindowFreesAt().Equal(clk.now().Add(cf.Window - time.Hour)) {
		t.Fatalf("window frees at %s", fake.WindowFreesAt())
	}
	clk.add(cf.Window - time.Hour)
	if _, out := c.do(http.MethodPost, fake.UserID()+"/media_publish", url.Values{"creation_id": {id}}); out["id"] == nil {
		t.Fatalf("publish after the window: %v", out)
	}
}

// A wrong token gets the Graph envelope with code 190.
func TestWrongToken(t *testing.T) {
	fake := instagramfake.New(instagramfake.Options{})
	defer fake.Close()
	st, out := client{t, fake}.do(http.MethodGet, fake.UserID(), url.Values{"fields": {"username"}, "access_token": {"nope"}})
	e, _ := out["error"].(map[string]any)
	if code, _ := graphCode(out); st != 400 || code != 190 || e["type"] != "OAuthException" || e["fbtrace_id"] == "" || e["message"] == "" {
		t.Fatalf("%d %v", st, out)
	}
}
