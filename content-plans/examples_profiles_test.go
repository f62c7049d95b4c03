package contentplans

import (
	"bytes"
	"encoding/csv"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/xuri/excelize/v2"
)

// exampleChannels are the channels the profile examples are applied to,
// with weekly slots for the rows that take the next free one.
func exampleChannels() map[string]*herald.Channel {
	slots := []herald.Slot{{Day: "mon", Time: "10:00"}, {Day: "wed", Time: "12:00"}, {Day: "fri", Time: "18:00"}}
	return map[string]*herald.Channel{
		"tg-main":  {Name: "tg-main", Platform: "telegram", Config: map[string]any{"parse_mode": "HTML"}, Slots: slots},
		"vk-group": {Name: "vk-group", Platform: "vk", Config: map[string]any{"owner_id": float64(-1)}, Slots: slots},
		"masto":    {Name: "masto", Platform: "mastodon", Config: map[string]any{}, Slots: slots},
		"demo":     {Name: "demo", Platform: "outbox", Slots: slots},
	}
}

func exampleUpload(t *testing.T, format, file string) herald.PlanUpload {
	t.Helper()
	b, err := os.ReadFile("examples/" + file)
	if err != nil {
		t.Fatal(err)
	}
	return herald.PlanUpload{Key: strings.TrimSuffix(file, "."+format), Body: b, Format: format,
		Timezone: "Europe/Moscow", Channels: exampleChannels(), Now: testNow}
}

// TestExampleXLSX: the XLSX month (real date and time cells) holds the same
// posts as the CSV one. HERALD_WRITE_EXAMPLES=1 writes it again from the CSV.
func TestExampleXLSX(t *testing.T) {
	if os.Getenv("HERALD_WRITE_EXAMPLES") != "" {
		writeExampleXLSX(t, "examples/december.csv", "examples/december.xlsx")
	}
	_, fromCSV, _ := mustBuild(t, exampleUpload(t, "csv", "december.csv"))
	_, fromXLSX, warnings := mustBuild(t, exampleUpload(t, "xlsx", "december.xlsx"))
	if len(warnings) != 0 {
		t.Errorf("warnings: %s", problemList(warnings))
	}
	if len(fromXLSX) != len(fromCSV) || len(fromXLSX) == 0 {
		t.Fatalf("xlsx has %d posts, csv %d", len(fromXLSX), len(fromCSV))
	}
	for i := range fromCSV {
		c, x := fromCSV[i], fromXLSX[i]
		if c.Key != x.Key || c.Hash() != x.Hash() || x.Row != i+2 {
			t.Errorf("post %d differs (regenerate with HERALD_WRITE_EXAMPLES=1):\ncsv  %+v\nxlsx %+v", i, c, x)
		}
	}
	// The sheet holds real date cells, not text.
	f, err := excelize.OpenFile("examples/december.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheet := f.GetSheetList()[0]
	if typ, _ := f.GetCellType(sheet, "B2"); typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
		t.Errorf("B2 is a %v cell, want a date cell", typ)
	}
	if raw, _ := f.GetCellValue(sheet, "B2", excelize.Options{RawCellValue: true}); raw != "73020" {
		t.Errorf("B2 raw value %q, want the serial of 2099-12-01", raw)
	}
}

// writeExampleXLSX writes the CSV plan as a workbook a person would keep:
// dates and times as real date and time cells, the rest as text.
func writeExampleXLSX(t *testing.T, from, to string) {
	rd := csv.NewReader(bytes.NewReader(trimBOM([]byte(readFile(t, from)))))
	recs, err := rd.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	f := excelize.NewFile()
	defer f.Close()
	const name = "December"
	if err := f.SetSheetName("Sheet1", name); err != nil {
		t.Fatal(err)
	}
	dateFmt, timeFmt := "dd.mm.yyyy", "hh:mm"
	dateStyle, _ := f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt, Alignment: &excelize.Alignment{Vertical: "top"}})
	timeStyle, _ := f.NewStyle(&excelize.Style{CustomNumFmt: &timeFmt, Alignment: &excelize.Alignment{Vertical: "top"}})
	textStyle, _ := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	headStyle, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	for r, rec := range recs {
		for c, v := range rec {
			cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
			var val any = v
			style := textStyle
			if r == 0 {
				style = headStyle
			} else if d, err := readDate(v, ""); err == nil && recs[0][c] == "date" {
				val, style = d.t, dateStyle
			} else if clock, ok := readClock(v); ok && recs[0][c] == "time" {
				val, style = clock.Hours()/24, timeStyle
			}
			if err := f.SetCellValue(name, cell, val); err != nil {
				t.Fatal(err)
			}
			if err := f.SetCellStyle(name, cell, cell, style); err != nil {
				t.Fatal(err)
			}
		}
	}
	for col, width := range map[string]float64{"A": 24, "B": 12, "C": 8, "D": 30, "E": 60, "F": 50, "G": 50, "H": 40, "I": 40, "J": 12, "K": 20} {
		_ = f.SetColWidth(name, col, col, width)
	}
	_ = f.SetPanes(name, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
	if err := f.SaveAs(to); err != nil {
		t.Fatal(err)
	}
}

// TestExampleHootsuite: the Hootsuite bulk file (day first) applies to the
// channels named by ?channels=, with or without ?date_order=dmy (its 15th
// and later days settle the order).
func TestExampleHootsuite(t *testing.T) {
	for _, order := range []string{"dmy", ""} {
		up := exampleUpload(t, "csv", "hootsuite.csv")
		up.Profile, up.DateOrder, up.DefaultChannels = "", order, []string{"tg-main", "masto", "demo"}
		_, posts, _ := mustBuild(t, up)
		if len(posts) != 10 {
			t.Fatalf("date_order %q: %d posts", order, len(posts))
		}
		for i, p := range posts {
			if p.Row != i+1 || p.DueAt.Month() != time.December || !p.KeyDerived || len(p.Channels) != 3 {
				t.Errorf("post %d: %+v", i, p)
			}
		}
		// Moscow is UTC+3: the first row is 01/12/2099 09:30.
		if want := time.Date(2099, 12, 1, 6, 30, 0, 0, time.UTC); !posts[0].DueAt.Equal(want) {
			t.Errorf("first post due %v, want %v", posts[0].DueAt, want)
		}
	}
}

// TestExamplePubler: the Publer file applies; its blank dates become
// next-slot rows, as "next" does in Herald's own layout.
func TestExamplePubler(t *testing.T) {
	up := exampleUpload(t, "csv", "publer.csv")
	up.DefaultChannels = []string{"tg-main", "masto", "demo"}
	_, posts, _ := mustBuild(t, up)
	if len(posts) != 10 {
		t.Fatalf("%d posts", len(posts))
	}
	next := 0
	for i, p := range posts {
		if p.Row != i+2 || len(p.Tags) == 0 {
			t.Errorf("post %d: %+v", i, p)
		}
		if isNextSlot(p) {
			next++
		} else if p.DueAt.Month() != time.December {
			t.Errorf("post %d due %v", i, p.DueAt)
		}
	}
	if next < 2 || next > 5 {
		t.Errorf("%d next-slot rows", next)
	}
}
