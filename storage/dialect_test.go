package storage

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"os"
	osexec "os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
)

// The suite runs once per dialect (as River's riverdrivertest.Exercise runs
// one suite over every driver): on SQLite always, then — when
// HERALD_TEST_POSTGRES_URL names a PostgreSQL database — a second time on
// PostgreSQL, in a child process TestMain starts from the same test binary
// with the same flags, in which MustOpenDB and mustOpenRaw give every test a
// fresh schema of its own. No test chooses its dialect; the few that test
// one dialect's own behaviour say so with sqliteOnly or postgresOnly.

const (
	// postgresURLEnv names the PostgreSQL database of the second pass, e.g.
	// postgres://postgres@127.0.0.1:5432/test?sslmode=disable. Each test
	// makes a schema there and drops it when it ends.
	postgresURLEnv = "HERALD_TEST_POSTGRES_URL"
	// dialectEnv is "postgres" in the PostgreSQL pass's process.
	dialectEnv = "HERALD_TEST_STORAGE_DIALECT"
)

// testDialect is the dialect of this process's pass: "sqlite" or "postgres".
var testDialect = "sqlite"

func TestMain(m *testing.M) { os.Exit(runPasses(m)) }

// runPasses runs the tests on SQLite, then on PostgreSQL, and returns
// non-zero when either failed.
func runPasses(m *testing.M) int {
	pgURL := os.Getenv(postgresURLEnv)
	if os.Getenv(dialectEnv) == "postgres" {
		if pgURL == "" {
			fmt.Fprintf(os.Stderr, "storage: %s=postgres needs %s\n", dialectEnv, postgresURLEnv)
			return 1
		}
		testDialect = "postgres"
		code := m.Run()
		closePostgresAdmin()
		return code
	}
	code := m.Run()
	if pgURL == "" {
		fmt.Printf("storage: the PostgreSQL pass is skipped: %s is not set (set it to a database the tests may use, e.g. %s=postgres://postgres@127.0.0.1:5432/test?sslmode=disable)\n",
			postgresURLEnv, postgresURLEnv)
		return code
	}
	fmt.Printf("storage: the same tests on PostgreSQL (%s)\n", redactURL(pgURL))
	cmd := osexec.Command(os.Args[0], childArgs(os.Args[1:])...)
	cmd.Env = append(os.Environ(), dialectEnv+"=postgres")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.MultiWriter(os.Stdout, &out), os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Printf("storage: the PostgreSQL pass failed (%v): %s\n", err, strings.Join(failedTests(out.String()), ", "))
		return 1
	}
	return code
}

// failedTests names the tests a test binary's output says failed.
func failedTests(out string) []string {
	var names []string
	for _, line := range strings.Split(out, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "--- FAIL: "); ok {
			name, _, _ := strings.Cut(rest, " ")
			names = append(names, name)
		}
	}
	return names
}

// childArgs are the test flags for the PostgreSQL pass: all of this
// process's but those naming files it writes (the go command's test log,
// profiles), which the child would overwrite.
func childArgs(args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		name, _, hasValue := strings.Cut(strings.TrimLeft(args[i], "-"), "=")
		switch name {
		case "test.testlogfile", "test.coverprofile", "test.cpuprofile", "test.memprofile",
			"test.blockprofile", "test.mutexprofile", "test.trace":
			if !hasValue {
				i++ // its value is the next argument
			}
			continue
		}
		out = append(out, args[i])
	}
	return out
}

// TestPostgresPass says, in the SQLite pass, whether the PostgreSQL pass
// runs (go test -v shows it).
func TestPostgresPass(t *testing.T) {
	if testDialect == "postgres" {
		return
	}
	if os.Getenv(postgresURLEnv) == "" {
		t.Skipf("the PostgreSQL pass is skipped: %s is not set", postgresURLEnv)
	}
	t.Logf("the PostgreSQL pass runs after this one, on %s", redactURL(os.Getenv(postgresURLEnv)))
}

// sqliteOnly skips tb in the PostgreSQL pass: what it tests is SQLite's own.
func sqliteOnly(tb testing.TB, why string) {
	tb.Helper()
	if testDialect != "sqlite" {
		tb.Skipf("SQLite only: %s", why)
	}
}

// postgresOnly skips tb in the SQLite pass: what it tests is PostgreSQL's own.
func postgresOnly(tb testing.TB) {
	tb.Helper()
	if testDialect != "postgres" {
		tb.Skipf("PostgreSQL only: runs in the PostgreSQL pass (%s)", postgresURLEnv)
	}
}

// testDSN is what Open opens for the test database that path names: on
// SQLite the file; on PostgreSQL a fresh schema made for path — the same one
// for every open of that path, so that two handles on one path are two
// processes on one database — dropped when tb ends.
func testDSN(tb testing.TB, path string) string {
	tb.Helper()
	if testDialect != "postgres" {
		return path
	}
	if dsn, ok := pgSchemas.Load(path); ok {
		return dsn.(string)
	}
	dsn, _ := newPostgresSchema(tb)
	pgSchemas.Store(path, dsn)
	tb.Cleanup(func() { pgSchemas.Delete(path) })
	return dsn
}

