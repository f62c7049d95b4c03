package bluesky

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/media"
)

// PostCollection is the collection of Bluesky posts.
const PostCollection = "app.bsky.feed.post"

func (a *api) publish(ctx context.Context, req herald.PublishRequest) herald.Result {
	if a.handle == "" || a.password == "" {
		return a.result(herald.OutcomeFailed, "the channel has no handle or app_password configured")
	}
	if n := len(req.Message.Media); n > MaxImages {
		return a.result(herald.OutcomeFailed, fmt.Sprintf("Bluesky takes at most %d images; the post has %d", MaxImages, n))
	}
	if wait := a.lim.DelayAll(a.limits()...); wait > 0 {
		r := a.result(herald.OutcomeRetry, fmt.Sprintf("the channel is rate limited for %s (Bluesky's write limits or an earlier 429)", wait))
		r.Throttled, r.RetryAfter = true, wait
		return r
	}
	files := make([]media.File, 0, len(req.Message.Media))
	for _, u := range req.Message.Media {
		f, fail := a.download(ctx, u)
		if fail != nil {
			return *fail
		}
		files = append(files, f)
	}
	if fail := a.session(ctx); fail != nil {
		return *fail
	}
	rkey := RecordKey(idempotencyKey(req))
	if r, found := a.existing(ctx, rkey); found {
		return r
	}
	var embed any
	text := req.Message.Body()
	facets := linkFacets(text)
	if len(files) > 0 {
		images := make([]map[string]any, 0, len(files))
		for i, f := range files {
			blob, fail := a.uploadBlob(ctx, f, req.Message.Media[i])
			if fail != nil {
				return *fail
			}
			images = append(images, map[string]any{"alt": "", "image": blob})
		}
		embed = map[string]any{"$type": "app.bsky.embed.images", "images": images}
	} else if link := cardLink(req.Message, facets); link != "" {
		embed = map[string]any{"$type": "app.bsky.embed.external",
			"external": map[string]any{"uri": link, "title": link, "description": ""}}
	}
	record := map[string]any{"$type": PostCollection, "text": text,
		"createdAt": a.p.opts.Now().UTC().Format("2006-01-02T15:04:05.000Z")}
	if len(facets) > 0 {
		record["facets"] = facets
	}
	if embed != nil {
		record["embed"] = embed
	}
	return a.putRecord(ctx, rkey, record)
}

func idempotencyKey(req herald.PublishRequest) string {
	if req.IdempotencyKey != "" {
		return req.IdempotencyKey
	}
	return fmt.Sprintf("herald-%s-%d", req.Workspace, req.DeliveryID)
}

// existing looks the record key up with getRecord: a record there was
// written by an earlier attempt whose answer was lost, and is the post.
func (a *api) existing(ctx context.Context, rkey string) (herald.Result, bool) {
	resp, fail := a.authed(ctx, request{method: http.MethodGet, nsid: "com.atproto.repo.getRecord",
		query: url.Values{"repo": {a.sess.did}, "collection": {PostCollection}, "rkey": {rkey}}})
	if fail != nil {
		return *fail, true
	}
	if resp.Status == http.StatusBadRequest && errorOf(resp).Error == "RecordNotFound" {
		return herald.Result{}, false
	}
	if resp.Status != http.StatusOK {
		return a.failure(resp, "getRecord"), true
	}
	var rec struct {
		URI string `json:"uri"`
	}
	if err := json.Unmarshal(resp.Body, &rec); err != nil || rec.URI == "" {
		return a.result(herald.OutcomeRetry, "getRecord: the PDS's answer has no uri"), true
	}
	r := a.result(herald.OutcomePublished, "")
	r.RemoteID, r.URL = rec.URI, a.postURL(rec.URI)
	a.calls = append(a.calls, "(the record was written by an earlier attempt)")
	r.Request = strings.Join(a.calls, "\n")
	return r, true
}

