package main

import (
	"context"
	"encoding/base64"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/rs/zerolog"
)

func TestSecretKeyGeneratedOnceWith0600(t *testing.T) {
	t.Setenv("HERALD_SECRET_KEY", "")
	dir := t.TempDir()
	var logs syncBuffer
	k1, err := loadSecretKey(dir, zerolog.New(&logs))
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, secretFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("secret key file mode %v, want 0600", fi.Mode().Perm())
	}
	if !strings.Contains(logs.String(), "generated a new secret key") {
		t.Errorf("no log line says the key was generated: %q", logs.String())
	}
	k2, err := loadSecretKey(dir, zerolog.Nop())
	if err != nil || string(k1) != string(k2) || len(k1) != 32 {
		t.Fatalf("second load: %v, same key %v, len %d", err, string(k1) == string(k2), len(k1))
	}
}

func TestSecretKeyFromEnvironment(t *testing.T) {
	want := make([]byte, 32)
	want[0] = 7
	t.Setenv("HERALD_SECRET_KEY", base64.StdEncoding.EncodeToString(want))
	dir := t.TempDir()
	got, err := loadSecretKey(dir, zerolog.Nop())
	if err != nil || string(got) != string(want) {
		t.Fatalf("key %v, err %v", got, err)
	}
	if _, err := os.Stat(filepath.Join(dir, secretFile)); !os.IsNotExist(err) {
		t.Errorf("a key file was written although HERALD_SECRET_KEY is set")
	}
	t.Setenv("HERALD_SECRET_KEY", base64.StdEncoding.EncodeToString(want[:16]))
	if _, err := loadSecretKey(dir, zerolog.Nop()); err == nil || !strings.Contains(err.Error(), "32 bytes") {
		t.Errorf("a 16-byte key was accepted: %v", err)
	}
}

// migrate is idempotent; token create prints the token alone, and it
// authenticates; usage errors exit 2.
func TestCommands(t *testing.T) {
	t.Setenv("HERALD_SECRET_KEY", "")
	dir := t.TempDir()
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		var out, errb syncBuffer
		if code := run(ctx, []string{"migrate", "--data-dir", dir}, &out, &errb); code != 0 || !strings.Contains(out.String(), "schema is current") {
			t.Fatalf("migrate #%d: exit %d, %q %q", i+1, code, out.String(), errb.String())
		}
	}
	var out, errb syncBuffer
	if code := run(ctx, []string{"token", "create", "--name", "ci", "--data-dir", dir}, &out, &errb); code != 0 {
		t.Fatalf("token create: exit %d: %s", code, errb.String())
	}
	tok := out.String()
	if !tokenRe.MatchString(tok) || strings.Count(tok, "\n") != 1 || strings.TrimSpace(tok) != tokenRe.FindString(tok) {
		t.Fatalf("token create printed %q, want the token alone on one line", tok)
	}
	cfg := testConfig(dir)
	m := NewMain(cfg, &out, &errb)
	if err := m.OpenDB(ctx); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, err := m.DB.Authenticate(ctx, strings.TrimSpace(tok)); err != nil {
		t.Errorf("the printed token does not authenticate: %v", err)
	}
	// The audit log says the command line made it.
	entries, _, err := m.DB.AuditLog(ctx, herald.AuditFilter{Action: herald.AuditTokenCreated})
	if err != nil || len(entries) != 1 || entries[0].Actor != (herald.AuditActor{Kind: "system", ID: "cli", Name: "herald token create"}) ||
		entries[0].Details["name"] != "ci" {
		t.Errorf("audit log of token create: %+v %v", entries, err)
	}

	for _, args := range [][]string{{}, {"bogus"}, {"token"}, {"token", "create"}, {"serve", "--workers", "0"}, {"migrate", "extra"}} {
		var o, e syncBuffer
		if code := run(ctx, args, &o, &e); code != exitUsage {
			t.Errorf("herald %v: exit %d, want %d", args, code, exitUsage)
		}
	}
}

// A database Herald cannot open — another kind, or a PostgreSQL URL that
// does not parse — is refused by every command that opens the database in
// one line, without the password, with exit 2 before anything is written (no
// data directory, no secret.key), whether --db or HERALD_DATABASE_URL names it.
func TestUnopenableDatabaseRefusedBeforeAnythingIsWritten(t *testing.T) {
	t.Setenv("HERALD_SECRET_KEY", "")
	for _, c := range []struct{ url, says string }{
		{"mysql://herald:s3cret@127.0.0.1:3306/herald", "mysql databases are not supported"},
		{"postgres://herald:s3cret@127.0.0.1:notaport/herald", "invalid PostgreSQL URL"},
	} {
		for _, tc := range []struct {
			args []string
			env  string
		}{
			{[]string{"migrate", "--db", c.url}, ""},
			{[]string{"migrate"}, c.url},
			{[]string{"token", "create", "--name", "ci", "--db", c.url}, ""},
			{[]string{"serve", "--addr", "127.0.0.1:0"}, c.url},
		} {
			t.Setenv("HERALD_DATABASE_URL", tc.env)
			dir := filepath.Join(t.TempDir(), "data")
			var out, errb syncBuffer
			code := run(context.Background(), append(tc.args, "--data-dir", dir), &out, &errb)
			msg := errb.String()
			if code != exitUsage || strings.Count(msg, "\n") != 1 || !strings.Contains(msg, c.says) ||
				!strings.Contains(msg, "SQLite") || strings.Contains(msg, "s3cret") || strings.Contains(msg, "code=") {
				t.Errorf("herald %v (HERALD_DATABASE_URL=%q): exit %d, stderr %q; want exit 2 and one clear line", tc.args, tc.env, code, msg)
			}
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Errorf("herald %v wrote into the data directory: %v", tc.args, err)
			}
		}

		// Main refuses it too, before it creates the data directory.
		dir := filepath.Join(t.TempDir(), "data")
		cfg := testConfig(dir)
		cfg.DatabaseURL = c.url
		m := NewMain(cfg, io.Discard, io.Discard)
		defer m.Close()
		if err := m.OpenDB(context.Background()); err == nil {
			t.Fatalf("OpenDB accepted %s", c.url)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("OpenDB wrote into the data directory: %v", err)
		}
	}
}
