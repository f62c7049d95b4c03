package contentplans

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
	"golang.org/x/text/encoding/charmap"
	xunicode "golang.org/x/text/encoding/unicode"
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// csvUpload is a CSV upload of body in encoding enc ("" detects it).
func csvUpload(body []byte, enc string) herald.PlanUpload {
	up := upload("csv", "", "Europe/Moscow")
	up.Body, up.Encoding = body, enc
	return up
}

// samePosts fails unless got has the keys, rows, instants, texts and tags of want.
func samePosts(t *testing.T, got, want []herald.Post) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d posts, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Key != w.Key || g.Row != w.Row || !g.DueAt.Equal(w.DueAt) || g.Text != w.Text || strings.Join(g.Tags, "|") != strings.Join(w.Tags, "|") {
			t.Errorf("post %d:\n got  %+v\n want %+v", i, g, w)
		}
	}
}

func findWarning(ws []herald.Problem, code string) (herald.Problem, bool) {
	for _, w := range ws {
		if w.Code == code {
			return w, true
		}
	}
	return herald.Problem{}, false
}

// TestCSVWindows1251Detected: testdata/cp1251.csv, made from
// cp1251-source.csv with iconv as Russian Excel saves "CSV (comma
// delimited)", reads as the UTF-8 file does, with a warning saying how.
func TestCSVWindows1251Detected(t *testing.T) {
	_, want, _ := mustBuild(t, csvUpload(readTestdata(t, "cp1251-source.csv"), ""))
	_, got, warnings := mustBuild(t, csvUpload(readTestdata(t, "cp1251.csv"), ""))
	samePosts(t, got, want)
	if got[0].Text != "Доброе утро! Кофе дня — «Эфиопия Иргачефф», №1 в декабре." || got[1].Text != "Ёлка в кофейне: приходите всей семьёй.\nГорячий шоколад — в подарок детям." {
		t.Errorf("texts %q, %q", got[0].Text, got[1].Text)
	}
	w, ok := findWarning(warnings, "encoding_detected")
	if !ok || w.Row != 0 || !strings.Contains(w.Message, "Windows-1251") || !strings.Contains(w.Message, "CSV UTF-8") || !strings.Contains(w.Message, "charset=windows-1251") {
		t.Errorf("warnings: %s", problemList(warnings))
	}
}

// TestCSVEncodingNamed: an encoding the client names is used, with no
// guess and no warning; a named encoding the file is not in is a problem.
func TestCSVEncodingNamed(t *testing.T) {
	source := readTestdata(t, "cp1251-source.csv")
	_, want, _ := mustBuild(t, csvUpload(source, ""))
	// KOI8-R has no «», — or №.
	plain := []byte(strings.NewReplacer("«", "", "»", "", "—", "-", "№", "N").Replace(string(source)))
	_, wantPlain, _ := mustBuild(t, csvUpload(plain, ""))
	koi8, err := charmap.KOI8R.NewEncoder().Bytes(plain)
	if err != nil {
		t.Fatal(err)
	}
	utf16, err := xunicode.UTF16(xunicode.LittleEndian, xunicode.UseBOM).NewEncoder().Bytes(source)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, enc string
		body      []byte
		want      []herald.Post
	}{
		{"windows-1251", "windows-1251", readTestdata(t, "cp1251.csv"), want},
		{"cp1251", "CP1251", readTestdata(t, "cp1251.csv"), want},
		{"koi8-r", "koi8-r", koi8, wantPlain},
		{"utf-8", "utf-8", source, want},
		{"UTF-16 with a BOM, detected (Excel's Unicode Text)", "", utf16, want},
	} {
		_, got, warnings := mustBuild(t, csvUpload(c.body, c.enc))
		samePosts(t, got, c.want)
		if len(warnings) != 0 {
			t.Errorf("%s: warnings %s", c.name, problemList(warnings))
		}
	}

	// KOI8-R is never taken for Windows-1251: unnamed, it is a problem.
	ps := mustFail(t, csvUpload(koi8, ""))
	if p, ok := findProblem(ps, 0, "invalid_encoding"); !ok || !strings.Contains(p.Message, "koi8-r") {
		t.Errorf("koi8-r unnamed: %s", problemList(ps))
	}
	// Sent as UTF-8, a Windows-1251 file is not guessed at, but the answer says what it is.
	ps = mustFail(t, csvUpload(readTestdata(t, "cp1251.csv"), "utf-8"))
	if p, ok := findProblem(ps, 0, "invalid_encoding"); !ok || !strings.Contains(p.Message, "?encoding=windows-1251") {
		t.Errorf("cp1251 sent as utf-8: %s", problemList(ps))
	}
	// A UTF-8 file read as Windows-1251 as asked gets a warning, or a
	// problem when it has a byte that is no character there (И is D0 98).
	_, _, warnings := mustBuild(t, csvUpload([]byte(csvHeader+"a,2026-12-01,10:00,demo,Кофе дня\n"), "windows-1251"))
	if _, ok := findWarning(warnings, "encoding_mismatch"); !ok {
		t.Errorf("utf-8 sent as windows-1251: %s", problemList(warnings))
	}
	ps = mustFail(t, csvUpload(source, "windows-1251"))
	if p, ok := findProblem(ps, 0, "invalid_encoding"); !ok || !strings.Contains(p.Message, "it is UTF-8") {
		t.Errorf("utf-8 with 0x98 sent as windows-1251: %s", problemList(ps))
	}
	// Byte 0x98 is no character in Windows-1251.
	ps = mustFail(t, csvUpload([]byte("key,date,time,channels,text\na,2026-12-01,10:00,demo,\x98\n"), "windows-1251"))
	if _, ok := findProblem(ps, 0, "invalid_encoding"); !ok {
		t.Errorf("0x98: %s", problemList(ps))
	}
}

