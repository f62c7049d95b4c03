package storage

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/rs/zerolog"
)

// t0 is the tests' "now": a round hour, as brands schedule.
var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

var testKey = []byte("0123456789abcdef0123456789abcdef")

// Clock is the injectable test clock.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// MustOpenDB opens and migrates a database of its own for the test, closed
// when the test ends: a SQLite file in a temp directory, or in the
// PostgreSQL pass a fresh schema (see testDSN). Its clock starts at t0 (see
// clockOf).
func MustOpenDB(tb testing.TB) *DB {
	tb.Helper()
	db := mustOpenRaw(tb, filepath.Join(tb.TempDir(), "herald.db"))
	if err := db.Migrate(context.Background()); err != nil {
		tb.Fatalf("migrate: %v", err)
	}
	return db
}

// mustOpenRaw opens, without migrating, the test database path names (see
// testDSN): each call is another handle, as another process has; closed when
// the test ends.
func mustOpenRaw(tb testing.TB, path string) *DB {
	tb.Helper()
	return mustOpenDSN(tb, testDSN(tb, path), zerolog.Nop())
}

func mustOpenDSN(tb testing.TB, dsn string, log zerolog.Logger) *DB {
	tb.Helper()
	clk := &Clock{t: t0}
	db, err := Open(dsn, Options{SecretKey: testKey, Now: clk.Now, Logger: log})
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	clocks.Store(db, clk)
	dsns.Store(db, dsn)
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("close: %v", err)
		}
	})
	return db
}

var (
	clocks sync.Map // *DB → *Clock
	dsns   sync.Map // *DB → what mustOpenDSN opened
)

func clockOf(db *DB) *Clock {
	c, _ := clocks.Load(db)
	return c.(*Clock)
}

// dsnOf is what a test database was opened with, to open it again.
func dsnOf(db *DB) string {
	d, _ := dsns.Load(db)
	return d.(string)
}

var ctx = context.Background()

func mustWorkspace(tb testing.TB, db *DB, slug string) *herald.Workspace {
	tb.Helper()
	ws := &herald.Workspace{Slug: slug, Name: "Brand " + slug, Timezone: "Europe/Berlin"}
	if err := db.CreateWorkspace(ctx, ws); err != nil {
		tb.Fatalf("create workspace: %v", err)
	}
	return ws
}

func mustChannel(tb testing.TB, db *DB, wsID int64, name, platform string) *herald.Channel {
	tb.Helper()
	ch := &herald.Channel{WorkspaceID: wsID, Name: name, Platform: platform,
		Config: map[string]any{"chat_id": "@" + name}, Credentials: map[string]string{"bot_token": "123:SECRET-" + name}}
	if err := db.CreateChannel(ctx, ch); err != nil {
		tb.Fatalf("create channel: %v", err)
	}
	return ch
}

func mkPost(key string, row int, due time.Time, text string, channels ...string) herald.Post {
	return herald.Post{Key: key, Row: row, At: due.Format("2006-01-02 15:04"), DueAt: due, Channels: channels, Text: text}
}

func mustApply(tb testing.TB, db *DB, wsID int64, plan string, posts []herald.Post) *herald.PlanResult {
	tb.Helper()
	res, err := db.ApplyPlan(ctx, wsID, herald.Plan{Key: plan, Title: "Plan " + plan, Timezone: "UTC"}, posts, false)
	if err != nil {
		tb.Fatalf("apply plan: %v", err)
	}
	return res
}

func wantCode(tb testing.TB, err error, code string) {
	tb.Helper()
	if got := herald.ErrorCode(err); got != code {
		tb.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

// statusOf reads a delivery's status straight from the table.
func statusOf(tb testing.TB, db *DB, id int64) herald.DeliveryStatus {
	tb.Helper()
	var s string
	if err := get(ctx, db.w, &s, `SELECT status FROM deliveries WHERE id = ?`, id); err != nil {
		tb.Fatalf("status of %d: %v", id, err)
	}
	return herald.DeliveryStatus(s)
}

// deliveryIDs returns the workspace's delivery ids by (post key, channel name).
func deliveryIDs(tb testing.TB, db *DB, wsID int64) map[[2]string]int64 {
	tb.Helper()
	var rows []struct {
		ID      int64  `db:"id"`
		Key     string `db:"key"`
		Channel string `db:"name"`
	}
	if err := sel(ctx, db.w, &rows, `SELECT d.id, p.key, c.name FROM deliveries d JOIN posts p ON p.id = d.post_id
		JOIN channels c ON c.id = d.channel_id WHERE d.workspace_id = ?`, wsID); err != nil {
		tb.Fatal(err)
	}
	out := map[[2]string]int64{}
	for _, r := range rows {
		out[[2]string{r.Key, r.Channel}] = r.ID
	}
	return out
}

// publish claims and completes, as published, every job ClaimDue gives at now.
func publish(tb testing.TB, db *DB, now time.Time) []herald.Job {
	tb.Helper()
	jobs, err := db.ClaimDue(ctx, "w1", now, time.Minute, 100)
	if err != nil {
		tb.Fatal(err)
	}
	for _, j := range jobs {
		res := herald.Result{Outcome: herald.OutcomePublished, RemoteID: "r" + j.Delivery.PostKey, URL: "https://x/" + j.Delivery.PostKey}
		if err := db.Complete(ctx, "w1", j, res, now, time.Time{}); err != nil {
			tb.Fatal(err)
		}
	}
	return jobs
}

func TestCloseTwice(t *testing.T) {
	db := MustOpenDB(t)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
