package linkedin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/httpcall"
	"github.com/heraldhq/herald/publishers/internal/media"
)

// imageTypes are the image types LinkedIn's Images API takes.
var imageTypes = []string{"image/jpeg", "image/png", "image/gif"}

// maxTitle bounds the article title Herald derives from the text.
const maxTitle = 200

// publish runs the whole flow: images, then the post.
func (c *conv) publish(ctx context.Context, req herald.PublishRequest) herald.Result {
	if c.author == "" || c.token == "" {
		return c.result(herald.OutcomeFailed, "the channel has no author or access_token configured")
	}
	m := req.Message
	if n := len(m.Media); n > MaxImages {
		return c.result(herald.OutcomeFailed, fmt.Sprintf("a LinkedIn post holds at most %d images; this one has %d", MaxImages, n))
	}
	if wait := c.lim.Blocked(c.key); wait > 0 {
		r := c.result(herald.OutcomeRetry, fmt.Sprintf("LinkedIn throttled this channel: waiting %s before posting", wait))
		r.Throttled, r.RetryAfter = true, wait
		return r
	}
	post := map[string]any{
		"author":     c.author,
		"commentary": Escape(m.Body()),
		"visibility": "PUBLIC",
		"distribution": map[string]any{"feedDistribution": "MAIN_FEED",
			"targetEntities": []any{}, "thirdPartyDistributionChannels": []any{}},
		"lifecycleState":            "PUBLISHED",
		"isReshareDisabledByAuthor": false,
	}
	switch {
	case len(m.Media) > 0:
		urns := make([]string, 0, len(m.Media))
		for _, src := range m.Media {
			urn, fail := c.image(ctx, src)
			if fail != nil {
				return *fail
			}
			urns = append(urns, urn)
		}
		if len(urns) == 1 {
			post["content"] = map[string]any{"media": map[string]any{"id": urns[0]}}
		} else {
			imgs := make([]map[string]any, len(urns))
			for i, u := range urns {
				imgs[i] = map[string]any{"id": u}
			}
			post["content"] = map[string]any{"multiImage": map[string]any{"images": imgs}}
		}
	case m.Link != "":
		post["commentary"] = Escape(m.Text)
		post["content"] = map[string]any{"article": map[string]any{"source": m.Link, "title": articleTitle(m)}}
	}
	return c.create(ctx, post)
}

// create sends POST /rest/posts and classifies the answer.
func (c *conv) create(ctx context.Context, post map[string]any) herald.Result {
	b, err := json.Marshal(post)
	if err != nil {
		return c.result(herald.OutcomeFailed, "encoding the post: "+err.Error())
	}
	u := c.base + "/rest/posts"
	a := c.send(ctx, http.MethodPost, u, "application/json", b, b)
	switch {
	case httpcall.Stopped(a.err):
		return c.result(herald.OutcomeFailed, "LinkedIn was not called: "+c.errText(a, u))
	case a.err != nil && !a.sent:
		return c.result(herald.OutcomeRetry, "no answer from LinkedIn (the post was not sent): "+c.errText(a, u))
	case a.err != nil:
		return c.result(herald.OutcomeUnknown, "the post was sent but LinkedIn's answer was lost, so it may have been posted; LinkedIn has no idempotency key, "+
			"so look for it on the page before posting it again: "+c.errText(a, u))
	case a.resp.Status != http.StatusCreated && a.resp.Status != http.StatusOK:
		return c.failure(a.resp, "posting")
	}
	urn := strings.TrimSpace(a.resp.Header.Get("X-Restli-Id"))
	if urn == "" {
		return c.result(herald.OutcomeUnknown, fmt.Sprintf("LinkedIn answered %d without an x-restli-id header; look for the post before posting it again", a.resp.Status))
	}
	r := c.result(herald.OutcomePublished, "")
	r.RemoteID, r.URL = urn, PostURL(urn)
	return r
}

// image downloads one image and takes it through the Images API:
// initializeUpload, then a PUT of the bytes to the uploadUrl. It returns
// the image URN, or the Result that ends the publish.
func (c *conv) image(ctx context.Context, src string) (string, *herald.Result) {
	f, err := media.Fetch(ctx, c.p.client, src, media.Options{MaxBytes: c.p.opts.MaxMediaBytes,
		Accept: imageTypes})
	if err != nil {
		o := media.Outcome(err)
		return "", c.fail(o, "image %s: %v", src, err)
	}
	c.calls = append(c.calls, fmt.Sprintf("GET %s → %s, %d bytes", src, f.ContentType, len(f.Data)))
	init, _ := json.Marshal(map[string]any{"initializeUploadRequest": map[string]any{"owner": c.author}})
	u := c.base + "/rest/images?action=initializeUpload"
	a := c.send(ctx, http.MethodPost, u, "application/json", init, init)
	if a.err != nil {
		return "", c.fail(httpcall.Unanswered(a.err), "image %s: no answer from LinkedIn to initializeUpload (nothing was posted): %s", src, c.errText(a, u))
	}
	if a.resp.Status != http.StatusOK && a.resp.Status != http.StatusCreated {
		r := c.failure(a.resp, "initializing the upload of image "+src)
		return "", &r
	}
	var ans struct {
		Value struct {
			UploadURL string `json:"uploadUrl"`
			Image     string `json:"image"`
		} `json:"value"`
	}
	if err := json.Unmarshal(a.resp.Body, &ans); err != nil || ans.Value.UploadURL == "" || ans.Value.Image == "" {
		return "", c.fail(herald.OutcomeRetry, "LinkedIn's answer to initializeUpload has no uploadUrl or image")
	}
	up := c.send(ctx, http.MethodPut, ans.Value.UploadURL, "application/octet-stream", f.Data, nil)
	c.calls[len(c.calls)-1] += fmt.Sprintf(" (%s, %s, %d bytes)", ans.Value.Image, f.ContentType, len(f.Data))
	if up.err != nil {
		return "", c.fail(httpcall.Unanswered(up.err), "uploading image %s: no answer from LinkedIn (nothing was posted): %s", src, c.errText(up, ans.Value.UploadURL))
	}
	if up.resp.Status < 200 || up.resp.Status > 299 {
		r := c.failure(up.resp, "uploading image "+src)
		return "", &r
	}
	return ans.Value.Image, nil
}

// articleTitle is the article's title: the text's first line, cut to
// maxTitle characters, or the link's host when there is no text.
func articleTitle(m herald.Message) string {
	line, _, _ := strings.Cut(strings.TrimSpace(m.Text), "\n")
	line = strings.TrimSpace(line)
	if line == "" {
		if u, err := url.Parse(m.Link); err == nil && u.Host != "" {
			return u.Host
		}
		return m.Link
	}
	if utf8.RuneCountInString(line) > maxTitle {
		r := []rune(line)
		line = string(r[:maxTitle-1]) + "…"
	}
	return line
}
