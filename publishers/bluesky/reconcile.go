package bluesky

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald"
)

// ReconcilePages bounds how many pages of 100 records Reconcile reads.
const ReconcilePages = 5

type listedRecord struct {
	URI   string `json:"uri"`
	Value struct {
		Text      string `json:"text"`
		CreatedAt string `json:"createdAt"`
		Embed     *struct {
			Images []json.RawMessage `json:"images"`
		} `json:"embed"`
	} `json:"value"`
}

// Reconcile looks for the delivery's post among the account's posts with
// com.atproto.repo.listRecords (app.bsky.feed.post, newest record keys
// first, up to ReconcilePages pages): the record under RecordKey of the
// delivery, or one whose text is req.Message.Body(), with as many images
// as the message has media, created at or after since. found is false when
// none is there; err reports a lookup that failed (an *herald.Error:
// EUNAUTHORIZED, EUNAVAILABLE or EINVALID with the PDS's reason).
func (p *Publisher) Reconcile(ctx context.Context, req herald.PublishRequest, since time.Time) (herald.Result, bool, error) {
	a := p.api(req.Channel, req.Blocks)
	rkey := RecordKey(idempotencyKey(req))
	body := req.Message.Body()
	cursor := ""
	for page := 0; page < ReconcilePages; page++ {
		if a.sess == nil {
			if fail := a.session(ctx); fail != nil {
				return herald.Result{}, false, a.lookupError(fail)
			}
		}
		q := url.Values{"repo": {a.sess.did}, "collection": {PostCollection}, "limit": {strconv.Itoa(100)}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		resp, fail := a.authed(ctx, request{method: http.MethodGet, nsid: "com.atproto.repo.listRecords", query: q})
		if fail == nil && resp.Status != http.StatusOK {
			r := a.failure(resp, "listRecords")
			fail = &r
		}
		if fail != nil {
			return herald.Result{}, false, a.lookupError(fail)
		}
		var ans struct {
			Records []listedRecord `json:"records"`
			Cursor  string         `json:"cursor"`
		}
		if err := json.Unmarshal(resp.Body, &ans); err != nil {
			return herald.Result{}, false, herald.Errorf(herald.EUNAVAILABLE, "listRecords: unreadable answer: %v", err)
		}
		for _, rec := range ans.Records {
			if matches(rec, rkey, body, len(req.Message.Media), since) {
				r := herald.Result{Outcome: herald.OutcomePublished, RemoteID: rec.URI, URL: a.postURL(rec.URI),
					Reason: "found among the account's posts (listRecords)"}
				return r, true, nil
			}
		}
		if ans.Cursor == "" || len(ans.Records) == 0 {
			break
		}
		cursor = ans.Cursor
	}
	return herald.Result{}, false, nil
}

func matches(rec listedRecord, rkey, body string, images int, since time.Time) bool {
	if strings.HasSuffix(rec.URI, "/"+PostCollection+"/"+rkey) {
		return true
	}
	created, err := time.Parse(time.RFC3339Nano, rec.Value.CreatedAt)
	n := 0
	if rec.Value.Embed != nil {
		n = len(rec.Value.Embed.Images)
	}
	return err == nil && !created.Before(since) && rec.Value.Text == body && n == images
}

// lookupError turns a failed step of Reconcile into an *herald.Error.
func (a *api) lookupError(fail *herald.Result) error {
	a.scrub(fail)
	code := herald.EINVALID
	switch fail.Outcome {
	case herald.OutcomeReauth:
		code = herald.EUNAUTHORIZED
	case herald.OutcomeRetry, herald.OutcomeUnknown:
		code = herald.EUNAVAILABLE
	}
	return herald.Errorf(code, "%s", fail.Reason)
}
