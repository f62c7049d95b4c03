package contentplans

import (
	"reflect"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
)

func TestJSONPost(t *testing.T) {
	body := `{"title": "Декабрь", "timezone": "Europe/Moscow", "posts": [
	  {"key": "dec-01", "at": " 2026-12-01 10:00 ", "channels": ["tg-raw", "masto", "tg-raw", " "],
	   "text": "  привет  ", "media": [" https://example.com/1.jpg ", ""], "link": "https://example.com",
	   "rubric": "tips", "tags": ["a", " ", "b"], "variants": {"Mastodon": {"text": "hi"}, "telegram": "привет!"}},
	  {"at": "2026-12-02 10:00", "channels": "demo; masto", "text": "second", "tags": null}]}`
	plan, posts, _ := mustBuild(t, upload("json", body, "UTC"))
	if plan != (herald.Plan{Key: "2026-12", Title: "Декабрь", Timezone: "Europe/Moscow"}) {
		t.Errorf("plan %+v", plan)
	}
	want := herald.Post{Key: "dec-01", Row: 1, At: "2026-12-01 10:00", DueAt: posts[0].DueAt,
		Channels: []string{"tg-raw", "masto"}, Text: "привет", Media: []string{"https://example.com/1.jpg"},
		Link: "https://example.com", Rubric: "tips", Tags: []string{"a", "b"},
		Variants: map[string]herald.Variant{"mastodon": {Text: "hi"}, "telegram": {Text: "привет!"}}}
	if !reflect.DeepEqual(posts[0], want) {
		t.Errorf("post\n got %+v\nwant %+v", posts[0], want)
	}
	if p := posts[1]; p.Row != 2 || !p.KeyDerived || p.Key != DeriveKey(2, "second") || !reflect.DeepEqual(p.Channels, []string{"demo", "masto"}) {
		t.Errorf("second post %+v", p)
	}
}

func TestJSONProblems(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		row       int
		col, code string
		mention   string
	}{
		{"malformed", "{\n  \"posts\": [\n    {\"key\": \"a\",}\n  ]\n}", 0, "", "malformed_json", "line 3"},
		{"cut short", `{"posts": [{"key": "a"`, 0, "", "malformed_json", "ends early"},
		{"empty", ``, 0, "", "malformed_json", "empty"},
		{"trailing data", `{"posts": []} {}`, 0, "", "malformed_json", "after the plan"},
		{"not an object", `[1, 2]`, 0, "", "invalid_type", "object"},
		{"no posts", `{"title": "x"}`, 0, "posts", "required", "posts"},
		{"unknown plan field", `{"titel": "x", "posts": []}`, 0, "titel", "unknown_field", `"titel"`},
		{"misspelled post field", `{"posts": [{"key": "a", "at": "2026-12-01 10:00", "channels": ["demo"], "txt": "x"}]}`,
			1, "txt", "unknown_field", `did you mean "text"`},
		{"unknown variant field", `{"posts": [{"at": "2026-12-01 10:00", "channels": ["masto"], "text": "x", "variants": {"mastodon": {"txt": "y"}}}]}`,
			1, "variants.mastodon.txt", "unknown_field", `"txt"`},
		{"text not a string", `{"posts": [{"at": "2026-12-01 10:00", "channels": ["demo"], "text": 5}]}`, 1, "text", "invalid_type", "string"},
		{"channels not a list", `{"posts": [{"at": "2026-12-01 10:00", "channels": 5, "text": "x"}]}`, 1, "channels", "invalid_type", "list"},
		{"post not an object", `{"posts": ["x"]}`, 1, "", "invalid_type", "object"},
		{"invalid UTF-8", "{\"posts\": [{\"at\": \"2026-12-01 10:00\", \"channels\": [\"demo\"], \"text\": \"x\"}, {\"at\": \"2026-12-01 10:00\", \"channels\": [\"demo\"], \"text\": \"caf\xe9\"}]}",
			2, "text", "invalid_utf8", "UTF-8"},
		{"bad key", `{"posts": [{"key": "dec 01!", "at": "2026-12-01 10:00", "channels": ["demo"], "text": "x"}]}`, 1, "key", "invalid_key", `"dec 01!"`},
		{"long key", `{"posts": [{"key": "` + strings.Repeat("k", 129) + `", "at": "2026-12-01 10:00", "channels": ["demo"], "text": "x"}]}`, 1, "key", "invalid_key", "128"},
		{"no channels", `{"posts": [{"at": "2026-12-01 10:00", "channels": [], "text": "x"}]}`, 1, "channels", "required", "demo"},
		{"media not http", `{"posts": [{"at": "2026-12-01 10:00", "channels": ["demo"], "text": "x", "media": ["ftp://x.y/1.jpg"]}]}`, 1, "media", "invalid_url", "ftp://"},
		{"link without scheme", `{"posts": [{"at": "2026-12-01 10:00", "channels": ["demo"], "text": "x", "link": "example.com"}]}`, 1, "link", "invalid_url", "example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := mustFail(t, upload("json", tt.body, "Europe/Moscow"))
			p, ok := findProblem(ps, tt.row, tt.code)
			if !ok || p.Column != tt.col || !strings.Contains(p.Message, tt.mention) {
				t.Fatalf("want %s on row %d, column %q, mentioning %q; got:\n%s", tt.code, tt.row, tt.col, tt.mention, problemList(ps))
			}
		})
	}
}

// A type error is reported once, not again as a missing value.
func TestJSONTypeErrorNotRequired(t *testing.T) {
	ps := mustFail(t, upload("json", `{"posts": [{"at": 5, "channels": 5, "text": 5}]}`, "Europe/Moscow"))
	if len(ps) != 3 {
		t.Errorf("got:\n%s", problemList(ps))
	}
	for _, p := range ps {
		if p.Code != "invalid_type" {
			t.Errorf("unexpected %s", p)
		}
	}
}

func TestUnusedVariantWarning(t *testing.T) {
	body := `{"posts": [{"at": "2026-12-01 10:00", "channels": ["tg-raw"], "text": "x", "variants": {"mastodon": {"text": "y"}}}]}`
	_, _, warnings := mustBuild(t, upload("json", body, "Europe/Moscow"))
	if len(warnings) != 1 || warnings[0].Code != "unused_variant" || warnings[0].Column != "text:mastodon" {
		t.Errorf("warnings:\n%s", problemList(warnings))
	}
}

func TestUnsupportedFormat(t *testing.T) {
	_, _, _, err := Build(upload("xml", "<plan/>", "UTC"))
	if herald.ErrorCode(err) != herald.EUNSUPPORTED {
		t.Errorf("err = %v", err)
	}
}

func TestErrorMessageCountsProblems(t *testing.T) {
	_, _, _, err := Build(upload("json", `{"posts": [{"at": "x", "channels": ["nope"], "text": ""}]}`, "UTC"))
	if got := herald.ErrorMessage(err); got != "plan has 3 problems" {
		t.Errorf("message %q", got)
	}
}
