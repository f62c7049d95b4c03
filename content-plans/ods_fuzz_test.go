package contentplans

import (
	"archive/zip"
	"bytes"
	"io"
	"testing"
)

// FuzzBuildODS: any content.xml in an ODS zip never panics or hangs; the
// answer is valid posts or an EVALIDATION error listing its problems.
// Seeds: LibreOffice's content.xml of testdata/libreoffice.ods and
// generated sheets with repeated rows, spans and covered cells.
func FuzzBuildODS(f *testing.F) {
	if b, err := readContentXML("testdata/libreoffice.ods"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(odsContentHead + `<table:table table:name="Plan">` + odsHeader +
		`<table:table-row table:number-rows-repeated="2">` + odsRow("a", odsDateValue("2026-12-01"), odsTimeValue("PT10H00M00S"), "demo",
		odsText(`<text:p>x<text:s text:c="2"/><text:span>y</text:span></text:p><text:p/>`))[len(`<table:table-row table:style-name="ro1">`):] +
		`<table:table-row><table:covered-table-cell table:number-columns-repeated="3"/></table:table-row></table:table></office:spreadsheet></office:body></office:document-content>`))
	f.Fuzz(func(t *testing.T, content []byte) {
		up := odsUpload(zipODS(t, string(content), odsManifest), "Europe/Berlin")
		up.DefaultChannels = []string{"demo"}
		checkBuild(t, up)
	})
}

func readContentXML(path string) ([]byte, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	rc, err := zr.Open("content.xml")
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var buf bytes.Buffer
	_, err = io.Copy(&buf, rc)
	return buf.Bytes(), err
}
