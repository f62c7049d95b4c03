package api

import (
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

func TestCSVCellEscapesFormulas(t *testing.T) {
	cases := map[string]string{
		"=cmd|' /C calc'!A0": "'=cmd|' /C calc'!A0",
		"+1":                 "'+1",
		"-2+3":               "'-2+3",
		"@SUM(A1)":           "'@SUM(A1)",
		"\tx":                "'\tx",
		"\rx":                "'\rx",
		"plain":              "plain",
		"a=b":                "a=b",
		"":                   "",
		"2026-12-01":         "2026-12-01",
	}
	for in, want := range cases {
		if got := csvCell(in); got != want {
			t.Errorf("csvCell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestReportCSVEscapesEveryCell(t *testing.T) {
	pub := time.Date(2026, 12, 1, 7, 0, 5, 0, time.UTC)
	b, err := reportCSV([]herald.ReportRow{{
		Key: "=key", Row: 2, Channel: "tg", Platform: "telegram", DueAt: time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC),
		Status: herald.StatusFailed, RemoteID: "@id", URL: "+url", PublishedAt: &pub, Attempts: 3, Error: "-oops, \"quoted\"",
		Text: "=IMPORTXML(\"http://evil\")\nline two", Rubric: "@tips",
		Approval: herald.Approval{State: "rejected", Step: "client", Decisions: []herald.Decision{{Note: "=1+1, no"}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := "key,row,channel,platform,due_at,status,remote_id,url,published_at,attempts,error,text,rubric,approval,approval_step,approval_note\n" +
		"'=key,2,tg,telegram,2026-12-01T07:00:00Z,failed,'@id,'+url,2026-12-01T07:00:05Z,3,\"'-oops, \"\"quoted\"\"\"," +
		"\"'=IMPORTXML(\"\"http://evil\"\")\nline two\",'@tips,rejected,client,\"'=1+1, no\"\n"
	if string(b) != want {
		t.Errorf("got\n%s\nwant\n%s", b, want)
	}
	if !strings.HasPrefix(string(b), strings.Join(reportHeader, ",")) {
		t.Error("header")
	}
}
