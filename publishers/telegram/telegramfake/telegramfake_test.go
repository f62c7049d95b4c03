package telegramfake_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/publishers/telegram/telegramfake"
)

type answer struct {
	OK          bool            `json:"ok"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Result      json.RawMessage `json:"result"`
	Parameters  map[string]any  `json:"parameters"`
}

func post(t *testing.T, base, token, method, body string) (int, answer) {
	t.Helper()
	resp, err := http.Post(base+"/bot"+token+"/"+method, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var a answer
	if err := json.Unmarshal(b, &a); err != nil {
		t.Fatalf("answer %q is not JSON: %v", b, err)
	}
	return resp.StatusCode, a
}

func TestAnswers(t *testing.T) {
	fake := telegramfake.New(telegramfake.Options{})
	defer fake.Close()
	tok := fake.Token
	tests := []struct {
		name, token, method, body string
		status                    int
		desc                      string
	}{
		{"wrong token", "1:bad", "sendMessage", `{"chat_id":"@a","text":"x"}`, 401, "Unauthorized"},
		{"unknown method", tok, "sendSticker", `{}`, 404, "Not Found"},
		{"empty text", tok, "sendMessage", `{"chat_id":"@a","text":""}`, 400, "Bad Request: message text is empty"},
		{"4096 UTF-16 units fit", tok, "sendMessage", `{"chat_id":"@a","text":"` + strings.Repeat("😀", 2048) + `"}`, 200, ""},
		{"4097 UTF-16 units", tok, "sendMessage", `{"chat_id":"@a","text":"` + strings.Repeat("😀", 2048) + `x"}`, 400, "Bad Request: message is too long"},
		{"HTML tags not counted", tok, "sendMessage", `{"chat_id":"@a","parse_mode":"HTML","text":"<b>` + strings.Repeat("a", 4096) + `</b>"}`, 200, ""},
		{"long caption", tok, "sendPhoto", `{"chat_id":"@a","photo":"https://x/1.jpg","caption":"` + strings.Repeat("a", 1025) + `"}`, 400, "Bad Request: message caption is too long"},
		{"album of one", tok, "sendMediaGroup", `{"chat_id":"@a","media":[{"type":"photo","media":"https://x/1.jpg"}]}`, 400, "wrong number of media"},
		{"bad chat", tok, "sendMessage", `{"chat_id":"brand","text":"x"}`, 400, "Bad Request: chat not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, a := post(t, fake.URL, tc.token, tc.method, tc.body)
			if status != tc.status || a.OK != (tc.status == 200) || (tc.status != 200 && (a.ErrorCode != tc.status || !strings.Contains(a.Description, tc.desc))) {
				t.Errorf("got %d %+v, want %d %q", status, a, tc.status, tc.desc)
			}
		})
	}
}

func TestFormParamsAndPerChatIDs(t *testing.T) {
	fake := telegramfake.New(telegramfake.Options{})
	defer fake.Close()
	for _, chat := range []string{"@a", "@a", "@b"} {
		resp, err := http.PostForm(fake.URL+"/bot"+fake.Token+"/sendMessage", url.Values{"chat_id": {chat}, "text": {"hi"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	msgs, err := fake.WaitMessages(3, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if msgs[0].MessageID != 1 || msgs[1].MessageID != 2 || msgs[2].MessageID != 1 {
		t.Errorf("ids %d %d %d, want 1 2 1 (per chat)", msgs[0].MessageID, msgs[1].MessageID, msgs[2].MessageID)
	}
}

func TestScriptAndRecords(t *testing.T) {
	fake := telegramfake.New(telegramfake.Options{})
	defer fake.Close()
	fake.Script(telegramfake.TooManyRequests(3))
	status, a := post(t, fake.URL, fake.Token, "sendMessage", `{"chat_id":-100555,"text":"x"}`)
	if status != 429 || a.Parameters["retry_after"] != float64(3) {
		t.Errorf("got %d %+v, want 429 with retry_after 3", status, a)
	}
	status, _ = post(t, fake.URL, fake.Token, "sendMessage", `{"chat_id":-100555,"text":"x"}`)
	if status != 200 {
		t.Errorf("second call %d, want 200 once the script is used up", status)
	}
	calls := fake.Calls()
	if len(calls) != 2 || calls[0].Fault == "" || calls[1].Fault != "" || calls[0].ChatID != "-100555" {
		t.Errorf("calls %+v", calls)
	}
	if _, err := fake.WaitMessages(2, 20*time.Millisecond); err == nil {
		t.Error("WaitMessages should time out: only one message was posted")
	}
}

func TestLatency(t *testing.T) {
	fake := telegramfake.New(telegramfake.Options{Latency: 50 * time.Millisecond})
	defer fake.Close()
	start := time.Now()
	post(t, fake.URL, fake.Token, "sendMessage", `{"chat_id":"@a","text":"x"}`)
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("answered after %s, want at least the 50ms latency", d)
	}
}

func TestCloseReleasesHeldCalls(t *testing.T) {
	fake := telegramfake.New(telegramfake.Options{})
	fake.Script(telegramfake.Hang())
	done := make(chan struct{})
	go func() {
		defer close(done)
		resp, err := http.Post(fake.URL+"/bot"+fake.Token+"/sendMessage", "application/json", strings.NewReader(`{"chat_id":"@a","text":"x"}`))
		if err == nil {
			resp.Body.Close()
		}
	}()
	if _, err := fake.WaitCalls(1, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	fake.Close() // must not block on the held call
	<-done
}
