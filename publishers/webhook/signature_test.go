package webhook_test

import (
	"errors"
	"testing"
	"time"

	"github.com/heraldhq/herald/publishers/webhook"
)

// The vector was computed apart from this package:
// python3 -c 'import hmac,hashlib; print(hmac.new(b"whsec_test", b"1796108400.{\"a\":1}", hashlib.sha256).hexdigest())'
const vector = "t=1796108400,v1=14dc2e85aae6e8f65db7ebe60550250c8b9616f81173ad8d997d7fbdffc1ae83"

var signedAt = time.Unix(1796108400, 0)

func TestSign(t *testing.T) {
	if got := webhook.Sign("whsec_test", signedAt, []byte(`{"a":1}`)); got != vector {
		t.Errorf("Sign = %s, want %s", got, vector)
	}
}

func TestVerify(t *testing.T) {
	body := []byte(`{"a":1}`)
	tests := []struct {
		name, secret, header string
		body                 []byte
		now                  time.Time
		tolerance            time.Duration
		want                 error
	}{
		{"valid", "whsec_test", vector, body, signedAt.Add(time.Minute), 0, nil},
		{"rotated secrets: one of two matches", "whsec_test", "t=1796108400,v1=00ff," + vector[len("t=1796108400,"):], body, signedAt, 0, nil},
		{"wrong secret", "other", vector, body, signedAt, 0, webhook.ErrBadSignature},
		{"body changed", "whsec_test", vector, []byte(`{"a":2}`), signedAt, 0, webhook.ErrBadSignature},
		{"too old for the default 5m", "whsec_test", vector, body, signedAt.Add(6 * time.Minute), 0, webhook.ErrStale},
		{"within a longer tolerance", "whsec_test", vector, body, signedAt.Add(6 * time.Minute), 10 * time.Minute, nil},
		{"from the future", "whsec_test", vector, body, signedAt.Add(-6 * time.Minute), 0, webhook.ErrStale},
		{"no header", "whsec_test", "", body, signedAt, 0, webhook.ErrNoSignature},
		{"no v1", "whsec_test", "t=1796108400", body, signedAt, 0, webhook.ErrNoSignature},
		{"bad t", "whsec_test", "t=soon,v1=14dc", body, signedAt, 0, webhook.ErrNoSignature},
	}
	for _, tc := range tests {
		err := webhook.Verify(tc.secret, tc.header, tc.body, tc.now, tc.tolerance)
		if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}
