package storage

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	contentplans "github.com/heraldhq/herald/content-plans"
)

// benchPlanRows is the size of the plan BenchmarkApplyPlan100k applies.
const benchPlanRows = 100_000

// benchPlanCSV is a plan of n rows on one outbox channel, with fixed times
// every 5 minutes from 2027-01-01 (so 100,000 rows span 347 days), each
// with its own text.
func benchPlanCSV(n int) []byte {
	var b bytes.Buffer
	b.WriteString("key,date,time,channels,text,link,rubric\n")
	start := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		at := start.Add(time.Duration(i) * 5 * time.Minute)
		fmt.Fprintf(&b, "post-%06d,%s,%s,out,\"Post %d of the year: a new roast, a new story, \"\"quoted\"\" and all.\",https://example.com/p/%d,news\n",
			i, at.Format("2006-01-02"), at.Format("15:04"), i, i)
	}
	return b.Bytes()
}

// BenchmarkApplyPlan100k measures a 100,000-row CSV plan parsed with
// contentplans.Build and applied with ApplyPlan in one transaction on a
// SQLite file: "apply" into an empty plan (100,000 posts and deliveries
// created), "reapply" the same file again (all unchanged), "dryrun" the
// first upload as a dry run (100,000 would be created; nothing written, no
// write lock). One op is one whole upload; build-s and apply-s are the parse
// and ApplyPlan, rows/s the rows over both.
func BenchmarkApplyPlan100k(b *testing.B) {
	body := benchPlanCSV(benchPlanRows)
	up := herald.PlanUpload{Key: "year", Body: body, Format: "csv", Timezone: "UTC", Now: t0,
		Channels: map[string]*herald.Channel{"out": {Name: "out", Platform: "outbox"}}}
	run := func(b *testing.B, db *DB, wsID int64, want string, dryRun bool) (build, apply time.Duration) {
		b.Helper()
		start := time.Now()
		plan, posts, _, err := contentplans.Build(up)
		if err != nil {
			b.Fatalf("build: %v", err)
		}
		build = time.Since(start)
		start = time.Now()
		res, err := db.ApplyPlan(ctx, wsID, plan, posts, dryRun)
		if err != nil || res.DryRun != dryRun {
			b.Fatalf("apply: %v", err)
		}
		apply = time.Since(start)
		counts := map[string]int{herald.ActionCreated: res.Created, herald.ActionUnchanged: res.Unchanged}
		if counts[want] != benchPlanRows || len(res.Rows) != benchPlanRows {
			b.Fatalf("apply: %d created, %d unchanged, %d rows; want %d %s", res.Created, res.Unchanged, len(res.Rows), benchPlanRows, want)
		}
		return build, apply
	}
	report := func(b *testing.B, build, apply time.Duration) {
		n := float64(b.N)
		b.ReportMetric(build.Seconds()/n, "build-s")
		b.ReportMetric(apply.Seconds()/n, "apply-s")
		b.ReportMetric(float64(benchPlanRows)*n/(build+apply).Seconds(), "rows/s")
	}
	setup := func(b *testing.B) (*DB, int64) {
		db := MustOpenDB(b)
		ws := mustWorkspace(b, db, "bench")
		mustChannel(b, db, ws.ID, "out", "outbox")
		return db, ws.ID
	}
	b.Run("apply", func(b *testing.B) {
		var build, apply time.Duration
		for range b.N {
			b.StopTimer()
			db, wsID := setup(b)
			b.StartTimer()
			bt, at := run(b, db, wsID, herald.ActionCreated, false)
			build, apply = build+bt, apply+at
		}
		report(b, build, apply)
	})
	b.Run("reapply", func(b *testing.B) {
		b.StopTimer()
		db, wsID := setup(b)
		run(b, db, wsID, herald.ActionCreated, false)
		b.StartTimer()
		var build, apply time.Duration
		for range b.N {
			bt, at := run(b, db, wsID, herald.ActionUnchanged, false)
			build, apply = build+bt, apply+at
		}
		report(b, build, apply)
	})
	b.Run("dryrun", func(b *testing.B) {
		b.StopTimer()
		db, wsID := setup(b)
		b.StartTimer()
		var build, apply time.Duration
		for range b.N {
			bt, at := run(b, db, wsID, herald.ActionCreated, true)
			build, apply = build+bt, apply+at
		}
		report(b, build, apply)
	})
}
