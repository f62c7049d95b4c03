package mastodon

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/heraldhq/herald"
)

// ReconcilePages bounds how many pages of 40 statuses Reconcile reads.
const ReconcilePages = 5

type listedStatus struct {
	ID        string    `json:"id"`
	URL       string    `json:"url"`
	URI       string    `json:"uri"`
	CreatedAt time.Time `json:"created_at"`
	Content   string    `json:"content"`
	Reblog    *struct {
		ID string `json:"id"`
	} `json:"reblog"`
	Media []struct {
		ID string `json:"id"`
	} `json:"media_attachments"`
}

// Reconcile looks for req's status among the account's statuses created at
// or after since: GET /api/v1/accounts/verify_credentials for the account
// id, then GET /api/v1/accounts/:id/statuses, newest first, up to
// ReconcilePages pages. A status matches when its content, stripped of
// HTML, equals req.Message.Body() and it has as many media attachments as
// the message. One match gives a published Result with its id and url;
// none, or more than one (can't be told apart), gives found false. err
// reports a lookup that failed (no answer, refused token, an answer that
// cannot be read); it does not carry the token.
func (p *Publisher) Reconcile(ctx context.Context, req herald.PublishRequest, since time.Time) (herald.Result, bool, error) {
	a := p.api(req.Channel, req.Blocks)
	if a.base == "" || a.token == "" {
		return herald.Result{}, false, fmt.Errorf("mastodon reconcile: the channel has no instance_url or access_token configured")
	}
	var account struct {
		ID string `json:"id"`
	}
	if err := a.getJSON(ctx, "/api/v1/accounts/verify_credentials", &account); err != nil {
		return herald.Result{}, false, err
	}
	if account.ID == "" {
		return herald.Result{}, false, fmt.Errorf("mastodon reconcile: verify_credentials answered no account id")
	}
	want := normalize(req.Message.Body())
	var matches []listedStatus
	maxID := ""
	for range ReconcilePages {
		q := url.Values{"limit": {"40"}, "exclude_reblogs": {"true"}}
		if maxID != "" {
			q.Set("max_id", maxID)
		}
		var page []listedStatus
		if err := a.getJSON(ctx, "/api/v1/accounts/"+url.PathEscape(account.ID)+"/statuses?"+q.Encode(), &page); err != nil {
			return herald.Result{}, false, err
		}
		older := len(page) < 40 // the last page
		for _, st := range page {
			if st.CreatedAt.Before(since) {
				older = true
				continue
			}
			if st.Reblog == nil && len(st.Media) == len(req.Message.Media) && normalize(StripHTML(st.Content)) == want {
				matches = append(matches, st)
			}
		}
		if older || len(page) == 0 {
			break
		}
		maxID = page[len(page)-1].ID
	}
	if len(matches) != 1 {
		return herald.Result{}, false, nil
	}
	st := matches[0]
	res := herald.Result{Outcome: herald.OutcomePublished, RemoteID: st.ID, URL: st.URL,
		Reason:  fmt.Sprintf("found among the account's statuses (created %s)", st.CreatedAt.UTC().Format(time.RFC3339)),
		Request: strings.Join(a.calls, "\n")}
	if res.URL == "" {
		res.URL = st.URI
	}
	return res, true, nil
}

// getJSON GETs path and decodes a 200 answer into v.
func (a *api) getJSON(ctx context.Context, path string, v any) error {
	resp, fail := a.call(ctx, http.MethodGet, path, "", nil, nil, nil)
	if fail != nil {
		return fmt.Errorf("mastodon reconcile: %s", a.redact(fail.Reason))
	}
	if resp.Status != http.StatusOK {
		return fmt.Errorf("mastodon reconcile: GET %s answered %s", strings.SplitN(path, "?", 2)[0], a.redact(errorText(resp)))
	}
	if err := json.Unmarshal(resp.Body, v); err != nil {
		return fmt.Errorf("mastodon reconcile: reading GET %s: %v", strings.SplitN(path, "?", 2)[0], err)
	}
	return nil
}

var (
	paraRe  = regexp.MustCompile(`(?i)</p>\s*<p[^>]*>`)
	brRe    = regexp.MustCompile(`(?i)<br\s*/?>`)
	tagRe   = regexp.MustCompile(`<[^>]*>`)
	spaceRe = regexp.MustCompile(`[ \t]+\n`)
)

// StripHTML turns a status's HTML content back into its plain text:
// paragraphs become blank lines, <br> newlines, tags go (a link's text,
// split into spans, is kept whole) and entities are decoded.
func StripHTML(content string) string {
	s := paraRe.ReplaceAllString(content, "\n\n")
	s = brRe.ReplaceAllString(s, "\n")
	s = tagRe.ReplaceAllString(s, "")
	return html.UnescapeString(s)
}

// normalize makes texts comparable: line endings unified, trailing spaces
// on lines and surrounding whitespace removed.
func normalize(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.TrimSpace(spaceRe.ReplaceAllString(s, "\n"))
}
