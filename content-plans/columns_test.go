package contentplans

import (
	"strings"
	"testing"
)

// A real content calendar's extra columns are ignored with one warning
// naming them all, in CSV and XLSX alike; what they hold (even a formula
// error) does not matter.
func TestExtraColumnsIgnoredWithOneWarning(t *testing.T) {
	body := "Key,Status,Date,Time,Channels,Text,Notes,Responsible,text:ok\n" +
		"a,draft,2026-12-01,10:00,demo,Hello,#REF!,Anna,Привет одноклассники\n" +
		"b,approved,2026-12-02,10:00,demo,World,,Boris,\n"
	for name, up := range map[string]func() (string, []byte){
		"csv":  func() (string, []byte) { return "csv", []byte(body) },
		"xlsx": func() (string, []byte) { return "xlsx", csvToXLSX(t, body) },
	} {
		t.Run(name, func(t *testing.T) {
			format, b := up()
			u := upload(format, "", "Europe/Moscow")
			u.Body = b
			_, posts, warnings := mustBuild(t, u)
			if len(posts) != 2 || posts[0].Text != "Hello" || len(posts[0].Variants) != 0 {
				t.Fatalf("posts %+v", posts)
			}
			var ignored []string
			for _, w := range warnings {
				if w.Code == "ignored_columns" {
					ignored = append(ignored, w.Message)
					if w.Row != 1 {
						t.Errorf("warning on row %d, want the header's", w.Row)
					}
				}
			}
			want := `Herald does not read columns "Status", "Notes", "Responsible", "text:ok" (no platform "ok"); their cells are ignored`
			if len(ignored) != 1 || ignored[0] != want {
				t.Errorf("ignored_columns warnings %q, want one: %q\nall:\n%s", ignored, want, problemList(warnings))
			}
		})
	}
}

// A column named almost like one of Herald's is an error suggesting it
// (ignoring it would drop what was meant), and the column it misspells is
// not reported missing besides.
func TestNearMissColumnsSuggest(t *testing.T) {
	for _, tc := range []struct{ header, column, mention string }{
		{"key,date,time,channels,txt", "txt", `unknown column "txt": did you mean "text"?`},
		{"key,date,time,channels,tetx", "tetx", `did you mean "text"?`},
		{"key,date,time,chanels,text", "chanels", `unknown column "chanels": did you mean "channels"?`},
		{"key,data,time,channels,text", "data", `did you mean "date"?`},
		{"key,date,time,channels,text,links", "links", `did you mean "link"?`},
		{"key,date,time,channels,text,text:vkk", "text:vkk", `column "text:vkk": unknown platform "vkk"; did you mean "text:vk"?`},
		{"key,date,time,channels,text,text:mastadon", "text:mastadon", `did you mean "text:mastodon"?`},
		{"key,date,time,channels,text,text:twitter", "text:twitter", `did you mean "text:x"?`},
		{"key,date,time,channels,text,text:tg-main", "text:tg-main", `channel tg-main is on telegram; name it "text:telegram"`},
		{"key,date,time,channels,text,text_vk", "text_vk", `unknown column "text_vk": did you mean "text:vk"?`},
		{"key,date,time,channels,text,txt:telegram", "txt:telegram", `did you mean "text:telegram"?`},
	} {
		t.Run(tc.header, func(t *testing.T) {
			ps := mustFail(t, upload("csv", tc.header+"\na,2026-12-01,10:00,demo,x,y\n", "Europe/Moscow"))
			p, ok := findProblem(ps, 1, "unknown_column")
			if !ok || p.Column != tc.column || !strings.Contains(p.Message, tc.mention) {
				t.Fatalf("want unknown_column on %s mentioning %q; got:\n%s", tc.column, tc.mention, problemList(ps))
			}
			if _, ok := findProblem(ps, 1, "missing_column"); ok {
				t.Errorf("a misspelled column is also reported missing:\n%s", problemList(ps))
			}
		})
	}
	// The column is there already: a near name is another column, ignored.
	_, _, warnings := mustBuild(t, upload("csv", "key,date,time,channels,text,texts,text:vk,text:vkk\na,2026-12-01,10:00,vk-group,x,y,z,w\n", "Europe/Moscow"))
	if w, ok := findProblem(warnings, 1, "ignored_columns"); !ok || !strings.Contains(w.Message, `"texts", "text:vkk" (no platform "vkk", and text:vk is there)`) {
		t.Errorf("warnings:\n%s", problemList(warnings))
	}
}

// JSON: fields Herald does not read are ignored with one warning naming
// them and the posts that have them; a near miss is an error suggesting the
// field.
func TestJSONUnknownFields(t *testing.T) {
	post := func(extra string) string {
		return `{"key": "k", "at": "2026-12-01 10:00", "channels": ["demo"], "text": "x"` + extra + `}`
	}
	body := `{"timezone": "Europe/Moscow", "author": "Anna", "posts": [` +
		post(`, "status": "draft", "notes": "n"`) + "," + strings.NewReplacer(`"k"`, `"k2"`, "10:00", "12:00", `"x"`, `"z"`).Replace(post(`, "status": "ok", "variants": {"ok": {"text": "y"}}`)) + `]}`
	_, posts, warnings := mustBuild(t, upload("json", body, ""))
	want := `Herald does not read fields "author" (in the plan), "notes" (post 1), "status" (posts 1, 2), "variants.ok" (post 2); ignored`
	if len(posts) != 2 || len(warnings) != 1 || warnings[0].Code != "ignored_fields" || warnings[0].Message != want {
		t.Errorf("posts %d, warnings:\n%s\nwant %q", len(posts), problemList(warnings), want)
	}

	for _, tc := range []struct {
		body, column, code, mention string
	}{
		{`{"timezone": "UTC", "post": []}`, "post", "unknown_field", `did you mean "posts"?`},
		{`{"timzone": "UTC", "posts": []}`, "timzone", "unknown_field", `did you mean "timezone"?`},
		{`{"posts": [` + strings.Replace(post(""), `"channels"`, `"chanels"`, 1) + `]}`, "chanels", "unknown_field", `did you mean "channels"?`},
		{`{"posts": [` + post(`, "variants": {"vkk": {"text": "y"}}`) + `]}`, "variants.vkk", "unknown_platform", `did you mean "vk"?`},
		{`{"posts": [` + post(`, "variants": {"vk": {"txt": "y"}}`) + `]}`, "variants.vk.txt", "unknown_field", `did you mean "text"?`},
	} {
		ps := mustFail(t, upload("json", tc.body, "UTC"))
		if len(ps) != 1 || ps[0].Column != tc.column || ps[0].Code != tc.code || !strings.Contains(ps[0].Message, tc.mention) {
			t.Errorf("%s: want one %s on %s mentioning %q, got:\n%s", tc.body, tc.code, tc.column, tc.mention, problemList(ps))
		}
	}
}
