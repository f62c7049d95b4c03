package storage_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	contentplans "github.com/heraldhq/herald/content-plans"
	"github.com/heraldhq/herald/storage"
)

// A plan file with "next" rows goes through contentplans.Build and
// storage.ApplyPlan on a SQLite file: each delivery is due at its channel's
// slot, in the channel's zone, not before the plan's start; re-applying the
// file moves nothing.
func TestSlotsEndToEnd(t *testing.T) {
	ctx := context.Background()
	db := storage.MustOpenDB(t) // its clock: 2026-12-01 10:00 UTC, a Tuesday
	ws := &herald.Workspace{Slug: "acme", Name: "Acme", Timezone: "America/New_York"}
	if err := db.CreateWorkspace(ctx, ws); err != nil {
		t.Fatal(err)
	}
	for _, ch := range []*herald.Channel{
		{WorkspaceID: ws.ID, Name: "tg", Platform: "telegram", Timezone: "Europe/Berlin",
			Slots: []herald.Slot{{Day: "mon", Time: "10:00"}, {Day: "thu", Time: "18:00"}}},
		{WorkspaceID: ws.ID, Name: "masto", Platform: "mastodon", Slots: []herald.Slot{{Day: "tue", Time: "09:00"}}},
		{WorkspaceID: ws.ID, Name: "bare", Platform: "outbox"},
	} {
		if err := db.CreateChannel(ctx, ch); err != nil {
			t.Fatal(err)
		}
	}
	chs, err := db.ListChannels(ctx, ws.ID)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*herald.Channel{}
	for _, ch := range chs {
		byName[ch.Name] = ch
	}
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	apply := func(key, format, body string) (*herald.PlanResult, error) {
		plan, posts, _, err := contentplans.Build(herald.PlanUpload{Key: key, Body: []byte(body), Format: format,
			Timezone: ws.Timezone, Channels: byName, Now: now})
		if err != nil {
			return nil, err
		}
		return db.ApplyPlan(ctx, ws.ID, plan, posts, false)
	}
	report := func(key string) string {
		rows, err := db.PlanReport(ctx, ws.ID, key)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range rows {
			out = append(out, r.Key+"@"+r.Channel+"="+r.DueAt.Format("01-02T15:04"))
		}
		return strings.Join(out, " ")
	}

	const planJSON = `{"title": "December", "timezone": "Europe/Berlin", "start": "2026-12-07 00:00", "posts": [
		{"key": "fixed", "at": "2026-12-05 12:00", "channels": ["tg"], "text": "Fixed"},
		{"key": "n1", "at": "next", "channels": ["tg", "masto"], "text": "First"},
		{"key": "n2", "at": "next", "channels": ["tg"], "text": "Second"}]}`
	res, err := apply("dec", "json", planJSON)
	if err != nil {
		t.Fatalf("apply: %v %v", err, herald.ErrorDetails(err))
	}
	// start is Monday 2026-12-07 00:00 in Berlin; tg's slots are Berlin time,
	// masto's New York time (the workspace's).
	want := "fixed@tg=12-05T11:00 n1@masto=12-08T14:00 n1@tg=12-07T09:00 n2@tg=12-10T17:00"
	if got := report("dec"); got != want || res.Created != 3 {
		t.Fatalf("report %s (%+v)", got, res)
	}
	if p, err := db.Plan(ctx, ws.ID, "dec"); err != nil || p.Start == nil || !p.Start.Equal(time.Date(2026, 12, 6, 23, 0, 0, 0, time.UTC)) {
		t.Fatalf("plan %+v (%v)", p, err)
	}
	res, err = apply("dec", "json", planJSON)
	if err != nil || res.Unchanged != 3 || report("dec") != want {
		t.Fatalf("re-apply: %v %+v %s", err, res, report("dec"))
	}

	// A CSV plan: "next" in the time column; no start, so from now on, after
	// the slots the first plan holds.
	res, err = apply("csv", "csv", "key,date,time,channels,text\na,,next,tg;masto,A\nb,,next,tg,B\n")
	if err != nil {
		t.Fatalf("apply csv: %v %v", err, herald.ErrorDetails(err))
	}
	if got := report("csv"); got != "a@masto=12-01T14:00 a@tg=12-03T17:00 b@tg=12-14T09:00" {
		t.Fatalf("csv report %s", got)
	}

	// A channel without slots cannot take a "next" row: Build says so.
	_, err = apply("bad", "json", `{"posts": [{"key": "x", "at": "next", "channels": ["bare"], "text": "x"}]}`)
	if ps := herald.ErrorDetails(err); len(ps) != 1 || ps[0].Code != "no_slots" || ps[0].Row != 1 || ps[0].Column != "channels" {
		t.Fatalf("no slots: %v %+v", err, ps)
	}
}