var pgSchemas sync.Map // test database path → PostgreSQL URL of its schema

// newPostgresSchema creates an empty schema and returns a URL of the test
// database whose connections use it (search_path) and are named after it
// (application_name, see waitLockWait), and its name. The schema is dropped
// when tb ends, after the cleanups registered later (the handles' Close).
func newPostgresSchema(tb testing.TB) (dsn, schema string) {
	tb.Helper()
	b := make([]byte, 8)
	rand.Read(b)
	schema = "herald_test_" + hex.EncodeToString(b)
	admin := postgresAdmin(tb)
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		if _, err := admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return postgresURLWith(tb, map[string]string{"search_path": schema, "application_name": schema}), schema
}

// postgresURLWith is the test database's URL with these query parameters set.
func postgresURLWith(tb testing.TB, params map[string]string) string {
	tb.Helper()
	u, err := url.Parse(os.Getenv(postgresURLEnv))
	if err != nil {
		tb.Fatalf("%s: %v", postgresURLEnv, err)
	}
	q := u.Query()
	for k, v := range params {
		q.Set(k, v)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

var pgAdmin struct {
	once sync.Once
	db   *sqlx.DB
	err  error
}

// postgresAdmin is a pool on the test database itself (its default schema),
// for making and dropping schemas and for tests that play another session.
func postgresAdmin(tb testing.TB) *sqlx.DB {
	tb.Helper()
	pgAdmin.once.Do(func() {
		pgAdmin.db, pgAdmin.err = sqlx.Open("pgx", os.Getenv(postgresURLEnv))
		if pgAdmin.err == nil {
			pgAdmin.err = pgAdmin.db.Ping()
		}
	})
	if pgAdmin.err != nil {
		tb.Fatalf("PostgreSQL at %s: %v", redactURL(os.Getenv(postgresURLEnv)), pgAdmin.err)
	}
	return pgAdmin.db
}

func closePostgresAdmin() {
	if pgAdmin.db != nil {
		pgAdmin.db.Close()
	}
}

// redactURL is u without its password.
func redactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unreadable URL)"
	}
	return p.Redacted()
}

// schemaOf is the PostgreSQL schema of a test database.
func schemaOf(tb testing.TB, db *DB) string {
	tb.Helper()
	u, err := url.Parse(dsnOf(db))
	if err != nil || u.Query().Get("search_path") == "" {
		tb.Fatalf("not a test schema: %q", redactURL(dsnOf(db)))
	}
	return u.Query().Get("search_path")
}

// waitLockWait waits (up to 10s) until a connection of db's schema waits
// for a lock another session holds, and reports true; it reports false if
// done is closed first (the operation did not wait at all).
func waitLockWait(tb testing.TB, db *DB, done <-chan struct{}) bool {
	tb.Helper()
	admin, schema := postgresAdmin(tb), schemaOf(tb, db)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		var n int
		if err := admin.Get(&n, `SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`, schema); err != nil {
			tb.Fatal(err)
		}
		if n > 0 {
			return true
		}
		select {
		case <-done:
			return false
		case <-time.After(5 * time.Millisecond):
		}
	}
	tb.Fatal("nothing waited for the lock within 10s")
	return false
}

// The PostgreSQL pass gets this process's flags but not the files it
// writes; its failures are named.
func TestChildArgsAndFailures(t *testing.T) {
	got := strings.Join(childArgs([]string{"-test.testlogfile=/tmp/x/testlog.txt", "-test.paniconexit0", "-test.timeout=10m0s",
		"-test.run", "^TestClaim", "-test.coverprofile", "/tmp/c.out", "-test.v=true", "-test.cpuprofile=cpu.out"}), " ")
	if want := "-test.paniconexit0 -test.timeout=10m0s -test.run ^TestClaim -test.v=true"; got != want {
		t.Errorf("childArgs = %q, want %q", got, want)
	}
	out := "=== RUN   TestA\n--- FAIL: TestA (0.01s)\n    a_test.go:1: boom\n    --- FAIL: TestB/sub (0.00s)\n--- PASS: TestC (0.00s)\nFAIL\n"
	if got := strings.Join(failedTests(out), " "); got != "TestA TestB/sub" {
		t.Errorf("failedTests = %q", got)
	}
}

// The claim's lock clause is PostgreSQL that runs (claim.go puts it after
// its choice of deliveries).
func TestClaimLockRuns(t *testing.T) {
	db := MustOpenDB(t)
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		var ids []int64
		return sel(ctx, tx, &ids, `SELECT d.id FROM deliveries d WHERE d.status IN ('scheduled', 'retrying')
			ORDER BY d.due_at, d.id LIMIT ?`+db.d.claimLock, 10)
	})
	if err != nil {
		t.Fatalf("%s claim lock %q: %v", db.d.name, db.d.claimLock, err)
	}
}
