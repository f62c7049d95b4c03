package facebook

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald"
)

// ReconcileLimit is how many of the Page's latest posts Reconcile reads.
const ReconcileLimit = 25

type feedPost struct {
	ID           string `json:"id"`
	Message      string `json:"message"`
	CreatedTime  string `json:"created_time"`
	PermalinkURL string `json:"permalink_url"`
}

// message is the text Publish sends for m: the caption or message, with the
// link inside it when the post carries photos.
func message(m herald.Message) string {
	if len(m.Media) > 0 {
		return m.Body()
	}
	return m.Text
}

// Reconcile looks for req's post among the Page's latest ReconcileLimit
// posts created at or after since (GET /{page-id}/feed?fields=message,
// created_time,id,permalink_url&since=<unix time>), matching by message
// text. found is false when none matches, when several do (it cannot
// tell which is the delivery's), or when the post has no message text to
// match (a bare link or an uncaptioned photo). err reports a failed lookup (Facebook's
// reason, or a channel without page_id or page_access_token).
func (p *Publisher) Reconcile(ctx context.Context, req herald.PublishRequest, since time.Time) (res herald.Result, found bool, err error) {
	c := p.conversation(&req.Channel, req.Blocks)
	if c.page == "" || c.token == "" {
		return herald.Result{}, false, errors.New("facebook reconcile: the channel has no page_id or page_access_token configured")
	}
	want := strings.TrimSpace(message(req.Message))
	if want == "" {
		return herald.Result{}, false, nil
	}
	var feed struct {
		Data []feedPost `json:"data"`
	}
	q := params("fields", "message,created_time,id,permalink_url", "since", strconv.FormatInt(since.Unix(), 10),
		"limit", strconv.Itoa(ReconcileLimit))
	if r := c.call(ctx, http.MethodGet, c.page+"/feed", q, &feed); r != nil {
		return herald.Result{}, false, errors.New("facebook reconcile: /feed: " + c.redact(r.Reason))
	}
	var match *feedPost
	for i, post := range feed.Data {
		if t, err := time.Parse("2006-01-02T15:04:05-0700", post.CreatedTime); err == nil && t.Before(since) {
			continue
		}
		if strings.TrimSpace(post.Message) != want {
			continue
		}
		if match != nil {
			return herald.Result{}, false, nil
		}
		match = &feed.Data[i]
	}
	if match == nil {
		return herald.Result{}, false, nil
	}
	r := c.result(herald.OutcomePublished, "")
	r.RemoteID, r.URL = match.ID, match.PermalinkURL
	if r.URL == "" {
		r.URL = PostURL(match.ID)
	}
	r.Request, r.Response = c.redact(r.Request), c.redact(r.Response)
	return *r, true, nil
}
