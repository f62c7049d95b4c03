package contentplans

import (
	"testing"
	"time"
)

// TestExamples parses the example plans against the channels they are
// written for; the JSON and CSV forms of December describe the same posts.
func TestExamples(t *testing.T) {
	_, fromJSON, warnJSON := mustBuild(t, upload("json", readFile(t, "examples/december.json"), "UTC"))
	_, fromCSV, warnCSV := mustBuild(t, upload("csv", readFile(t, "examples/december.csv"), "Europe/Moscow"))
	if len(warnJSON)+len(warnCSV) != 0 {
		t.Errorf("warnings: %v %v", warnJSON, warnCSV)
	}
	if len(fromJSON) < 18 || len(fromJSON) != len(fromCSV) {
		t.Fatalf("json has %d posts, csv %d", len(fromJSON), len(fromCSV))
	}
	for i := range fromJSON {
		j, c := fromJSON[i], fromCSV[i]
		if j.Key != c.Key || j.Hash() != c.Hash() {
			t.Errorf("post %d differs:\njson %+v\ncsv  %+v", i, j, c)
		}
		if j.KeyDerived || j.DueAt.Month() != time.December || j.DueAt.Location() != time.UTC {
			t.Errorf("post %s: derived %v, due %v", j.Key, j.KeyDerived, j.DueAt)
		}
	}
	// Moscow is UTC+3 all year.
	if got, want := fromJSON[0].DueAt, time.Date(2099, 12, 1, 7, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("first post due %v, want %v", got, want)
	}
	if fromCSV[0].Row != 2 || fromCSV[1].Row <= 2 || fromJSON[1].Row != 2 {
		t.Errorf("rows: csv %d, %d; json %d", fromCSV[0].Row, fromCSV[1].Row, fromJSON[1].Row)
	}
}

// The demo plan takes the demo channel's next free slots, so it stays valid
// whatever the date.
func TestDemoExample(t *testing.T) {
	up := upload("json", readFile(t, "examples/demo.json"), "UTC")
	up.Channels = exampleChannels()
	plan, posts, _ := mustBuild(t, up)
	if plan.Timezone != "Europe/Moscow" || plan.Key != "2026-12" || len(posts) != 3 {
		t.Fatalf("plan %+v with %d posts", plan, len(posts))
	}
	for _, p := range posts {
		if len(p.Channels) != 1 || p.Channels[0] != "demo" || !p.NextSlot || !p.DueAt.IsZero() {
			t.Errorf("post %s: channels %v, due %v", p.Key, p.Channels, p.DueAt)
		}
	}
}
