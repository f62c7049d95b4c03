package x

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/httpcall"
	"github.com/heraldhq/herald/publishers/internal/media"
)

func (c *conv) publish(ctx context.Context, req herald.PublishRequest) herald.Result {
	username := strings.TrimPrefix(c.ch.ConfigString("username"), "@")
	if username == "" {
		return c.result(herald.OutcomeFailed, "the channel has no config.username")
	}
	if n := len(req.Message.Media); n > MaxImages {
		return c.result(herald.OutcomeFailed, fmt.Sprintf("X takes at most %d images in a post; this one has %d", MaxImages, n))
	}
	if wait := c.lim.DelayAll(c.limits()...); wait > 0 {
		r := c.result(herald.OutcomeRetry, fmt.Sprintf("waiting for X's rate limit of the channel (%s)", wait.Round(time.Second)))
		r.Throttled, r.RetryAfter = true, wait
		return r
	}
	if fail := c.ready(ctx); fail != nil {
		return *fail
	}
	ids := make([]string, 0, len(req.Message.Media))
	for _, src := range req.Message.Media {
		id, fail := c.upload(ctx, src)
		if fail != nil {
			return *fail
		}
		ids = append(ids, id)
	}
	return c.tweet(ctx, req.Message.Body(), ids, username)
}

// tweet sends POST /2/tweets and classifies the answer.
func (c *conv) tweet(ctx context.Context, text string, mediaIDs []string, username string) herald.Result {
	body := map[string]any{"text": text}
	if len(mediaIDs) > 0 {
		body["media"] = map[string]any{"media_ids": mediaIDs}
	}
	b, err := json.Marshal(body)
	if err != nil {
		return c.result(herald.OutcomeFailed, "encoding the post: "+err.Error())
	}
	u := c.base + "/2/tweets"
	a, stop := c.authed(ctx, http.MethodPost, u, "application/json", b, b)
	switch {
	case stop != nil:
		return *stop
	case httpcall.Stopped(a.err):
		return c.result(herald.OutcomeFailed, "X was not called: "+c.transport(a, u))
	case a.err != nil && !a.sent:
		return c.result(herald.OutcomeRetry, "no answer from X (the post was not sent): "+c.transport(a, u))
	case a.err != nil:
		return c.result(herald.OutcomeUnknown, "the post was sent but X's answer was lost, so it may have been posted; X has no idempotency key, "+
			"so look for it on the account before posting it again: "+c.transport(a, u))
	case a.resp.Status != http.StatusCreated && a.resp.Status != http.StatusOK:
		return c.failure(a.resp, "posting")
	}
	var ans struct {
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(a.resp.Body, &ans); err != nil || ans.Data.ID == "" {
		return c.result(herald.OutcomeUnknown, "X answered the post without an id; look for it on the account before posting it again")
	}
	c.holdExhausted(a.resp.Header) // the last call of a window: later ones wait without calling
	r := c.result(herald.OutcomePublished, "")
	r.RemoteID = ans.Data.ID
	r.URL = "https://x.com/" + username + "/status/" + ans.Data.ID
	return r
}

// upload downloads one image and sends it to POST /2/media/upload
// (multipart media, media_category tweet_image). It returns the media id,
// or the Result that ends the publish. Uploading twice posts nothing, so
// every transport error is a retry.
func (c *conv) upload(ctx context.Context, src string) (string, *herald.Result) {
	f, err := media.Fetch(ctx, c.p.client, src, media.Options{MaxBytes: c.p.opts.MaxImageBytes,
		Accept: []string{"image/"}})
	c.calls = append(c.calls, "GET "+src)
	if err != nil {
		return "", c.fail(media.Outcome(err), "media %s: %v", src, err)
	}
	c.calls[len(c.calls)-1] += fmt.Sprintf(" → %s, %d bytes", f.ContentType, len(f.Data))
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="media"; filename=%q`, f.Name))
	h.Set("Content-Type", f.ContentType)
	part, _ := mw.CreatePart(h)
	part.Write(f.Data)
	mw.WriteField("media_category", "tweet_image")
	mw.WriteField("media_type", f.ContentType)
	mw.Close()
	shown := fmt.Appendf(nil, "multipart media=%s (%s, %d bytes) media_category=tweet_image", f.Name, f.ContentType, len(f.Data))
	u := c.uploadBase + "/2/media/upload"
	a, stop := c.authed(ctx, http.MethodPost, u, mw.FormDataContentType(), buf.Bytes(), shown)
	switch {
	case stop != nil:
		return "", stop
	case a.err != nil:
		return "", c.fail(httpcall.Unanswered(a.err), "uploading %s: no answer from X: %s", src, c.transport(a, u))
	case a.resp.Status < 200 || a.resp.Status > 299:
		r := c.failure(a.resp, "uploading "+src)
		return "", &r
	}
	var ans struct {
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
		MediaIDString string `json:"media_id_string"` // the v1.1 shape, from an upload_base_url of the old host
	}
	if err := json.Unmarshal(a.resp.Body, &ans); err != nil || (ans.Data.ID == "" && ans.MediaIDString == "") {
		return "", c.fail(herald.OutcomeRetry, "X's answer to the upload of %s has no media id", src)
	}
	if ans.Data.ID == "" {
		return ans.MediaIDString, nil
	}
	return ans.Data.ID, nil
}

// check reads GET /2/users/me; published means the token works for the
// configured username.
func (c *conv) check(ctx context.Context) herald.Result {
	if fail := c.ready(ctx); fail != nil {
		return *fail
	}
	u := c.base + "/2/users/me"
	a, stop := c.authed(ctx, http.MethodGet, u, "", nil, nil)
	switch {
	case stop != nil:
		return *stop
	case a.err != nil:
		return c.result(httpcall.Unanswered(a.err), "no answer from X: "+c.transport(a, u))
	case a.resp.Status != http.StatusOK:
		return c.failure(a.resp, "reading the account")
	}
	var me struct {
		Data struct {
			ID       string `json:"id"`
			Username string `json:"username"`
		} `json:"data"`
	}
	if err := json.Unmarshal(a.resp.Body, &me); err != nil || me.Data.ID == "" {
		return c.result(herald.OutcomeFailed, "X's answer to GET /2/users/me has no account")
	}
	want := strings.TrimPrefix(c.ch.ConfigString("username"), "@")
	if want != "" && !strings.EqualFold(want, me.Data.Username) {
		return c.result(herald.OutcomeFailed, fmt.Sprintf("the access token belongs to @%s, not to config.username @%s", me.Data.Username, want))
	}
	return c.result(herald.OutcomePublished, "")
}
