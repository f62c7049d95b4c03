package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
)

// postgresSchema makes an empty schema in the database HERALD_TEST_POSTGRES_URL
// names, dropped when the test ends, and returns a URL of it (search_path),
// with the admin connection; it skips the test when the variable is unset.
func postgresSchema(t testing.TB) (dsn, schema string, admin *sql.DB) {
	t.Helper()
	base := os.Getenv("HERALD_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("HERALD_TEST_POSTGRES_URL is not set: herald on PostgreSQL is not tested (set it to a database the tests may use, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	b := make([]byte, 8)
	rand.Read(b)
	schema = "herald_cmd_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("PostgreSQL at HERALD_TEST_POSTGRES_URL: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), schema, admin
}

// herald migrate and herald serve on PostgreSQL, named by --db or
// HERALD_DATABASE_URL: migrate applies the schema once, serve is ready and
// serves the API from it, /readyz says 503 when the schema lacks a
// migration; no SQLite file is made.
func TestPostgresMigrateAndServe(t *testing.T) {
	dsn, schema, admin := postgresSchema(t)
	key := make([]byte, 32)
	rand.Read(key)
	t.Setenv("HERALD_SECRET_KEY", base64.StdEncoding.EncodeToString(key)) // replicas share the key
	t.Setenv("HERALD_DATABASE_URL", "")
	dir := filepath.Join(t.TempDir(), "data")

	var out, errb syncBuffer
	if code := run(context.Background(), []string{"migrate", "--db", dsn, "--data-dir", dir}, &out, &errb); code != 0 {
		t.Fatalf("herald migrate --db postgres://…: exit %d: %s", code, errb.String())
	}
	var versions int
	if err := admin.QueryRow(`SELECT COUNT(*) FROM ` + schema + `.schema_migrations`).Scan(&versions); err != nil || versions == 0 {
		t.Fatalf("schema_migrations after migrate: %d, %v", versions, err)
	}
	t.Setenv("HERALD_DATABASE_URL", dsn)
	errb = syncBuffer{}
	if code := run(context.Background(), []string{"migrate", "--data-dir", dir}, &out, &errb); code != 0 {
		t.Fatalf("herald migrate with HERALD_DATABASE_URL: exit %d: %s", code, errb.String())
	}
	var again int
	if err := admin.QueryRow(`SELECT COUNT(*) FROM ` + schema + `.schema_migrations`).Scan(&again); err != nil || again != versions {
		t.Fatalf("a second migrate recorded %d migrations, want %d (%v)", again, versions, err)
	}

	cfg := testConfig(dir)
	cfg.DatabaseURL = dsn
	tm := mustRunMain(t, cfg)
	call(t, tm.URL, "", "GET", "/readyz", "", nil, 200, nil)
	tm.do(t, "POST", "/api/v1/workspaces", map[string]any{"slug": "brand", "name": "Brand"}, 201, nil)
	var slug string
	if err := admin.QueryRow(`SELECT slug FROM ` + schema + `.workspaces`).Scan(&slug); err != nil || slug != "brand" {
		t.Fatalf("workspace in PostgreSQL: %q, %v", slug, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "herald.db")); !os.IsNotExist(err) {
		t.Errorf("a SQLite database was made beside PostgreSQL: %v", err)
	}

	if _, err := admin.Exec(`DELETE FROM ` + schema + `.schema_migrations WHERE version = (SELECT MAX(version) FROM ` + schema + `.schema_migrations)`); err != nil {
		t.Fatal(err)
	}
	call(t, tm.URL, "", "GET", "/readyz", "", nil, 503, nil)
}
