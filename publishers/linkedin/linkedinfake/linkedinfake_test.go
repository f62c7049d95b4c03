package linkedinfake_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/heraldhq/herald/publishers/linkedin/linkedinfake"
)

type answer struct {
	status int
	header http.Header
	body   string
}

// call sends one request with the token and, unless version is "", the LinkedIn headers.
func call(t *testing.T, s *linkedinfake.Server, method, u, version string, body []byte) answer {
	t.Helper()
	req, _ := http.NewRequest(method, u, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+s.Token)
	if version != "" {
		req.Header.Set("LinkedIn-Version", version)
		req.Header.Set("X-Restli-Protocol-Version", "2.0.0")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, string(b)}
}

func post(s *linkedinfake.Server, commentary string, content any) []byte {
	m := map[string]any{"author": s.Author, "commentary": commentary, "visibility": "PUBLIC",
		"distribution": map[string]any{"feedDistribution": "MAIN_FEED"}, "lifecycleState": "PUBLISHED"}
	if content != nil {
		m["content"] = content
	}
	b, _ := json.Marshal(m)
	return b
}

func TestPostAnswers201WithRestliID(t *testing.T) {
	s := linkedinfake.New(linkedinfake.Options{})
	defer s.Close()
	a := call(t, s, "POST", s.URL+"/rest/posts", "202511", post(s, "hello", nil))
	if a.status != 201 || a.body != "" || !strings.HasPrefix(a.header.Get("x-restli-id"), "urn:li:share:") {
		t.Fatalf("answer %d %q id %q, want 201, empty body, an urn:li:share id", a.status, a.body, a.header.Get("x-restli-id"))
	}
	if p := s.Posts(); len(p) != 1 || p[0].URN != a.header.Get("x-restli-id") || p[0].Text != "hello" {
		t.Errorf("posts %+v", p)
	}
}

func TestVersionHeaderRequired(t *testing.T) {
	s := linkedinfake.New(linkedinfake.Options{})
	defer s.Close()
	a := call(t, s, "POST", s.URL+"/rest/posts", "", post(s, "hello", nil))
	if a.status != 400 || !strings.Contains(a.body, "VERSION_MISSING") {
		t.Fatalf("answer %d %q, want 400 VERSION_MISSING", a.status, a.body)
	}
	if a := call(t, s, "POST", s.URL+"/rest/posts", "2025-11", post(s, "hello", nil)); a.status != 400 {
		t.Errorf("a malformed version answered %d", a.status)
	}
	if len(s.Posts()) != 0 {
		t.Error("posted without a version")
	}
}

func TestTokenRequired(t *testing.T) {
	s := linkedinfake.New(linkedinfake.Options{})
	defer s.Close()
	req, _ := http.NewRequest("GET", s.URL+"/v2/userinfo", nil)
	req.Header.Set("Authorization", "Bearer wrong")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("a wrong token answered %d", resp.StatusCode)
	}
}

func TestDuplicateNamesTheExistingURN(t *testing.T) {
	s := linkedinfake.New(linkedinfake.Options{})
	defer s.Close()
	first := call(t, s, "POST", s.URL+"/rest/posts", "202511", post(s, "twice", nil))
	a := call(t, s, "POST", s.URL+"/rest/posts", "202511", post(s, "twice", nil))
	var e struct {
		Status       int
		Message      string
		ErrorDetails struct{ InputErrors []struct{ Code string } }
	}
	json.Unmarshal([]byte(a.body), &e)
	if a.status != 422 || e.Status != 422 || len(e.ErrorDetails.InputErrors) != 1 || e.ErrorDetails.InputErrors[0].Code != "DUPLICATE_POST" ||
		!strings.Contains(e.Message, first.header.Get("x-restli-id")) {
		t.Fatalf("answer %d %s, want 422 DUPLICATE_POST naming %s", a.status, a.body, first.header.Get("x-restli-id"))
	}
}

// TestImageFlow: an image is usable only after its bytes were PUT.
func TestImageFlow(t *testing.T) {
	s := linkedinfake.New(linkedinfake.Options{})
	defer s.Close()
	init, _ := json.Marshal(map[string]any{"initializeUploadRequest": map[string]any{"owner": s.Author}})
	a := call(t, s, "POST", s.URL+"/rest/images?action=initializeUpload", "202511", init)
	var v struct {
		Value struct{ UploadURL, Image string }
	}
	if json.Unmarshal([]byte(a.body), &v); a.status != 200 || v.Value.UploadURL == "" || v.Value.Image == "" {
		t.Fatalf("initializeUpload answered %d %s", a.status, a.body)
	}
	media := map[string]any{"media": map[string]any{"id": v.Value.Image}}
	if a := call(t, s, "POST", s.URL+"/rest/posts", "202511", post(s, "too soon", media)); a.status != 422 {
		t.Errorf("a post with an image not uploaded answered %d", a.status)
	}
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	if a := call(t, s, "PUT", v.Value.UploadURL, "", png); a.status != 201 {
		t.Fatalf("upload answered %d %s", a.status, a.body)
	}
	if a := call(t, s, "POST", s.URL+"/rest/posts", "202511", post(s, "now", media)); a.status != 201 {
		t.Errorf("a post with the uploaded image answered %d %s", a.status, a.body)
	}
	one := map[string]any{"multiImage": map[string]any{"images": []any{map[string]any{"id": v.Value.Image}}}}
	if a := call(t, s, "POST", s.URL+"/rest/posts", "202511", post(s, "one in multi", one)); a.status != 422 {
		t.Errorf("a multiImage of one answered %d", a.status)
	}
}

func TestDecode(t *testing.T) {
	for in, want := range map[string][2]string{
		`plain`:             {"plain", ""},
		`a \(b\) \#c \\ d`:  {`a (b) #c \ d`, ""},
		`cut (here) gone`:   {"cut ", "(here) gone"},
		`#tag at the start`: {"", "#tag at the start"},
	} {
		text, lost := linkedinfake.Decode(in)
		if text != want[0] || lost != want[1] {
			t.Errorf("Decode(%q) = %q, %q; want %q, %q", in, text, lost, want[0], want[1])
		}
	}
}
