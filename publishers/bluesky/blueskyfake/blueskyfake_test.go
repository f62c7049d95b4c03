package blueskyfake_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/publishers/bluesky/blueskyfake"
	"github.com/heraldhq/herald/publishers/internal/testkit"
)

func start(t *testing.T) (*blueskyfake.Server, *testkit.Clock) {
	c := testkit.NewClock(time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC))
	s := blueskyfake.New(blueskyfake.Options{Now: c.Now})
	t.Cleanup(s.Close)
	return s, c
}

func xrpc(t *testing.T, s *blueskyfake.Server, method, nsid, token, ctype string, body []byte) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, s.URL+"/xrpc/"+nsid, bytes.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	json.Unmarshal(b, &m)
	return resp, m
}

func login(t *testing.T, s *blueskyfake.Server) (access, refresh string) {
	t.Helper()
	resp, m := xrpc(t, s, "POST", "com.atproto.server.createSession", "", "application/json",
		[]byte(`{"identifier":"`+s.Handle+`","password":"`+s.AppPassword+`"}`))
	if resp.StatusCode != 200 || m["did"] != s.DID || m["handle"] != s.Handle {
		t.Fatalf("createSession: %d %v", resp.StatusCode, m)
	}
	return m["accessJwt"].(string), m["refreshJwt"].(string)
}

func put(t *testing.T, s *blueskyfake.Server, token, rkey, record string) (*http.Response, map[string]any) {
	t.Helper()
	return xrpc(t, s, "POST", "com.atproto.repo.putRecord", token, "application/json",
		[]byte(`{"repo":"`+s.DID+`","collection":"app.bsky.feed.post","rkey":"`+rkey+`","record":`+record+`}`))
}

func post(text string) string {
	b, _ := json.Marshal(text)
	return `{"$type":"app.bsky.feed.post","text":` + string(b) + `,"createdAt":"2026-12-01T07:00:00.000Z"}`
}

func TestSessionLifecycle(t *testing.T) {
	s, c := start(t)
	if resp, m := xrpc(t, s, "POST", "com.atproto.server.createSession", "", "application/json",
		[]byte(`{"identifier":"`+s.Handle+`","password":"nope"}`)); resp.StatusCode != 401 || m["error"] != "AuthenticationRequired" {
		t.Errorf("wrong password: %d %v", resp.StatusCode, m)
	}
	access, refresh := login(t, s)
	if resp, _ := xrpc(t, s, "GET", "com.atproto.server.getSession", access, "", nil); resp.StatusCode != 200 {
		t.Errorf("getSession: %d", resp.StatusCode)
	}
	if resp, m := xrpc(t, s, "GET", "com.atproto.server.getSession", refresh, "", nil); resp.StatusCode != 400 || m["error"] != "InvalidToken" {
		t.Errorf("refresh token as access: %d %v", resp.StatusCode, m)
	}
	if resp, m := xrpc(t, s, "GET", "com.atproto.server.getSession", "garbage", "", nil); resp.StatusCode != 401 || m["error"] != "InvalidToken" {
		t.Errorf("unknown token: %d %v", resp.StatusCode, m)
	}
	c.Add(blueskyfake.DefaultAccessTTL)
	if resp, m := xrpc(t, s, "GET", "com.atproto.server.getSession", access, "", nil); resp.StatusCode != 400 || m["error"] != "ExpiredToken" {
		t.Errorf("expired: %d %v, want 400 ExpiredToken", resp.StatusCode, m)
	}
	resp, m := xrpc(t, s, "POST", "com.atproto.server.refreshSession", refresh, "", nil)
	if resp.StatusCode != 200 || m["accessJwt"] == access || m["refreshJwt"] == refresh {
		t.Fatalf("refresh: %d %v", resp.StatusCode, m)
	}
	if resp, _ := xrpc(t, s, "GET", "com.atproto.server.getSession", m["accessJwt"].(string), "", nil); resp.StatusCode != 200 {
		t.Errorf("refreshed token: %d", resp.StatusCode)
	}
	if resp, m := xrpc(t, s, "POST", "com.atproto.server.refreshSession", refresh, "", nil); resp.StatusCode != 400 || m["error"] != "ExpiredToken" {
		t.Errorf("reused refresh token: %d %v, want revoked", resp.StatusCode, m)
	}
	if s.Sessions() != 1 || s.Refreshes() != 1 {
		t.Errorf("%d sessions %d refreshes", s.Sessions(), s.Refreshes())
	}
}

