package fakeserver

import (
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
