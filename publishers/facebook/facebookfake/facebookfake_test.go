package facebookfake_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/publishers/facebook/facebookfake"
	"github.com/heraldhq/herald/publishers/internal/testkit"
)

type answer struct {
	status int
	header http.Header
	body   map[string]any
}

func (a answer) errCode() int {
	e, _ := a.body["error"].(map[string]any)
	n, _ := e["code"].(float64)
	return int(n)
}

func call(t *testing.T, s *facebookfake.Server, method, path string, form url.Values) answer {
	t.Helper()
	var resp *http.Response
	var err error
	if method == http.MethodGet {
		resp, err = http.Get(s.URL + path + "?" + form.Encode())
	} else {
		resp, err = http.PostForm(s.URL+path, form)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode, header: resp.Header}
	json.NewDecoder(resp.Body).Decode(&a.body)
	return a
}

func form(s *facebookfake.Server, kv ...string) url.Values {
	v := url.Values{"access_token": {s.Token}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

func TestErrorEnvelopeAndUsage(t *testing.T) {
	s := facebookfake.New(facebookfake.Options{})
	defer s.Close()
	a := call(t, s, http.MethodPost, "/v21.0/"+s.PageID+"/feed", url.Values{"access_token": {"nope"}, "message": {"x"}})
	e, _ := a.body["error"].(map[string]any)
	if a.status != 400 || a.errCode() != 190 || e["type"] != "OAuthException" || e["fbtrace_id"] == "" || e["message"] == "" {
		t.Errorf("wrong token: %d %v", a.status, a.body)
	}
	if _, ok := e["is_transient"]; !ok {
		t.Errorf("no is_transient in %v", e)
	}
	if a.header.Get("X-App-Usage") == "" || a.header.Get("X-Page-Usage") == "" {
		t.Errorf("usage headers missing: %v", a.header)
	}
	if a := call(t, s, http.MethodPost, "/"+s.PageID+"/feed", form(s, "message", "x")); a.errCode() == 0 {
		t.Errorf("an unversioned path was accepted: %v", a.body)
	}
	if a := call(t, s, http.MethodGet, "/v21.0/"+s.PageID, form(s, "fields", "name")); a.body["name"] != facebookfake.DefaultPageName {
		t.Errorf("page: %v", a.body)
	}
}

func TestDuplicateWindow(t *testing.T) {
	c := testkit.NewClock(time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC))
	s := facebookfake.New(facebookfake.Options{Now: c.Now})
	defer s.Close()
	p := "/v21.0/" + s.PageID + "/feed"
	if a := call(t, s, http.MethodPost, p, form(s, "message", "hi")); a.body["id"] == nil {
		t.Fatalf("first: %v", a.body)
	}
	if a := call(t, s, http.MethodPost, p, form(s, "message", "hi")); a.errCode() != 506 {
		t.Errorf("second: %v, want 506", a.body)
	}
	c.Add(facebookfake.DefaultDuplicateWindow)
	if a := call(t, s, http.MethodPost, p, form(s, "message", "hi")); a.body["id"] == nil {
		t.Errorf("after the window: %v", a.body)
	}
}

func TestAttachedMedia(t *testing.T) {
	s := facebookfake.New(facebookfake.Options{})
	defer s.Close()
	photos := "/v21.0/" + s.PageID + "/photos"
	up := call(t, s, http.MethodPost, photos, form(s, "url", "https://cdn.example/a.jpg", "published", "false"))
	id, _ := up.body["id"].(string)
	if id == "" || up.body["post_id"] != nil || len(s.Posts()) != 0 {
		t.Fatalf("unpublished upload: %v, %d posts", up.body, len(s.Posts()))
	}
	ref := `{"media_fbid":"` + id + `"}`
	feed := "/v21.0/" + s.PageID + "/feed"
	if a := call(t, s, http.MethodPost, feed, form(s, "message", "one", "attached_media[0]", ref)); a.body["id"] == nil {
		t.Fatalf("feed: %v", a.body)
	}
	if a := call(t, s, http.MethodPost, feed, form(s, "message", "two", "attached_media[0]", ref)); a.errCode() != 100 {
		t.Errorf("a photo attached twice: %v, want 100", a.body)
	}
	one := call(t, s, http.MethodPost, photos, form(s, "url", "https://cdn.example/b.jpg", "caption", "cap"))
	if one.body["id"] == nil || !strings.HasPrefix(one.body["post_id"].(string), s.PageID+"_") {
		t.Errorf("published photo: %v", one.body)
	}
	posts := s.Posts()
	if len(posts) != 2 || len(posts[0].Photos) != 1 || posts[1].Message != "cap" {
		t.Errorf("posts %+v", posts)
	}
	list := call(t, s, http.MethodGet, feed, form(s, "fields", "message,created_time,id,permalink_url"))
	data, _ := list.body["data"].([]any)
	if len(data) != 2 || data[0].(map[string]any)["message"] != "cap" || data[0].(map[string]any)["permalink_url"] == nil {
		t.Errorf("feed listing (newest first): %v", list.body)
	}
}

func TestThrottleBlock(t *testing.T) {
	c := testkit.NewClock(time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC))
	s := facebookfake.New(facebookfake.Options{Now: c.Now})
	defer s.Close()
	s.Script(facebookfake.PageRateLimited(2))
	p := "/v21.0/" + s.PageID
	a := call(t, s, http.MethodGet, p, form(s))
	if a.errCode() != 32 || !strings.Contains(a.header.Get("X-Page-Usage"), `"estimated_time_to_regain_access":2`) {
		t.Fatalf("scripted: %v %v", a.body, a.header)
	}
	if a := call(t, s, http.MethodGet, p, form(s)); a.errCode() != 32 || a.header.Get("X-Page-Usage") == "" {
		t.Errorf("within the block: %v %v, want 32 with X-Page-Usage", a.body, a.header)
	}
	c.Add(2 * time.Minute)
	if a := call(t, s, http.MethodGet, p, form(s)); a.errCode() != 0 {
		t.Errorf("after the block: %v", a.body)
	}
}
