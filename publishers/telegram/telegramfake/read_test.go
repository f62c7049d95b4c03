package telegramfake

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
)

func getJSON(t *testing.T, u string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, v
}

func TestGetMeAndGetChat(t *testing.T) {
	s := New(Options{Token: "42:abc"})
	defer s.Close()
	code, v := getJSON(t, s.URL+"/bot42:abc/getMe")
	me, _ := v["result"].(map[string]any)
	if code != 200 || v["ok"] != true || me["id"] != float64(42) || me["is_bot"] != true {
		t.Fatalf("getMe: %d %v", code, v)
	}
	code, v = getJSON(t, s.URL+"/bot42:abc/getChat?"+url.Values{"chat_id": {"@brand"}}.Encode())
	chat, _ := v["result"].(map[string]any)
	if code != 200 || chat["type"] != "channel" || chat["username"] != "brand" {
		t.Fatalf("getChat: %d %v", code, v)
	}
	s.RemoveChat("@brand")
	code, v = getJSON(t, s.URL+"/bot42:abc/getChat?chat_id=@brand")
	if code != 400 || v["ok"] != false || v["description"] != "Bad Request: chat not found" {
		t.Fatalf("removed chat: %d %v", code, v)
	}
	code, v = getJSON(t, s.URL+"/bot1:wrong/getMe")
	if code != 401 || v["error_code"] != float64(401) {
		t.Fatalf("wrong token: %d %v", code, v)
	}
	if calls := s.Calls(); len(calls) != 3 || calls[0].Method != "getMe" || calls[1].Method != "getChat" {
		t.Fatalf("calls %+v", calls)
	}
}
