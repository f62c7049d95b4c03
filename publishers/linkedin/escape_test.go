package linkedin_test

import (
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/linkedin"
	"github.com/heraldhq/herald/publishers/linkedin/linkedinfake"
)

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"plain text, no change: 100% ok!": "plain text, no change: 100% ok!",
		`a|b{c}d@e[f]g(h)i<j>k#l\m*n_o~p`: `a\|b\{c\}d\@e\[f\]g\(h\)i\<j\>k\#l\\m\*n\_o\~p`,
		"#launch (beta) — ~50% off_now":   `\#launch \(beta\) — \~50% off\_now`,
		"Привет, мир @herald":             `Привет, мир \@herald`,
	} {
		if got := linkedin.Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestReservedCharactersSurvive: the commentary reaches LinkedIn escaped,
// and LinkedIn (the fake reads the little text format) shows the text as
// written instead of cutting it at the first reserved character.
func TestReservedCharactersSurvive(t *testing.T) {
	e := setup(t, linkedinfake.Options{}, linkedin.Options{})
	text := `Q3 results (final) are in! #growth @team [link] <b>bold</b> *stars* _under_ ~tilde~ a|b {x} C:\path`
	wantOutcome(t, e.publish(t, herald.Message{Text: text}), herald.OutcomePublished)
	p := onlyPost(t, e)
	if p.Commentary != linkedin.Escape(text) {
		t.Errorf("commentary received %q, want %q", p.Commentary, linkedin.Escape(text))
	}
	if p.Text != text || p.Lost != "" {
		t.Errorf("LinkedIn shows %q (lost %q), want %q", p.Text, p.Lost, text)
	}
}

// TestReservedCharactersInArticleCommentary: the article case escapes too.
func TestReservedCharactersInArticleCommentary(t *testing.T) {
	e := setup(t, linkedinfake.Options{}, linkedin.Options{})
	text := "Notes (v2) #release"
	wantOutcome(t, e.publish(t, herald.Message{Text: text, Link: "https://example.com/n"}), herald.OutcomePublished)
	if p := onlyPost(t, e); p.Text != text || p.Article == nil || p.Article.Title != text {
		t.Errorf("shows %q with article %+v, want %q", p.Text, p.Article, text)
	}
}
