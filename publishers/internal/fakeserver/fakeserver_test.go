package fakeserver

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestLogWait(t *testing.T) {
	var l Log[int]
	done := make(chan []int)
	go func() {
		items, _ := l.Wait(2, 5*time.Second)
		done <- items
	}()
	l.Append(1)
	l.Append(2)
	if items := <-done; len(items) != 2 {
		t.Errorf("Wait returned %v", items)
	}
	if _, err := l.Wait(3, 10*time.Millisecond); err == nil {
		t.Error("Wait must time out with an error")
	}
}

func TestScriptTakeMatching(t *testing.T) {
	var s Script[string]
	s.Push("a1", "b1", "a2")
	if f, ok := s.Take(func(f string) bool { return f[0] == 'b' }); !ok || f != "b1" {
		t.Errorf("Take = %q %v", f, ok)
	}
	if f, _ := s.Take(func(string) bool { return true }); f != "a1" || s.Len() != 1 {
		t.Errorf("Take = %q, %d left", f, s.Len())
	}
}

func TestGate(t *testing.T) {
	g := NewGate()
	held := make(chan struct{})
	go func() { g.Hold(); close(held) }()
	deadline := time.Now().Add(5 * time.Second)
	for g.Waiting() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	select {
	case <-held:
		t.Fatal("Hold returned before Release")
	default:
	}
	g.Release()
	<-held
	g.Close()
	g.Hold() // returns at once once closed
}

func TestBase(t *testing.T) {
	var b Base[string, string]
	url := Start(&b, 0, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := TakeFault(&b, func(f string) bool { return f == r.URL.Path })
		Record(&b, r.URL.Path+" "+f)
		if ok && f == "/hang" {
			Hold(&b)
		}
		Delay(&b)
	}))
	b.Script("/hang", "/other")
	if b.Pending() != 2 {
		t.Fatalf("Pending = %d, want 2", b.Pending())
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if resp, err := http.Get(url + "/hang"); err == nil {
			resp.Body.Close()
		}
	}()
	calls, err := b.WaitCalls(1, 5*time.Second)
	if err != nil || calls[0] != "/hang /hang" || b.Pending() != 1 {
		t.Fatalf("WaitCalls = %q, %v; %d pending", calls, err, b.Pending())
	}
	deadline := time.Now().Add(5 * time.Second)
	for b.Held() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	b.Release()
	<-done
	b.SetLatency(time.Hour)
	go func() {
		if resp, err := http.Get(url + "/slow"); err == nil {
			resp.Body.Close()
		}
	}()
	if _, err := b.WaitCalls(2, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	b.Close() // ends the hour's Delay early
	if got := b.Calls(); len(got) != 2 || got[1] != "/slow " {
		t.Errorf("Calls = %q", got)
	}
}

func TestConnFaultName(t *testing.T) {
	for _, tc := range []struct {
		hang, drop, post bool
		want             string
	}{
		{false, false, false, ""},
		{true, false, false, "hang"},
		{false, true, false, "drop"},
		{false, true, true, "drop-after-post"},
		{false, false, true, ""},
	} {
		if got := ConnFaultName(tc.hang, tc.drop, tc.post); got != tc.want {
			t.Errorf("ConnFaultName(%v, %v, %v) = %q, want %q", tc.hang, tc.drop, tc.post, got, tc.want)
		}
	}
}

func TestServe(t *testing.T) {
	var b Base[Conn, string]
	url := Start(&b, 0, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, faulted := TakeFault(&b, func(Conn) bool { return true })
		var fail func(*httptest.ResponseRecorder)
		if faulted {
			fail = func(w *httptest.ResponseRecorder) { w.WriteHeader(http.StatusTeapot) }
		}
		answered := ""
		normal := func(w *httptest.ResponseRecorder) { answered = "normal"; w.WriteHeader(http.StatusAccepted) }
		Serve(&b, w, conn, normal, fail, func() { Record(&b, r.URL.Path+" "+answered) })
	}))
	defer b.Close()
	get := func(path string) int {
		resp, err := http.Post(url+path, "text/plain", nil) // POST: a dropped call is not retried
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	b.Script(Conn{}, Conn{Drop: true}, Conn{Drop: true, Post: true})
	for _, tc := range []struct {
		path string
		want int
	}{{"/fail", http.StatusTeapot}, {"/drop", 0}, {"/post", 0}, {"/ok", http.StatusAccepted}} {
		if got := get(tc.path); got != tc.want {
			t.Errorf("GET %s = %d, want %d", tc.path, got, tc.want)
		}
	}
	b.Script(Conn{Hang: true})
	done := make(chan int)
	go func() { done <- get("/hang") }()
	calls, err := b.WaitCalls(5, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/fail ", "/drop ", "/post normal", "/ok normal", "/hang "}
	for i := range want {
		if calls[i] != want[i] {
			t.Errorf("call %d recorded %q, want %q", i, calls[i], want[i])
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for b.Held() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	b.Release()
	if got := <-done; got != http.StatusAccepted {
		t.Errorf("held call answered %d, want %d", got, http.StatusAccepted)
	}
}
