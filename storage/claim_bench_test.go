package storage

import (
	"fmt"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// BenchmarkClaimHistory: the cost of one claim round as history grows. 100
// channels each have 10 deliveries due now; the database also holds
// `history` published deliveries on the same channels (a year of an
// agency's posts). One op is one claim round (limit 100: every channel's
// head) and its release, so every op claims the same heads again. The cost
// must follow what is due, not what was published: 10,000 vs 1,000,000 stored
// deliveries within 1.5×.
//
//	go test -run '^$' -bench ClaimHistory -benchtime 200x ./storage/
func BenchmarkClaimHistory(b *testing.B) {
	for _, history := range []int{10_000, 1_000_000} {
		b.Run(fmt.Sprintf("history=%d", history), func(b *testing.B) {
			db := MustOpenDB(b)
			ws := mustWorkspace(b, db, "bench")
			names := make([]string, 100)
			for i := range names {
				names[i] = fmt.Sprintf("ch%03d", i)
				mustChannel(b, db, ws.ID, names[i], "outbox")
			}
			posts := make([]herald.Post, 0, 1000)
			for i := range 1000 {
				posts = append(posts, mkPost(fmt.Sprintf("due-%04d", i), i+2, t0, "due", names[i%100]))
			}
			mustApply(b, db, ws.ID, "due", posts)
			fillHistory(b, db, ws.ID, history)
			b.ResetTimer()
			for range b.N {
				jobs, err := db.ClaimDue(ctx, "w", t0, time.Minute, 100)
				if err != nil || len(jobs) != 100 {
					b.Fatalf("claimed %d: %v", len(jobs), err)
				}
				b.StopTimer()
				ids := make([]int64, len(jobs))
				for i, j := range jobs {
					ids[i] = j.Delivery.ID
				}
				if err := db.Release(ctx, "w", ids); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}

// fillHistory stores n published deliveries (one post each, due over the
// past year) on the workspace's channels, in one statement per table.
func fillHistory(b *testing.B, db *DB, wsID int64, n int) {
	b.Helper()
	var planID int64
	if err := get(ctx, db.w, &planID, `SELECT id FROM plans WHERE workspace_id = ? AND key = 'due'`, wsID); err != nil {
		b.Fatal(err)
	}
	since := t0.Add(-365 * 24 * time.Hour).UnixMilli()
	step := (365 * 24 * time.Hour).Milliseconds() / int64(n)
	if _, err := exec(ctx, db.w, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < CAST(? AS INTEGER))
		INSERT INTO posts (workspace_id, plan_id, key, row_num, due_at, hash, removed, created_at, updated_at)
		SELECT CAST(? AS BIGINT), CAST(? AS BIGINT), 'old-' || i, i, CAST(? AS BIGINT) + i * CAST(? AS BIGINT), 'h', 1, 0, 0 FROM n`, n, wsID, planID, since, step); err != nil {
		b.Fatal(err)
	}
	if _, err := exec(ctx, db.w, `INSERT INTO deliveries (workspace_id, post_id, channel_id, status, due_at, next_attempt_at, attempts,
		published_at, created_at, updated_at)
		SELECT p.workspace_id, p.id, (SELECT MIN(id) FROM channels) + p.row_num % 100, 'published', p.due_at, p.due_at, 1, p.due_at, 0, 0
		FROM posts p WHERE p.plan_id = ? AND p.key LIKE 'old-%'`, planID); err != nil {
		b.Fatal(err)
	}
}
