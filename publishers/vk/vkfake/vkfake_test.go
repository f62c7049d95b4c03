package vkfake_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/publishers/internal/testkit"
	"github.com/heraldhq/herald/publishers/vk/vkfake"
)

func newFake(t *testing.T, o vkfake.Options) (*vkfake.Server, *testkit.Clock) {
	t.Helper()
	c := testkit.NewClock(time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC))
	o.Now = c.Now
	s := vkfake.New(o)
	t.Cleanup(s.Close)
	return s, c
}

type answer struct {
	status   int
	Response json.RawMessage `json:"response"`
	Error    *struct {
		Code   int    `json:"error_code"`
		Msg    string `json:"error_msg"`
		Params []struct {
			Key, Value string
		} `json:"request_params"`
		CaptchaSID string `json:"captcha_sid"`
	} `json:"error"`
}

func (a answer) code() int {
	if a.Error == nil {
		return 0
	}
	return a.Error.Code
}

// call posts a form to /method/<name>, with the fake's token as a bearer
// token unless the form has an access_token.
func call(t *testing.T, s *vkfake.Server, method string, form url.Values) answer {
	t.Helper()
	if form.Get("v") == "" {
		form.Set("v", "5.199")
	}
	req, _ := http.NewRequest("POST", s.URL+"/method/"+method, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if form.Get("access_token") == "" {
		req.Header.Set("Authorization", "Bearer "+s.Token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode}
	if err := json.Unmarshal(b, &a); err != nil && resp.StatusCode == 200 {
		t.Fatalf("%s: %v in %s", method, err, b)
	}
	return a
}

func TestErrorsArriveWithHTTP200(t *testing.T) {
	s, _ := newFake(t, vkfake.Options{Rate: -1})
	tests := []struct {
		form url.Values
		code int
		msg  string
	}{
		{url.Values{"access_token": {"wrong"}, "owner_id": {"-1"}, "message": {"x"}}, 5, "invalid access_token"},
		{url.Values{"access_token": {s.Token}, "owner_id": {"-1"}, "message": {""}}, 100, "message is empty"},
		{url.Values{"owner_id": {"-1"}, "message": {"x"}, "attachments": {"https://a.example,https://b.example"}}, 100, "only one link"},
		{url.Values{"owner_id": {"-1"}, "message": {"x"}, "attachments": {"photo-1_123"}}, 100, "not found"},
		{url.Values{"owner_id": {"2000"}, "message": {"x"}}, 214, "denied"},
	}
	for _, tc := range tests {
		a := call(t, s, "wall.post", tc.form)
		if a.status != 200 || a.code() != tc.code || !strings.Contains(a.Error.Msg, tc.msg) {
			t.Errorf("%v: %d %+v, want HTTP 200 with error %d %q", tc.form, a.status, a.Error, tc.code, tc.msg)
			continue
		}
		for _, p := range a.Error.Params {
			if p.Key == "access_token" || strings.Contains(p.Value, s.Token) {
				t.Errorf("request_params show the token: %+v", a.Error.Params)
			}
		}
	}
	req, _ := http.NewRequest("POST", s.URL+"/method/users.get", strings.NewReader("v=5.199"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"error_code":5`) || !strings.Contains(string(b), "no access_token passed") {
		t.Errorf("no token: %d %s", resp.StatusCode, b)
	}
}

func TestThreeCallsPerSecondPerToken(t *testing.T) {
	s, c := newFake(t, vkfake.Options{})
	for i, want := range []int{0, 0, 0, 6} {
		c.Add(100 * time.Millisecond)
		if a := call(t, s, "users.get", url.Values{}); a.code() != want {
			t.Errorf("call %d: error %d, want %d", i+1, a.code(), want)
		}
	}
	c.Add(801 * time.Millisecond) // just over a second after the second call: only the third is in the window
	for i := range 2 {
		if a := call(t, s, "users.get", url.Values{}); a.code() != 0 {
			t.Errorf("a second later, call %d: error %d", i+1, a.code())
		}
	}
	if a := call(t, s, "users.get", url.Values{}); a.code() != 6 || a.Error.Msg != "Too many requests per second" {
		t.Errorf("fourth in that second: %+v", a.Error)
	}
}

func TestGUIDDedupWithinAnHour(t *testing.T) {
	s, c := newFake(t, vkfake.Options{Rate: -1})
	post := func(guid, text string) int64 {
		a := call(t, s, "wall.post", url.Values{"owner_id": {"-42"}, "from_group": {"1"}, "message": {text}, "guid": {guid}})
		var r struct {
			PostID int64 `json:"post_id"`
		}
		if err := json.Unmarshal(a.Response, &r); err != nil || r.PostID == 0 {
			t.Fatalf("wall.post: %+v %s", a.Error, a.Response)
		}
		return r.PostID
	}
	first := post("g1", "hello")
	c.Add(59 * time.Minute)
	if again := post("g1", "hello again"); again != first || len(s.Posts()) != 1 {
		t.Errorf("same guid: post %d (first %d), %d posts; want the first, posted once", again, first, len(s.Posts()))
	}
	if other := post("g2", "hello"); other == first || len(s.Posts()) != 2 {
		t.Errorf("another guid: post %d, %d posts", other, len(s.Posts()))
	}
	c.Add(time.Minute)
	if later := post("g1", "hello"); later == first || len(s.Posts()) != 3 {
		t.Errorf("after an hour: post %d (first %d), %d posts; want a new post", later, first, len(s.Posts()))
	}
	p := s.Posts()[0]
	if p.OwnerID != -42 || !p.FromGroup || p.GUID != "g1" || p.URL != "https://vk.com/wall-42_"+itoa(first) {
		t.Errorf("post %+v", p)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func upload(t *testing.T, uploadURL string, data []byte) (server json.Number, photo, hash string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("photo", "a.png")
	fw.Write(data)
	mw.Close()
	resp, err := http.Post(uploadURL, mw.FormDataContentType(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Server json.Number `json:"server"`
		Photo  string      `json:"photo"`
		Hash   string      `json:"hash"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	return r.Server, r.Photo, r.Hash
}

var png = append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 64)...)

func TestUploadServerFlow(t *testing.T) {
	s, _ := newFake(t, vkfake.Options{Rate: -1})
	a := call(t, s, "photos.getWallUploadServer", url.Values{"group_id": {"42"}})
	var srv struct {
		UploadURL string `json:"upload_url"`
		AlbumID   int    `json:"album_id"`
	}
	if json.Unmarshal(a.Response, &srv); srv.UploadURL == "" || srv.AlbumID != -14 {
		t.Fatalf("upload server %s %+v", a.Response, a.Error)
	}
	server, photo, hash := upload(t, srv.UploadURL, png)
	if photo == "[]" || hash == "" || server == "" {
		t.Fatalf("upload: %s %q %q", server, photo, hash)
	}
	save := url.Values{"group_id": {"42"}, "photo": {photo}, "server": {string(server)}, "hash": {hash}}
	a = call(t, s, "photos.saveWallPhoto", save)
	var saved []struct {
		ID      int64 `json:"id"`
		OwnerID int64 `json:"owner_id"`
	}
	if json.Unmarshal(a.Response, &saved); len(saved) != 1 || saved[0].OwnerID != -42 {
		t.Fatalf("save %s %+v", a.Response, a.Error)
	}
	if again := call(t, s, "photos.saveWallPhoto", save); again.code() != 121 {
		t.Errorf("saving twice: error %d, want 121", again.code())
	}
	att := "photo-42_" + itoa(saved[0].ID)
	if a := call(t, s, "wall.post", url.Values{"owner_id": {"-42"}, "attachments": {att + ",https://brand.example"}}); a.code() != 0 {
		t.Fatalf("post with the photo: %+v", a.Error)
	}
	if p := s.Posts(); len(p) != 1 || p[0].Photos != 1 || p[0].Link != "https://brand.example" {
		t.Errorf("posts %+v", p)
	}
	a = call(t, s, "wall.get", url.Values{"owner_id": {"-42"}, "count": {"20"}})
	if !strings.Contains(string(a.Response), `"type":"photo"`) || !strings.Contains(string(a.Response), `"url":"https://brand.example"`) {
		t.Errorf("wall.get %s", a.Response)
	}

	_, photo, hash = upload(t, srv.UploadURL, []byte("not an image"))
	if photo != "[]" {
		t.Errorf("a text file uploaded as %q, want []", photo)
	}
	if a := call(t, s, "photos.saveWallPhoto", url.Values{"group_id": {"42"}, "photo": {photo}, "hash": {hash}}); a.code() != 100 {
		t.Errorf("saving []: error %d, want 100", a.code())
	}
}

func TestDailyCapAndScriptedFaults(t *testing.T) {
	s, c := newFake(t, vkfake.Options{Rate: -1, PostsPerDay: 2})
	for i, want := range []int{0, 0, 214} {
		if a := call(t, s, "wall.post", url.Values{"owner_id": {"-1"}, "message": {"x"}}); a.code() != want {
			t.Errorf("post %d: error %d, want %d", i+1, a.code(), want)
		}
	}
	c.Add(24 * time.Hour)
	s.Script(vkfake.Captcha().On("wall.post"), vkfake.BadGateway().On("users.get"))
	if a := call(t, s, "users.get", url.Values{}); a.status != 502 {
		t.Errorf("users.get: %d, want the scripted 502", a.status)
	}
	a := call(t, s, "wall.post", url.Values{"owner_id": {"-1"}, "message": {"x"}})
	if a.status != 200 || a.code() != 14 || a.Error.CaptchaSID == "" {
		t.Errorf("captcha: %d %+v", a.status, a.Error)
	}
	if a := call(t, s, "wall.post", url.Values{"owner_id": {"-1"}, "message": {"x"}}); a.code() != 0 || s.Pending() != 0 {
		t.Errorf("after the faults: %+v, %d pending", a.Error, s.Pending())
	}
	calls := s.Calls()
	if last := calls[len(calls)-2]; last.Method != "wall.post" || last.Code != 14 || last.Fault == "" {
		t.Errorf("call record %+v", last)
	}
}

func TestGroupsByID(t *testing.T) {
	s, _ := newFake(t, vkfake.Options{Rate: -1, NotAdmin: true})
	a := call(t, s, "groups.getById", url.Values{"group_id": {"42"}})
	var r struct {
		Groups []struct {
			ID      int64 `json:"id"`
			IsAdmin int   `json:"is_admin"`
		} `json:"groups"`
	}
	if json.Unmarshal(a.Response, &r); len(r.Groups) != 1 || r.Groups[0].ID != 42 || r.Groups[0].IsAdmin != 0 {
		t.Errorf("groups.getById %s", a.Response)
	}
	if a := call(t, s, "wall.post", url.Values{"owner_id": {"-42"}, "message": {"x"}}); a.code() != 15 {
		t.Errorf("posting as a non-admin: error %d, want 15", a.code())
	}
}
