package storage

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/jmoiron/sqlx"
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
	if err := sel(ctx, db.w, &stored, `SELECT name || role || hash FROM api_tokens`); err != nil {
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
	if last := waitLastUsed(t, db, tok.ID, t0.Add(time.Hour)); last != t0.Add(time.Hour).UnixMilli() {
		t.Fatalf("last_used_at = %d", last)
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
	for _, c := range []struct {
		at   time.Duration
		want time.Duration
	}{{0, 0}, {30 * time.Second, 0}, {59 * time.Second, 0}, {time.Minute, time.Minute}, {90 * time.Second, time.Minute}, {2 * time.Minute, 2 * time.Minute}} {
		clockOf(db).Set(t0.Add(c.at))
		got, err := db.Authenticate(ctx, secret)
		if err != nil {
			t.Fatal(err)
		}
		if last := waitLastUsed(t, db, tok.ID, t0.Add(c.want)); last != t0.Add(c.want).UnixMilli() || got.LastUsedAt == nil || !got.LastUsedAt.Equal(t0.Add(c.want)) {
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

// waitLastUsed waits (up to 5s) until the token's stored last_used_at is
// want, written in the background, and returns what is stored then.
func waitLastUsed(t *testing.T, db *DB, id int64, want time.Time) int64 {
	t.Helper()
	var last sql.NullInt64
	for deadline := time.Now().Add(5 * time.Second); ; {
		if err := get(ctx, db.r, &last, `SELECT last_used_at FROM api_tokens WHERE id = ?`, id); err != nil {
			t.Fatal(err)
		}
		if last.Int64 == want.UnixMilli() || time.Now().After(deadline) {
			return last.Int64
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A request authenticates while the writer is held (a long plan upload):
// recording the token's use waits, the request does not.
func TestAuthenticateDoesNotWaitOnTheWriter(t *testing.T) {
	db := MustOpenDB(t)
	secret, tok, err := db.CreateToken(ctx, "admin", herald.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	held, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- db.inTx(ctx, func(*sqlx.Tx) error { close(held); <-release; return nil })
	}()
	<-held
	actx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := db.Authenticate(actx, secret); err != nil {
		t.Fatalf("authenticate while the writer is held: %v", err)
	}
	if err := db.Ping(actx); err != nil {
		t.Errorf("ping while the writer is held: %v", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if last := waitLastUsed(t, db, tok.ID, t0); last != t0.UnixMilli() {
		t.Errorf("last_used_at = %d after the writer was released, want %d", last, t0.UnixMilli())
	}
}
