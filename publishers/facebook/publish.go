package facebook

import (
	"context"
	"fmt"
	"net/http"

	"github.com/heraldhq/herald"
)

// publish runs the whole flow: the post (through /feed or /photos), then
// its permalink.
func (c *conversation) publish(ctx context.Context, req herald.PublishRequest) herald.Result {
	if c.page == "" || c.token == "" {
		return herald.Result{Outcome: herald.OutcomeFailed, Reason: "the channel has no page_id or page_access_token configured"}
	}
	m := req.Message
	if m.Text == "" && m.Link == "" && len(m.Media) == 0 {
		return herald.Result{Outcome: herald.OutcomeFailed, Reason: "nothing to post: the message has no text, link or photo"}
	}
	var id string
	var fail *herald.Result
	switch len(m.Media) {
	case 0:
		id, fail = c.feed(ctx, m, nil)
	case 1:
		id, fail = c.photo(ctx, m)
	default:
		var photos []string
		for i, src := range m.Media {
			pid, f := c.unpublishedPhoto(ctx, src)
			if f != nil {
				f.Reason = fmt.Sprintf("photo %d of %d: %s", i+1, len(m.Media), f.Reason)
				return *f
			}
			photos = append(photos, pid)
		}
		id, fail = c.feed(ctx, m, photos)
	}
	if fail != nil {
		return *fail
	}
	link := c.permalink(ctx, id)
	r := c.result(herald.OutcomePublished, "")
	r.RemoteID, r.URL = id, link
	return *r
}

// feed posts m through POST /{page-id}/feed: message and link, or with
// photos the message (link included) and attached_media. It returns the
// post id.
func (c *conversation) feed(ctx context.Context, m herald.Message, photos []string) (string, *herald.Result) {
	form := params("message", m.Text)
	if len(photos) == 0 {
		if m.Link != "" {
			form.Set("link", m.Link)
		}
	} else {
		form.Set("message", m.Body())
		for i, pid := range photos {
			form.Set(fmt.Sprintf("attached_media[%d]", i), fmt.Sprintf(`{"media_fbid":%q}`, pid))
		}
	}
	if form.Get("message") == "" {
		form.Del("message")
	}
	var answer struct {
		ID string `json:"id"`
	}
	c.publishing = true
	defer func() { c.publishing = false }()
	if r := c.call(ctx, http.MethodPost, c.page+"/feed", form, &answer); r != nil {
		return "", r
	}
	if answer.ID == "" {
		return "", c.result(herald.OutcomeUnknown, "Facebook's answer to /feed has no id: the post may have been made")
	}
	return answer.ID, nil
}

// photo posts one photo with m's text (link included) as its caption
// through POST /{page-id}/photos and returns the post id.
func (c *conversation) photo(ctx context.Context, m herald.Message) (string, *herald.Result) {
	form := params("url", m.Media[0])
	if body := m.Body(); body != "" {
		form.Set("caption", body)
	}
	var answer struct {
		ID     string `json:"id"`
		PostID string `json:"post_id"`
	}
	c.publishing = true
	defer func() { c.publishing = false }()
	if r := c.call(ctx, http.MethodPost, c.page+"/photos", form, &answer); r != nil {
		return "", r
	}
	if answer.PostID == "" {
		return "", c.result(herald.OutcomeUnknown, "Facebook's answer to /photos has no post_id: the post may have been made")
	}
	return answer.PostID, nil
}

// unpublishedPhoto uploads one photo with published=false (nothing shows on
// the Page) and returns its id for attached_media. A lost answer is a
// retry: an unpublished photo is not a post.
func (c *conversation) unpublishedPhoto(ctx context.Context, src string) (string, *herald.Result) {
	var answer struct {
		ID string `json:"id"`
	}
	if r := c.call(ctx, http.MethodPost, c.page+"/photos", params("url", src, "published", "false"), &answer); r != nil {
		return "", r
	}
	if answer.ID == "" {
		return "", c.result(herald.OutcomeRetry, "Facebook's answer to an unpublished photo upload has no id")
	}
	return answer.ID, nil
}

// permalink reads the post's permalink_url (GET /{post-id}?fields=permalink_url),
// or returns PostURL(id) when that read fails: the post exists either way.
func (c *conversation) permalink(ctx context.Context, id string) string {
	var answer struct {
		PermalinkURL string `json:"permalink_url"`
	}
	if r := c.call(ctx, http.MethodGet, id, params("fields", "permalink_url"), &answer); r != nil || answer.PermalinkURL == "" {
		c.p.log.Debug().Str("platform", "facebook").Str("post", id).Msg("permalink_url unreadable; using the URL convention")
		return PostURL(id)
	}
	return answer.PermalinkURL
}
