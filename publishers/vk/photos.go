package vk

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/httpcall"
	"github.com/heraldhq/herald/publishers/internal/media"
)

// photoTypes are the image types VK takes on a wall.
var photoTypes = []string{"image/jpeg", "image/png", "image/gif"}

// photo downloads one image and takes it through VK's upload-server flow:
// photos.getWallUploadServer (once per conversation), a multipart upload
// to the URL it names, photos.saveWallPhoto. It returns the attachment
// "photo<owner_id>_<id>", or the Result that ends the publish.
func (c *conversation) photo(ctx context.Context, src string) (string, *herald.Result) {
	f, err := media.Fetch(ctx, c.p.client, src, media.Options{MaxBytes: c.p.opts.MaxMediaBytes,
		Accept: photoTypes})
	if err != nil {
		o := media.Outcome(err)
		return "", c.result(o, fmt.Sprintf("photo %s: %v", src, err))
	}
	c.calls = append(c.calls, fmt.Sprintf("GET %s → %s, %d bytes", src, f.ContentType, len(f.Data)))
	group := params() // group_id for a community's wall, nothing for a user's
	if c.owner < 0 {
		group.Set("group_id", fmt.Sprint(-c.owner))
	}
	if c.uploadURL == "" {
		var srv struct {
			UploadURL string `json:"upload_url"`
		}
		if r := c.method(ctx, "photos.getWallUploadServer", group, &srv); r != nil {
			return "", r
		}
		if srv.UploadURL == "" {
			return "", c.result(herald.OutcomeRetry, "VK's answer to photos.getWallUploadServer has no upload_url")
		}
		c.uploadURL, c.wait = srv.UploadURL, true
	}
	up, fail := c.upload(ctx, src, f)
	if fail != nil {
		return "", fail
	}
	form := maps.Clone(group)
	form.Set("photo", up.Photo)
	form.Set("server", string(up.Server))
	form.Set("hash", up.Hash)
	var saved []struct {
		ID      int64 `json:"id"`
		OwnerID int64 `json:"owner_id"`
	}
	if r := c.method(ctx, "photos.saveWallPhoto", form, &saved); r != nil {
		r.Reason = "saving photo " + src + ": " + r.Reason
		return "", r
	}
	if len(saved) == 0 || saved[0].ID == 0 {
		return "", c.result(herald.OutcomeRetry, "VK's answer to photos.saveWallPhoto names no photo")
	}
	return fmt.Sprintf("photo%d_%d", saved[0].OwnerID, saved[0].ID), nil
}

// uploaded is the upload server's answer.
type uploaded struct {
	Server json.Number `json:"server"`
	Photo  string      `json:"photo"`
	Hash   string      `json:"hash"`
	Error  string      `json:"error"`
}

// upload posts f to the conversation's upload URL as the multipart field
// "photo". The upload server needs no token, so none is sent.
func (c *conversation) upload(ctx context.Context, src string, f media.File) (*uploaded, *herald.Result) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="photo"; filename=%q`, f.Name))
	h.Set("Content-Type", f.ContentType)
	part, _ := mw.CreatePart(h)
	part.Write(f.Data)
	mw.Close()
	c.calls = append(c.calls, fmt.Sprintf("POST %s multipart photo=%s (%s, %d bytes)", c.uploadURL, f.Name, f.ContentType, len(f.Data)))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.uploadURL, &buf)
	if err != nil {
		return nil, c.result(herald.OutcomeRetry, "VK named an unusable upload_url: "+err.Error())
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, _, err := httpcall.Do(c.p.client, req, 1<<20)
	c.last = resp
	if err != nil {
		o := herald.OutcomeRetry
		if httpcall.Stopped(err) {
			o = herald.OutcomeFailed
		}
		return nil, c.result(o, "uploading photo "+src+": no answer from VK's upload server: "+httpcall.ErrorText(err, c.uploadURL, c.token))
	}
	if resp.Status != http.StatusOK {
		o := herald.OutcomeFailed
		if resp.Status >= 500 || resp.Status == http.StatusTooManyRequests {
			o = herald.OutcomeRetry
		}
		return nil, c.result(o, fmt.Sprintf("uploading photo %s: VK's upload server answered HTTP %d %s", src, resp.Status, http.StatusText(resp.Status)))
	}
	var up uploaded
	if err := json.Unmarshal(resp.Body, &up); err != nil {
		return nil, c.result(herald.OutcomeRetry, "uploading photo "+src+": VK's upload server answered no JSON")
	}
	if p := strings.TrimSpace(up.Photo); up.Error != "" || p == "" || p == "[]" || up.Hash == "" {
		reason := fmt.Sprintf("VK's upload server did not take photo %s (%s, %d bytes)", src, f.ContentType, len(f.Data))
		if up.Error != "" {
			reason += ": " + up.Error
		}
		return nil, c.result(herald.OutcomeFailed, reason)
	}
	return &up, nil
}
