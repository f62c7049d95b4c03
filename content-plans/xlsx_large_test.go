package contentplans

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// largeXLSX is a workbook of n posts written with excelize's stream writer,
// dates and times as real date cells.
func largeXLSX(tb testing.TB, n int) []byte {
	tb.Helper()
	f := excelize.NewFile()
	defer f.Close()
	dateFmt, timeFmt := "yyyy-mm-dd", "hh:mm"
	dateStyle, _ := f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt})
	timeStyle, _ := f.NewStyle(&excelize.Style{CustomNumFmt: &timeFmt})
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		tb.Fatal(err)
	}
	if err := sw.SetRow("A1", []any{"key", "date", "time", "channels", "text"}); err != nil {
		tb.Fatal(err)
	}
	start := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		at := start.Add(time.Duration(i) * 2 * time.Minute)
		day := float64(at.Sub(time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)) / (24 * time.Hour))
		clock := float64(at.Hour()*60+at.Minute()) / 1440
		row := []any{fmt.Sprintf("p-%d", i), excelize.Cell{StyleID: dateStyle, Value: day},
			excelize.Cell{StyleID: timeStyle, Value: clock}, "demo", fmt.Sprintf("Post number %d of the big plan", i)}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, row); err != nil {
			tb.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		tb.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// TestXLSXLarge: a 100,000-row workbook, read as a stream, gives every post
// at its date cell's time.
func TestXLSXLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("large workbook")
	}
	const n = 100_000
	body := largeXLSX(t, n)
	_, posts, _ := mustBuild(t, xlsxUpload(body, "UTC"))
	if len(posts) != n {
		t.Fatalf("%d posts, want %d", len(posts), n)
	}
	last := posts[n-1]
	if want := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC).Add((n - 1) * 2 * time.Minute); last.Row != n+1 || !last.DueAt.Equal(want) || last.Key != fmt.Sprintf("p-%d", n-1) {
		t.Errorf("last post: row %d due %v key %s, want row %d due %v", last.Row, last.DueAt, last.Key, n+1, want)
	}
}
