package vk

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald"
)

// ReconcileCount is how many of the wall's latest posts Reconcile reads.
const ReconcileCount = 20

type wallPost struct {
	ID          int64  `json:"id"`
	OwnerID     int64  `json:"owner_id"`
	Date        int64  `json:"date"`
	Text        string `json:"text"`
	Attachments []struct {
		Type string `json:"type"`
		Link *struct {
			URL string `json:"url"`
		} `json:"link"`
	} `json:"attachments"`
}

// matches reports whether p is what Publish would have posted for m.
func (p wallPost) matches(m herald.Message) bool {
	if strings.TrimSpace(p.Text) != strings.TrimSpace(m.Text) {
		return false
	}
	photos, link := 0, false
	for _, a := range p.Attachments {
		switch a.Type {
		case "photo":
			photos++
		case "link":
			link = true
		}
	}
	return photos == len(m.Media) && link == (m.Link != "")
}

// Reconcile looks for req's post among the wall's latest ReconcileCount
// posts (wall.get): one dated at or after since with req's text, as many
// photos and a link attachment when req has a link. found is false when
// none matches, or when several do (it cannot tell which is the
// delivery's). err reports a failed lookup (VK's reason, or a channel
// without owner_id or access_token).
func (p *Publisher) Reconcile(ctx context.Context, req herald.PublishRequest, since time.Time) (res herald.Result, found bool, err error) {
	c := p.conversation(&req.Channel, req.Blocks)
	if c.owner == 0 || c.token == "" {
		return herald.Result{}, false, errors.New("vk reconcile: the channel has no valid owner_id or access_token configured")
	}
	c.wait = true
	var wall struct {
		Items []wallPost `json:"items"`
	}
	if r := c.method(ctx, "wall.get", params("owner_id", c.owner, "count", ReconcileCount), &wall); r != nil {
		return herald.Result{}, false, errors.New("vk reconcile: wall.get: " + c.redact(r.Reason))
	}
	var match *wallPost
	for i, post := range wall.Items {
		if post.Date < since.Unix() || !post.matches(req.Message) {
			continue
		}
		if match != nil {
			return herald.Result{}, false, nil
		}
		match = &wall.Items[i]
	}
	if match == nil {
		return herald.Result{}, false, nil
	}
	r := c.result(herald.OutcomePublished, "")
	r.RemoteID, r.URL = strconv.FormatInt(match.ID, 10), PostURL(c.owner, match.ID)
	r.Request, r.Response = c.redact(r.Request), c.redact(r.Response)
	return *r, true, nil
}
