package webhookfake_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/publishers/webhook"
	"github.com/heraldhq/herald/publishers/webhook/webhookfake"
)

func post(t *testing.T, url, sig, key string, body []byte) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	req.Header.Set(webhook.SignatureHeader, sig)
	req.Header.Set("Idempotency-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

func TestSignatureAndReplay(t *testing.T) {
	now := time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC)
	s := webhookfake.New(webhookfake.Options{Now: func() time.Time { return now }, HonourIdempotencyKey: true})
	defer s.Close()
	body := []byte(`{"delivery_id":1,"text":"hi"}`)
	tests := []struct {
		name, sig, key string
		status         int
		answer         string
	}{
		{"signed", webhook.Sign(s.Secret, now, body), "k1", 200, `{"id":"evt_1"}`},
		{"replayed key", webhook.Sign(s.Secret, now, body), "k1", 200, `{"id":"evt_1"}`},
		{"wrong secret", webhook.Sign("other", now, body), "k2", 401, "signature does not match"},
		{"stale", webhook.Sign(s.Secret, now.Add(-time.Hour), body), "k3", 401, "outside the tolerance"},
		{"unsigned", "", "k4", 401, "no usable"},
	}
	for _, tc := range tests {
		if status, answer := post(t, s.URL, tc.sig, tc.key, body); status != tc.status || !strings.Contains(answer, tc.answer) {
			t.Errorf("%s: %d %s, want %d %s", tc.name, status, answer, tc.status, tc.answer)
		}
	}
	if ds := s.Deliveries(); len(ds) != 1 || ds[0].Payload.Text != "hi" || s.Rejected() != 3 {
		t.Errorf("deliveries %+v, %d rejected", ds, s.Rejected())
	}
	if status, _ := post(t, strings.TrimSuffix(s.URL, webhookfake.Path)+"/other", webhook.Sign(s.Secret, now, body), "k5", body); status != 404 {
		t.Errorf("other path: %d", status)
	}
}
