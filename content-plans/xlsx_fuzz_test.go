package contentplans

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzBuildXLSX: any bytes as an XLSX plan never panic or hang; the answer
// is valid posts, an EVALIDATION error listing at least one problem, or
// EUNSUPPORTED. The seed corpus (testdata/fuzz/FuzzBuildXLSX) holds the
// workbooks of xlsxSeeds; HERALD_WRITE_FUZZ_SEEDS=1 go test -run
// TestWriteXLSXSeeds writes it again.
func FuzzBuildXLSX(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte, profile uint8) {
		up := fuzzUpload("xlsx", body)
		up.DefaultChannels = []string{"demo"}
		up.Profile = []string{"", ProfileHerald, ProfileHootsuite, ProfilePubler}[profile%4]
		checkBuild(t, up)
	})
}

// xlsxSeeds are the fuzz seed workbooks: each profile, date cells, text
// cells, formulas, and a truncated file.
func xlsxSeeds(tb testing.TB) map[string][]byte {
	plan := makeXLSX(tb, sheet{name: "Plan", rows: [][]any{
		{"key", "date", "time", "channels", "text", "text:mastodon", "media", "tags"},
		{"a", dateCell(day(1)), timeCell(10 * time.Hour), "demo, masto", "Привет", "hi", "https://example.com/1.jpg", "x; y"},
		nil,
		{"b", "2026-12-02", "11:00", "tg-raw", "text cells"},
	}})
	seeds := map[string][]byte{
		"herald": plan,
		"hootsuite": makeXLSX(tb, sheet{name: "Bulk", rows: [][]any{
			{dateTimeCell(day(3, 10, 0)), "From a date cell", "https://example.com/x"},
			{"25/12/2026 11:00", "From a text cell"},
		}}),
		"publer": makeXLSX(tb, sheet{name: "Publer", rows: [][]any{
			{"Date", "Text", "Link(s)", "Media URL(s)", "Labels"},
			{"2026-12-01 10:00", "First", "https://example.com/a", "", "launch"},
			{"", "Next slot", "", "", ""},
		}}),
		"formulas": rawXLSX(tb, inlineRow(1, "key", "date", "time", "channels", "text")+
			`<row r="2"><c r="A2" t="str"><f>"k"</f><v>k</v></c><c r="B2"><f>DATE(2026,12,1)</f><v>46357</v></c>`+
			`<c r="C2"><v>0.5</v></c><c r="D2" t="inlineStr"><is><t>demo</t></is></c><c r="E2" t="str"><f>"t"</f><v>t</v></c></row>`),
	}
	seeds["truncated"] = plan[:len(plan)/2]
	return seeds
}

// TestWriteXLSXSeeds rewrites the committed seed corpus of FuzzBuildXLSX
// when HERALD_WRITE_FUZZ_SEEDS is set.
func TestWriteXLSXSeeds(t *testing.T) {
	if os.Getenv("HERALD_WRITE_FUZZ_SEEDS") == "" {
		t.Skip("set HERALD_WRITE_FUZZ_SEEDS=1 to rewrite testdata/fuzz/FuzzBuildXLSX")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzBuildXLSX")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range xlsxSeeds(t) {
		// Profile 0: detected from the file.
		entry := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\nuint8(0)\n", body)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(entry), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