func TestCreateSessionRateLimit(t *testing.T) {
	s, c := start(t)
	for range blueskyfake.SessionLimit {
		login(t, s)
	}
	resp, m := xrpc(t, s, "POST", "com.atproto.server.createSession", "", "application/json",
		[]byte(`{"identifier":"`+s.Handle+`","password":"`+s.AppPassword+`"}`))
	reset := c.Now().Add(blueskyfake.SessionWindow).Unix()
	if resp.StatusCode != 429 || m["error"] != "RateLimitExceeded" || resp.Header.Get("ratelimit-reset") != strconv.FormatInt(reset, 10) ||
		resp.Header.Get("ratelimit-remaining") != "0" || resp.Header.Get("ratelimit-policy") != "30;w=300" {
		t.Errorf("31st createSession: %d %v %v", resp.StatusCode, m, resp.Header)
	}
	xrpc(t, s, "GET", "com.atproto.server.getSession", "x", "", nil)
	calls := s.Calls()
	if !calls[len(calls)-1].Early {
		t.Error("a call before ratelimit-reset is not marked early")
	}
	c.Add(blueskyfake.SessionWindow)
	login(t, s)
}

func TestPutRecordUpsert(t *testing.T) {
	s, _ := start(t)
	access, _ := login(t, s)
	const rkey = "3jzfcijpj2z2a"
	_, a := put(t, s, access, rkey, post("first"))
	_, b := put(t, s, access, rkey, post("second"))
	if a["uri"] != "at://"+s.DID+"/app.bsky.feed.post/"+rkey || a["uri"] != b["uri"] || a["cid"] == b["cid"] {
		t.Errorf("answers %v, %v", a, b)
	}
	ps := s.Posts()
	if len(ps) != 1 || ps[0].Text != "second" || ps[0].Writes != 2 {
		t.Errorf("posts %+v, want one record rewritten", ps)
	}
	resp, m := xrpc(t, s, "GET", "com.atproto.repo.getRecord?repo="+s.DID+"&collection=app.bsky.feed.post&rkey="+rkey, "", "", nil)
	if resp.StatusCode != 200 || m["uri"] != a["uri"] {
		t.Errorf("getRecord: %d %v", resp.StatusCode, m)
	}
	resp, m = xrpc(t, s, "GET", "com.atproto.repo.getRecord?repo="+s.DID+"&collection=app.bsky.feed.post&rkey=3jzfcijpj2z2b", "", "", nil)
	if resp.StatusCode != 400 || m["error"] != "RecordNotFound" {
		t.Errorf("missing record: %d %v", resp.StatusCode, m)
	}
}

