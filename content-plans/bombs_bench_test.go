package contentplans

import (
	"bytes"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// peakHeapBound is the most memory a single upload may take to refuse.
const peakHeapBound = 300 << 20

// peakHeap runs f and returns the highest heap in use (live objects and
// unswept garbage) sampled every millisecond while it ran, above the heap
// before it.
func peakHeap(f func()) uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	base := read()
	var peak uint64
	var mu sync.Mutex
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // owned by peakHeap: ends when f has
		defer wg.Done()
		for {
			v := read()
			mu.Lock()
			peak = max(peak, v)
			mu.Unlock()
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	f()
	close(done)
	wg.Wait()
	peak = max(peak, read())
	return peak - min(base, peak)
}

// BenchmarkUploadBombs builds the worst uploads within the 20 MB body
// limit and reports the peak heap of refusing each (or, code "", of
// building the largest workbook within the bounds); it fails when one
// passes peakHeapBound or is not refused.
func BenchmarkUploadBombs(b *testing.B) {
	huge := strings.Repeat("x", 19<<20)
	cases := []struct {
		name string
		up   func() herald.PlanUpload
		code string
	}{
		{"xlsx-shared-string-15MB-200rows", func() herald.PlanUpload {
			return xlsxUpload(xlsxWithStrings(b, []string{"<t>" + strings.Repeat("x", 15<<20) + "</t>"}, sharedRows(200, 2)), "UTC")
		}, "too_large"},
		{"xlsx-shared-string-runs-15MB-2000x2", func() herald.PlanUpload {
			return xlsxUpload(xlsxWithStrings(b, []string{strings.Repeat("<r><t>"+strings.Repeat("x", 1<<20)+"</t></r>", 15)}, sharedRows(2000, 2)), "UTC")
		}, "too_long"},
		{"xlsx-shared-string-99999-chars-everywhere", func() herald.PlanUpload {
			return xlsxUpload(xlsxWithStrings(b, []string{"<t>" + strings.Repeat("x", maxCellChars-1) + "</t>"}, sharedRows(10_000, 100)), "UTC")
		}, "too_large"},
		{"xlsx-127MB-of-shared-text-within-bounds", func() herald.PlanUpload {
			return xlsxUpload(xlsxWithStrings(b, []string{"<t>" + strings.Repeat("x", maxCellChars-1) + "</t>"}, sharedRows(650, 2)), "UTC")
		}, ""},
		{"xlsx-inline-string-repeated", func() herald.PlanUpload {
			return xlsxUpload(xlsxWithStrings(b, nil, func(w *bytes.Buffer) {
				w.WriteString(bombHeader)
				cell := strings.Repeat("x", maxCellChars-1)
				for r := 2; r < 2000; r++ {
					w.WriteString(inlineRow(r, "", "next", "demo", cell, cell))
				}
			}), "UTC")
		}, "too_large"},
		{"csv-one-19MB-cell", func() herald.PlanUpload {
			return upload("csv", "key,at,channels,text\na,next,demo,"+huge+"\n", "UTC")
		}, "too_long"},
		{"csv-19MB-of-commas", func() herald.PlanUpload {
			return upload("csv", "key,at,channels,text\n"+strings.Repeat(",", 19<<20), "UTC")
		}, "too_large"},
		{"csv-19MB-of-rows", func() herald.PlanUpload {
			return upload("csv", "key,at,channels,text\n"+strings.Repeat("a\n", 19<<19), "UTC")
		}, "too_large"},
		{"json-one-19MB-text", func() herald.PlanUpload {
			return upload("json", `{"timezone":"UTC","posts":[{"key":"a","at":"next","channels":["demo"],"text":"`+huge+`"}]}`, "UTC")
		}, "too_long"},
		{"json-6M-empty-posts", func() herald.PlanUpload {
			return upload("json", `{"timezone":"UTC","posts":[`+strings.Repeat(`{},`, 19<<20/3)+`{}]}`, "UTC")
		}, "too_large"},
		{"ods-long-cell-repeated", func() herald.PlanUpload {
			long := strings.Repeat("x", maxCellChars)
			rows := strings.Replace(odsRow("", "2026-12-01", "10:00", "demo", long), `<table:table-row table:style-name="ro1">`, `<table:table-row table:number-rows-repeated="100000">`, 1)
			return odsUpload(makeODS(b, odsTable{"Plan", odsHeader + rows}), "UTC")
		}, "too_large"},
		{"ods-cell-19MB", func() herald.PlanUpload {
			return odsUpload(makeODS(b, odsTable{"Plan", odsHeader + odsRow("a", "2026-12-01", "10:00", "demo", odsText("<text:p>"+strings.Repeat("x<text:s/>", 19<<20/10)+"</text:p>"))}), "UTC")
		}, "too_long"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			up := c.up()
			b.ReportMetric(float64(len(up.Body))/(1<<20), "upload-MB")
			var peak uint64
			for b.Loop() {
				var err error
				peak = max(peak, peakHeap(func() { _, _, _, err = Build(up) }))
				ps := herald.ErrorDetails(err)
				if _, ok := findAnyProblem(ps, c.code); !ok && c.code != "" {
					b.Fatalf("not refused with %s:\n%s", c.code, problemList(ps))
				}
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-MB")
			if peak > peakHeapBound {
				b.Fatalf("peak heap %d MB, more than %d MB", peak>>20, peakHeapBound>>20)
			}
		})
	}
}

// findAnyProblem returns the first problem with code, on any row.
func findAnyProblem(ps []herald.Problem, code string) (herald.Problem, bool) {
	for _, p := range ps {
		if p.Code == code {
			return p, true
		}
	}
	return herald.Problem{}, false
}
