package storage

import (
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

func TestTokens(t *testing.T) {
	db := MustOpenDB(t)
	if n, err := db.CountTokens(ctx); err != nil || n != 0 {
		t.Fatalf("count = %d, %v", n, err)
	}
	secret, tok, err := db.CreateToken(ctx, "admin", herald.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "hrld_") || len(secret) != 5+43 || tok.ID == 0 || tok.Name != "admin" || tok.LastUsedAt != nil {
		t.Fatalf("secret %q token %+v", secret, tok)
	}
	var stored []string
	if err := db.w.SelectContext(ctx, &stored, `SELECT name || role || hash FROM api_tokens`); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stored[0], secret[5:]) || !strings.Contains(stored[0], hashSecret(secret)) {
		t.Fatalf("token row %q must hold only the secret's hash", stored[0])
	}

	clockOf(db).Set(t0.Add(time.Hour))
	got, err := db.Authenticate(ctx, secret)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != tok.ID || got.Role != herald.RoleAdmin || got.LastUsedAt == nil || !got.LastUsedAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("authenticated %+v", got)
	}
	var last int64
	if err := db.w.GetContext(ctx, &last, `SELECT last_used_at FROM api_tokens WHERE id = ?`, tok.ID); err != nil || last != t0.Add(time.Hour).UnixMilli() {
		t.Fatalf("last_used_at = %d, %v", last, err)
	}

	for _, bad := range []string{"", "hrld_", secret + "x", strings.Replace(secret, "hrld_", "xxxx_", 1), secret[:len(secret)-1] + "A"} {
		if bad == secret {
			continue
		}
		_, err := db.Authenticate(ctx, bad)
		wantCode(t, err, herald.EUNAUTHORIZED)
	}
	_, _, err = db.CreateToken(ctx, "ci", "viewer")
	wantCode(t, err, herald.EINVALID)
	_, _, err = db.CreateToken(ctx, " ", herald.RoleAdmin)
	wantCode(t, err, herald.EINVALID)
	if _, _, err := db.CreateToken(ctx, "ci", herald.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if n, err := db.CountTokens(ctx); err != nil || n != 2 {
		t.Fatalf("count = %d, %v", n, err)
	}
}

// A token's use is written at most once a minute: requests in between do
// not touch the writer.
func TestTokenLastUsedAtMostOnceAMinute(t *testing.T) {
	db := MustOpenDB(t)
	secret, tok, err := db.CreateToken(ctx, "admin", herald.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	stored := func() int64 {
		var last int64
		if err := db.w.GetContext(ctx, &last, `SELECT last_used_at FROM api_tokens WHERE id = ?`, tok.ID); err != nil {
			t.Fatal(err)
		}
		return last
	}
	for _, c := range []struct {
		at   time.Duration
		want time.Duration
	}{{0, 0}, {30 * time.Second, 0}, {59 * time.Second, 0}, {time.Minute, time.Minute}, {90 * time.Second, time.Minute}, {2 * time.Minute, 2 * time.Minute}} {
		clockOf(db).Set(t0.Add(c.at))
		got, err := db.Authenticate(ctx, secret)
		if err != nil {
			t.Fatal(err)
		}
		if last := stored(); last != t0.Add(c.want).UnixMilli() || got.LastUsedAt == nil || !got.LastUsedAt.Equal(t0.Add(c.want)) {
			t.Errorf("at +%v: stored last_used_at +%v, answered %v; want +%v", c.at, time.Duration(last-t0.UnixMilli())*time.Millisecond, got.LastUsedAt, c.want)
		}
	}
}

// Processes starting together on a fresh database make one first token
// between them: two handles on one file (as two processes have) race for it.
func TestCreateFirstTokenOnce(t *testing.T) {
	for trial := 0; trial < 20; trial++ {
		path := filepath.Join(t.TempDir(), "herald.db")
		a, b := mustOpenRaw(t, path), mustOpenRaw(t, path)
		if err := a.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if err := b.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		secrets := make(chan string, 2)
		var wg sync.WaitGroup
		for _, db := range []*DB{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s, _, err := db.CreateFirstToken(ctx, "first-admin")
				if err != nil {
					t.Error(err)
				}
				secrets <- s
			}()
		}
		wg.Wait()
		close(secrets)
		made := 0
		for s := range secrets {
			if s != "" {
				made++
			}
		}
		if n, err := a.CountTokens(ctx); made != 1 || n != 1 || err != nil {
			t.Fatalf("trial %d: %d first tokens printed, %d stored (%v)", trial, made, n, err)
		}
	}
}
