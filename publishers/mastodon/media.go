package mastodon

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/media"
)

type attachment struct {
	ID  string  `json:"id"`
	URL *string `json:"url"`
}

// media downloads one media URL, uploads it to the instance and waits until
// the instance has processed it. It returns the attachment id, or the
// Result that ends the publish.
func (a *api) media(ctx context.Context, src string) (string, *herald.Result) {
	data, ctype, name, fail := a.download(ctx, src)
	if fail != nil {
		return "", fail
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, name))
	h.Set("Content-Type", ctype)
	part, _ := mw.CreatePart(h)
	part.Write(data)
	mw.WriteField("description", "")
	mw.Close()
	shown := fmt.Appendf(nil, "multipart file=%s (%s, %d bytes) description=\"\"", name, ctype, len(data))
	resp, fail := a.call(ctx, http.MethodPost, "/api/v2/media", mw.FormDataContentType(), buf.Bytes(), shown, nil)
	if fail != nil {
		return "", fail
	}
	if resp.Status != http.StatusOK && resp.Status != http.StatusAccepted {
		r := a.failure(resp)
		r.Reason = "uploading " + src + ": " + r.Reason
		return "", &r
	}
	var att attachment
	if err := json.Unmarshal(resp.Body, &att); err != nil || att.ID == "" {
		r := a.result(herald.OutcomeRetry, "the instance's answer to a media upload has no id")
		return "", &r
	}
	if resp.Status == http.StatusOK {
		return att.ID, nil
	}
	return att.ID, a.await(ctx, att.ID)
}

// await polls GET /api/v1/media/:id until the instance answers 200
// (206 while processing), for at most Options.MediaWait.
func (a *api) await(ctx context.Context, id string) *herald.Result {
	deadline := time.Now().Add(a.p.opts.MediaWait)
	polls := 0
	defer func() {
		if polls > 1 {
			a.calls = append(a.calls, fmt.Sprintf("(polled media %s %d times)", id, polls))
		}
	}()
	for {
		if time.Now().After(deadline) {
			r := a.result(herald.OutcomeRetry, fmt.Sprintf("media %s still processing after %s", id, a.p.opts.MediaWait))
			return &r
		}
		t := time.NewTimer(a.p.opts.PollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			r := a.result(herald.OutcomeRetry, fmt.Sprintf("stopped waiting for media %s: %v", id, ctx.Err()))
			return &r
		case <-t.C:
		}
		polls++
		if polls > 1 {
			a.calls = a.calls[:len(a.calls)-1] // keep one line for the polls
		}
		resp, fail := a.call(ctx, http.MethodGet, "/api/v1/media/"+url.PathEscape(id), "", nil, nil, nil)
		if fail != nil {
			return fail
		}
		switch resp.Status {
		case http.StatusOK:
			return nil
		case http.StatusPartialContent:
			continue
		}
		r := a.failure(resp)
		r.Reason = "processing media " + id + ": " + r.Reason
		return &r
	}
}

// download fetches a media URL with media.Fetch within
// media.DefaultTimeout and Options.MaxMediaBytes; it must be an image or a
// video. Missing, too large or unusable media, and URLs on private
// addresses (unless the client allows them), fail the post; network
// errors and 5xx retry.
func (a *api) download(ctx context.Context, src string) (data []byte, ctype, name string, fail *herald.Result) {
	a.calls = append(a.calls, "GET "+src)
	f, err := media.Fetch(ctx, a.p.client, src, media.Options{MaxBytes: a.p.opts.MaxMediaBytes})
	if err != nil {
		o := media.Outcome(err)
		r := a.result(o, fmt.Sprintf("media %s: %v", src, err))
		return nil, "", "", &r
	}
	a.calls[len(a.calls)-1] = fmt.Sprintf("GET %s → 200 %s, %d bytes", src, f.ContentType, len(f.Data))
	return f.Data, f.ContentType, f.Name, nil
}