func TestPostValidation(t *testing.T) {
	s, _ := start(t)
	access, _ := login(t, s)
	resp, m := xrpc(t, s, "POST", "com.atproto.repo.uploadBlob", access, "image/png", append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 10)...))
	blob, _ := json.Marshal(m["blob"])
	if resp.StatusCode != 200 || !strings.Contains(string(blob), `"mimeType":"image/png"`) {
		t.Fatalf("uploadBlob: %d %v", resp.StatusCode, m)
	}
	img := `{"alt":"","image":` + string(blob) + `}`
	images := func(n int) string {
		return `{"$type":"app.bsky.feed.post","text":"x","createdAt":"2026-12-01T07:00:00Z","embed":{"$type":"app.bsky.embed.images","images":[` +
			strings.TrimSuffix(strings.Repeat(img+",", n), ",") + `]}}`
	}
	tests := []struct {
		name, rkey, record, want string
	}{
		{"ok with four images", "3jzfcijpj2z2a", images(4), ""},
		{"five images", "3jzfcijpj2z2b", images(5), "1 to 4"},
		{"rkey not a TID", "not-a-tid", post("x"), "valid TID"},
		{"301 graphemes", "3jzfcijpj2z2c", post(strings.Repeat("👍🏽", 301)), "300 graphemes"},
		{"300 graphemes of 8 bytes", "3jzfcijpj2z2d", post(strings.Repeat("👍🏽", 300)), ""},
		{"facet past the text", "3jzfcijpj2z2e", `{"$type":"app.bsky.feed.post","text":"héllo","createdAt":"2026-12-01T07:00:00Z","facets":[{"index":{"byteStart":0,"byteEnd":7},"features":[{"$type":"app.bsky.richtext.facet#link","uri":"https://x"}]}]}`, "byte range"},
		{"unknown blob", "3jzfcijpj2z2f", strings.Replace(images(1), "bafyrei", "bafyreiX", 1), "Could not find blob"},
		{"card without title", "3jzfcijpj2z2g", `{"$type":"app.bsky.feed.post","text":"x","createdAt":"2026-12-01T07:00:00Z","embed":{"$type":"app.bsky.embed.external","external":{"uri":"https://x"}}}`, "title"},
		{"wrong $type", "3jzfcijpj2z2h", `{"$type":"app.bsky.feed.like","text":"x","createdAt":"2026-12-01T07:00:00Z"}`, "Invalid $type"},
	}
	for _, tc := range tests {
		resp, m := put(t, s, access, tc.rkey, tc.record)
		if tc.want == "" && resp.StatusCode != 200 || tc.want != "" && (resp.StatusCode != 400 || m["error"] != "InvalidRequest" || !strings.Contains(m["message"].(string), tc.want)) {
			t.Errorf("%s: %d %v, want %q", tc.name, resp.StatusCode, m, tc.want)
		}
	}
	if resp, m := put(t, s, "", "3jzfcijpj2z2i", post("x")); resp.StatusCode != 401 || m["error"] != "AuthenticationRequired" {
		t.Errorf("no token: %d %v", resp.StatusCode, m)
	}
}

func TestListRecords(t *testing.T) {
	s, _ := start(t)
	access, _ := login(t, s)
	for _, rk := range []string{"3jzfcijpj2z2b", "3jzfcijpj2z2a", "3jzfcijpj2z2c"} {
		put(t, s, access, rk, post(rk))
	}
	list := func(q string) (uris []string, cursor string) {
		_, m := xrpc(t, s, "GET", "com.atproto.repo.listRecords?repo="+s.DID+"&collection=app.bsky.feed.post&"+q, "", "", nil)
		for _, r := range m["records"].([]any) {
			uris = append(uris, r.(map[string]any)["uri"].(string)[len("at://"+s.DID+"/app.bsky.feed.post/"):])
		}
		cursor, _ = m["cursor"].(string)
		return uris, cursor
	}
	first, cursor := list("limit=2")
	rest, end := list("limit=2&cursor=" + cursor)
	if strings.Join(first, ",") != "3jzfcijpj2z2c,3jzfcijpj2z2b" || strings.Join(rest, ",") != "3jzfcijpj2z2a" || end != "" {
		t.Errorf("pages %v (cursor %q), %v (cursor %q)", first, cursor, rest, end)
	}
	if asc, _ := list("reverse=true"); strings.Join(asc, ",") != "3jzfcijpj2z2a,3jzfcijpj2z2b,3jzfcijpj2z2c" {
		t.Errorf("reverse: %v", asc)
	}
}
