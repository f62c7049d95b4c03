package storage

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"golang.org/x/crypto/argon2"
)

func mustUser(tb testing.TB, db *DB, email string, admin bool) (*herald.User, string) {
	tb.Helper()
	u := &herald.User{Email: email, Name: "Person " + email, Admin: admin}
	pw := "pw-" + email
	if _, err := db.CreateUser(ctx, u, pw); err != nil {
		tb.Fatalf("create user %s: %v", email, err)
	}
	return u, pw
}

func TestCreateUser(t *testing.T) {
	db := MustOpenDB(t)
	u := &herald.User{Email: " Ana@Example.com ", Name: " Ana "}
	gen, err := db.CreateUser(ctx, u, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(gen) != 24 || u.ID == 0 || u.Email != "Ana@Example.com" || u.Name != "Ana" || !u.CreatedAt.Equal(t0) {
		t.Fatalf("generated %q, user %+v", gen, u)
	}
	// Only a PHC argon2id string is stored, never the password.
	var stored string
	if err := get(ctx, db.r, &stored, `SELECT password_hash FROM users WHERE id = ?`, u.ID); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stored, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(stored, gen) {
		t.Fatalf("stored %q", stored)
	}
	// The generated password signs in; the email matches in any case.
	if _, _, err := db.CreateSession(ctx, "ana@EXAMPLE.com", gen, 0); err != nil {
		t.Fatalf("sign in with the generated password: %v", err)
	}

	// One user per email, whatever its case.
	_, err = db.CreateUser(ctx, &herald.User{Email: "ANA@example.COM", Name: "Other"}, "long enough")
	wantCode(t, err, herald.ECONFLICT)

	// Every problem at once, the password's bounds said.
	_, err = db.CreateUser(ctx, &herald.User{Email: "not an email", Name: ""}, "short")
	wantCode(t, err, herald.EVALIDATION)
	cols := map[string]string{}
	for _, p := range herald.ErrorDetails(err) {
		cols[p.Column] = p.Message
	}
	if len(cols) != 3 || !strings.Contains(cols["password"], "8 to 256 bytes") {
		t.Fatalf("problems %v", cols)
	}
	_, err = db.CreateUser(ctx, &herald.User{Email: "long@example.com", Name: "L"}, strings.Repeat("x", 257))
	wantCode(t, err, herald.EVALIDATION)
	_, err = db.CreateUser(ctx, &herald.User{Email: "Ana <ana2@example.com>", Name: "L"}, "")
	wantCode(t, err, herald.EVALIDATION)

	got, err := db.UserByEmail(ctx, "ANA@example.com")
	if err != nil || got.ID != u.ID {
		t.Fatalf("by email: %+v %v", got, err)
	}
	_, err = db.UserByEmail(ctx, "nobody@example.com")
	wantCode(t, err, herald.ENOTFOUND)
}

func TestPasswordHashes(t *testing.T) {
	h, err := hashPassword(ctx, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := hashPassword(ctx, "correct horse")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	for pw, want := range map[string]bool{"correct horse": true, "correct horsE": false, "": false} {
		if ok, err := checkPassword(ctx, h, pw); err != nil || ok != want {
			t.Errorf("check %q = %v, %v; want %v", pw, ok, err, want)
		}
	}
	// A hash names its parameters: one made with others still verifies;
	// parameters past the bounds, or a damaged string, are refused.
	salt := []byte("saltsaltsaltsalt")
	b64 := base64.RawStdEncoding
	other := "$argon2id$v=19$m=64,t=1,p=1$" + b64.EncodeToString(salt) + "$" + b64.EncodeToString(argon2.IDKey([]byte("pw"), salt, 1, 64, 1, 32))
	if ok, err := checkPassword(ctx, other, "pw"); err != nil || !ok {
		t.Errorf("a hash with other parameters: %v %v", ok, err)
	}
	for _, bad := range []string{"", "plain", strings.Replace(other, "argon2id", "argon2i", 1), strings.Replace(other, "m=64", "m=999999999", 1),
		strings.Replace(other, "v=19", "v=16", 1), other[:len(other)-30], other + "!"} {
		if _, err := checkPassword(ctx, bad, "pw"); err == nil {
			t.Errorf("checkPassword accepted hash %q", bad)
		}
	}
}

func TestSessions(t *testing.T) {
	db := MustOpenDB(t)
	u, pw := mustUser(t, db, "ed@example.com", false)

	secret, s, err := db.CreateSession(ctx, "ed@example.com", pw, 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "hrls_") || s.UserID != u.ID || !s.ExpiresAt.Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("secret %q session %+v", secret, s)
	}
	var stored string
	if err := get(ctx, db.r, &stored, `SELECT hash FROM sessions WHERE id = ?`, s.ID); err != nil || stored != hashSecret(secret) {
		t.Fatalf("stored %q, %v", stored, err)
	}
	tok, err := db.Authenticate(ctx, secret)
	if err != nil {
		t.Fatal(err)
	}
	c := tok.Caller()
	if !tok.Session || c.UserID != u.ID || c.Admin || c.Actor.Kind != "user" || c.Actor.Name != u.Name || c.Actor.UserID != u.ID || c.TokenID != s.ID {
		t.Fatalf("caller %+v", c)
	}

	// Wrong password, unknown email, an over-long password: one answer.
	for _, c := range [][2]string{{"ed@example.com", "wrong password"}, {"nobody@example.com", pw}, {"ed@example.com", strings.Repeat("p", 300)}} {
		_, _, err := db.CreateSession(ctx, c[0], c[1], 0)
		wantCode(t, err, herald.EUNAUTHORIZED)
		if herald.ErrorMessage(err) != "wrong email or password" {
			t.Errorf("%v: %v", c, err)
		}
	}

	// The default lasts 12 hours; at its end it no longer authenticates.
	secret12, s12, err := db.CreateSession(ctx, "ED@example.com", pw, 0)
	if err != nil || !s12.ExpiresAt.Equal(t0.Add(12*time.Hour)) {
		t.Fatalf("%+v %v", s12, err)
	}
	clockOf(db).Set(t0.Add(2*time.Hour - time.Millisecond))
	if _, err := db.Authenticate(ctx, secret); err != nil {
		t.Fatalf("a millisecond before expiry: %v", err)
	}
	clockOf(db).Set(t0.Add(2 * time.Hour))
	_, err = db.Authenticate(ctx, secret)
	wantCode(t, err, herald.EUNAUTHORIZED)
	if !strings.Contains(herald.ErrorMessage(err), "expired") {
		t.Errorf("expired: %v", err)
	}
	// A new sign-in clears the user's expired sessions away.
	if _, _, err := db.CreateSession(ctx, "ed@example.com", pw, 0); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := get(ctx, db.r, &n, `SELECT COUNT(*) FROM sessions WHERE id = ?`, s.ID); err != nil || n != 0 {
		t.Fatalf("expired session kept: %d %v", n, err)
	}

	// Signing out ends that session only.
	if err := db.EndSession(ctx, s12.ID); err != nil {
		t.Fatal(err)
	}
	_, err = db.Authenticate(ctx, secret12)
	wantCode(t, err, herald.EUNAUTHORIZED)
	wantCode(t, db.EndSession(ctx, s12.ID), herald.ENOTFOUND)
	_, err = db.Authenticate(ctx, "hrls_unknown")
	wantCode(t, err, herald.EUNAUTHORIZED)
}

// Signing in past maxSessionsPerUser ends the oldest session.
func TestSessionsBounded(t *testing.T) {
	db := MustOpenDB(t)
	old := maxSessionsPerUser
	maxSessionsPerUser = 2
	t.Cleanup(func() { maxSessionsPerUser = old })
	_, pw := mustUser(t, db, "ed@example.com", false)
	var secrets []string
	for i := 0; i < 3; i++ {
		s, _, err := db.CreateSession(ctx, "ed@example.com", pw, 0)
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, s)
	}
	_, err := db.Authenticate(ctx, secrets[0])
	wantCode(t, err, herald.EUNAUTHORIZED)
	for _, s := range secrets[1:] {
		if _, err := db.Authenticate(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
}

func TestChangePassword(t *testing.T) {
	db := MustOpenDB(t)
	u, pw := mustUser(t, db, "ch@example.com", false)
	keep, ks, _ := db.CreateSession(ctx, u.Email, pw, 0)
	other, _, _ := db.CreateSession(ctx, u.Email, pw, 0)

	wantCode(t, db.ChangePassword(ctx, u.ID, "wrong", "new password", ks.ID), herald.EFORBIDDEN)
	wantCode(t, db.ChangePassword(ctx, u.ID, pw, "short", ks.ID), herald.EVALIDATION)
	if err := db.ChangePassword(ctx, u.ID, pw, "new password", ks.ID); err != nil {
		t.Fatal(err)
	}
	// The old password no longer signs in, the new one does; the other
	// sessions ended, the one that changed it stays.
	_, _, err := db.CreateSession(ctx, u.Email, pw, 0)
	wantCode(t, err, herald.EUNAUTHORIZED)
	if _, _, err := db.CreateSession(ctx, u.Email, "new password", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Authenticate(ctx, keep); err != nil {
		t.Errorf("the session that changed the password: %v", err)
	}
	_, err = db.Authenticate(ctx, other)
	wantCode(t, err, herald.EUNAUTHORIZED)
}