// putRecord writes the post under rkey (an upsert: no swapRecord).
func (a *api) putRecord(ctx context.Context, rkey string, record map[string]any) herald.Result {
	body, err := json.Marshal(map[string]any{"repo": a.sess.did, "collection": PostCollection, "rkey": rkey, "record": record})
	if err != nil {
		return a.result(herald.OutcomeFailed, "encoding the post: "+err.Error())
	}
	resp, fail := a.authed(ctx, request{method: http.MethodPost, nsid: "com.atproto.repo.putRecord", body: body, ctype: "application/json"})
	if fail != nil {
		fail.Reason += " (retried under the same record key)"
		return *fail
	}
	if resp.Status != http.StatusOK {
		return a.failure(resp, "putRecord")
	}
	var ans struct {
		URI string `json:"uri"`
	}
	if err := json.Unmarshal(resp.Body, &ans); err != nil || ans.URI == "" {
		return a.result(herald.OutcomeRetry, "putRecord: the PDS's answer has no uri; retried under the same record key")
	}
	r := a.result(herald.OutcomePublished, "")
	r.RemoteID, r.URL = ans.URI, a.postURL(ans.URI)
	return r
}

// postURL is the bsky.app address of a post's at:// URI, with the handle
// the PDS gave the session.
func (a *api) postURL(uri string) string {
	handle := a.handle
	if a.sess != nil && a.sess.handle != "" {
		handle = a.sess.handle
	}
	rkey := uri[strings.LastIndex(uri, "/")+1:]
	return AppURL + "/profile/" + handle + "/post/" + rkey
}

// download fetches one image within media.DefaultTimeout and MaxImageBytes.
func (a *api) download(ctx context.Context, src string) (media.File, *herald.Result) {
	a.calls = append(a.calls, "GET "+src)
	f, err := media.Fetch(ctx, a.p.client, src, media.Options{MaxBytes: a.p.opts.MaxImageBytes,
		Accept: []string{"image/"}})
	if err != nil {
		o := media.Outcome(err)
		r := a.result(o, fmt.Sprintf("media %s: %v", src, err))
		return f, &r
	}
	a.calls[len(a.calls)-1] = fmt.Sprintf("GET %s → 200 %s, %d bytes", src, f.ContentType, len(f.Data))
	return f, nil
}

// uploadBlob uploads one image and returns the blob the PDS answered.
func (a *api) uploadBlob(ctx context.Context, f media.File, src string) (json.RawMessage, *herald.Result) {
	resp, fail := a.authed(ctx, request{method: http.MethodPost, nsid: "com.atproto.repo.uploadBlob", body: f.Data,
		ctype: f.ContentType, shown: fmt.Appendf(nil, "(%s, %s, %d bytes)", f.Name, f.ContentType, len(f.Data))})
	if fail != nil {
		return nil, fail
	}
	if resp.Status != http.StatusOK {
		r := a.failure(resp, "uploadBlob "+src)
		return nil, &r
	}
	var ans struct {
		Blob json.RawMessage `json:"blob"`
	}
	if err := json.Unmarshal(resp.Body, &ans); err != nil || len(ans.Blob) == 0 || string(ans.Blob) == "null" {
		r := a.result(herald.OutcomeRetry, "uploadBlob: the PDS's answer has no blob")
		return nil, &r
	}
	return ans.Blob, nil
}

var urlRe = regexp.MustCompile(`https?://[^\s<>"]+`)

// facet is an app.bsky.richtext.facet.
type facet struct {
	Index    facetIndex       `json:"index"`
	Features []map[string]any `json:"features"`
}

type facetIndex struct {
	ByteStart int `json:"byteStart"`
	ByteEnd   int `json:"byteEnd"`
}

// linkFacets finds the http(s) links of text (without trailing
// punctuation) and returns a link facet for each, with UTF-8 byte offsets,
// end exclusive.
func linkFacets(text string) []facet {
	var out []facet
	for _, loc := range urlRe.FindAllStringIndex(text, -1) {
		end := loc[1]
		for end > loc[0] && strings.ContainsRune(".,;:!?)]}'", rune(text[end-1])) {
			if text[end-1] == ')' && strings.Count(text[loc[0]:end], "(") >= strings.Count(text[loc[0]:end], ")") {
				break // a balanced parenthesis belongs to the URL (Wikipedia links)
			}
			end--
		}
		out = append(out, facet{Index: facetIndex{ByteStart: loc[0], ByteEnd: end},
			Features: []map[string]any{{"$type": "app.bsky.richtext.facet#link", "uri": text[loc[0]:end]}}})
	}
	return out
}

// cardLink is the link a card is made for: the message's link, else the
// first link of the text, else "".
func cardLink(m herald.Message, facets []facet) string {
	if m.Link != "" {
		return m.Link
	}
	if len(facets) > 0 {
		return facets[0].Features[0]["uri"].(string)
	}
	return ""
}