// TestCSVNotReadable: a file that is not UTF-8 and does not read as
// Cyrillic is one problem telling how to save it as CSV UTF-8, besides the
// cells that hold the bad bytes.
func TestCSVNotReadable(t *testing.T) {
	western, _ := charmap.Windows1252.NewEncoder().String("key,date,time,channels,text\na,2026-12-01,10:00,demo,Café crème für Grüße\n")
	for _, c := range []struct {
		name, body string
		badRow     int // the row of the cell with bad bytes
	}{
		{"Windows-1252", western, 2},
		{"UTF-8 with a bad byte", readFile(t, "testdata/cp1251-source.csv") + "dec-04,2026-12-04,10:00,demo,\xff\n", 5},
	} {
		ps := mustFail(t, csvUpload([]byte(c.body), ""))
		p, ok := findProblem(ps, 0, "invalid_encoding")
		if !ok || !strings.Contains(p.Message, `"CSV UTF-8 (Comma delimited) (*.csv)"`) || !strings.Contains(p.Message, "LibreOffice") || !strings.Contains(p.Message, "?encoding=") {
			t.Errorf("%s: %s", c.name, problemList(ps))
		}
		if _, ok := findProblem(ps, c.badRow, "invalid_utf8"); !ok {
			t.Errorf("%s: no invalid_utf8 on row %d: %s", c.name, c.badRow, problemList(ps))
		}
	}
}

// TestEncodingOptions: an unknown encoding, or one other than UTF-8 for a
// file that is not CSV, is a bad request.
func TestEncodingOptions(t *testing.T) {
	book := makeXLSX(t, sheet{name: "Plan", rows: [][]any{xlsxHeader}})
	for _, c := range []struct{ format, enc string }{{"csv", "klingon"}, {"csv", "replacement"}, {"json", "windows-1251"}, {"xlsx", "koi8-r"}} {
		up := upload(c.format, "{}", "UTC")
		if c.format == "xlsx" {
			up.Body = book
		}
		up.Encoding = c.enc
		var he *herald.Error
		if _, _, _, err := Build(up); !errors.As(err, &he) || he.Code != herald.EINVALID {
			t.Errorf("%s as %s: %v, want EINVALID", c.format, c.enc, err)
		}
	}
	up := upload("json", `{"timezone":"UTC","posts":[]}`, "UTC")
	up.Encoding = "UTF-8"
	mustBuild(t, up)
}

// TestReadableCyrillic: Cyrillic text reads; other encodings read as
// Windows-1251 do not.
func TestReadableCyrillic(t *testing.T) {
	const text = "Доброе утро! Кофе дня — «Эфиопия», СКИДКА 20% на зерно, ВКонтакте"
	cp1251, _ := charmap.Windows1251.NewEncoder().String(text)
	koi8, _ := charmap.KOI8R.NewEncoder().String(text)
	latin, _ := charmap.Windows1252.NewEncoder().String("Café crème, Grüße aus München")
	for name, c := range map[string]struct {
		body string
		want bool
	}{
		"windows-1251": {cp1251, true},
		"utf-8":        {text, false},
		"koi8-r":       {koi8, false},
		"windows-1252": {latin, false},
		"one letter":   {"key,\xff", false},
	} {
		dec, _ := charmap.Windows1251.NewDecoder().String(c.body)
		if got := readableCyrillic([]byte(dec)); got != c.want {
			t.Errorf("%s read as Windows-1251 (%q): readable %v, want %v", name, dec, got, c.want)
		}
	}
}
