package container

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald"
)

// query builds url.Values from key, value pairs.
func query(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// status reads a container's status (IN_PROGRESS, FINISHED, PUBLISHED,
// ERROR, EXPIRED).
func (c *conv) status(ctx context.Context, id string) (string, *herald.Result) {
	field := c.e.spec.StatusField
	var got map[string]any
	if r := c.call(ctx, http.MethodGet, id, query("fields", "id,"+field), &got); r != nil {
		return "", r
	}
	s, _ := got[field].(string)
	if s == "" {
		return "", c.result(herald.OutcomeRetry, fmt.Sprintf("%s's answer about the container %s has no %s", c.e.spec.Name, id, field))
	}
	return s, nil
}

// create makes the post's container — a text or single-image one, or a
// carousel after its children — and returns its id.
func (c *conv) create(ctx context.Context, m herald.Message) (string, *herald.Result) {
	s := c.e.spec
	text := m.Body()
	one := func(p url.Values) (string, *herald.Result) {
		var got struct {
			ID string `json:"id"`
		}
		if r := c.call(ctx, http.MethodPost, c.conn.User+"/"+s.CreatePath, p, &got); r != nil {
			return "", r
		}
		if got.ID == "" {
			return "", c.result(herald.OutcomeRetry, fmt.Sprintf("%s's answer to %s has no container id", s.Name, s.CreatePath))
		}
		return got.ID, nil
	}
	image := func(src string) url.Values {
		p := query("image_url", src)
		if s.ImageType {
			p.Set("media_type", "IMAGE")
		}
		return p
	}
	withText := func(p url.Values) url.Values {
		if strings.TrimSpace(text) != "" {
			p.Set(s.TextParam, text)
		}
		return p
	}
	switch len(m.Media) {
	case 0:
		return one(withText(query("media_type", "TEXT")))
	case 1:
		return one(withText(image(m.Media[0])))
	}
	children := make([]string, 0, len(m.Media))
	for _, src := range m.Media {
		p := image(src)
		p.Set("is_carousel_item", "true")
		id, r := one(p)
		if r != nil {
			return "", r
		}
		children = append(children, id)
	}
	return one(withText(query("media_type", "CAROUSEL", "children", strings.Join(children, ","))))
}

// waitFinished polls the container until FINISHED (nil), waiting
// PollEvery between polls and at most MaxPollWait in all; still
// IN_PROGRESS then, it retries after DefaultInProgress (the stored container is
// resumed). status is the container's status when already read. A
// container found PUBLISHED gives findPublished's Result.
func (c *conv) waitFinished(ctx context.Context, req herald.PublishRequest, id, status string) *herald.Result {
	o := c.e.opts
	for waited := 0 * o.PollEvery; ; waited += o.PollEvery {
		if status == "" {
			var r *herald.Result
			if status, r = c.status(ctx, id); r != nil {
				return r
			}
		}
		switch status {
		case StatusFinished:
			return nil
		case StatusPublished:
			r := c.findPublished(ctx, req, id)
			return &r
		case StatusError, StatusExpired:
			return c.result(herald.OutcomeFailed, fmt.Sprintf("%s could not make the post: container %s is %s", c.e.spec.Name, id, status))
		}
		if waited+o.PollEvery > o.MaxPollWait {
			r := c.result(herald.OutcomeRetry, fmt.Sprintf("%s is still processing the container %s after %s (%s); trying again later", c.e.spec.Name, id, waited, status))
			r.RetryAfter = DefaultInProgress
			return r
		}
		if err := o.Wait(ctx, o.PollEvery); err != nil {
			return c.result(herald.OutcomeRetry, fmt.Sprintf("stopped waiting for the container %s: %v", id, err))
		}
		status = ""
	}
}

// quota checks the publishing cap: a throttled retry after DefaultQuotaWait when
// the rolling 24 hours' posts reached it. A cap that can't be read is not
// checked (the publish call enforces it), unless the read was refused for
// the credentials or throttled.
func (c *conv) quota(ctx context.Context) *herald.Result {
	var got struct {
		Data []struct {
			Usage  int `json:"quota_usage"`
			Config struct {
				Total int `json:"quota_total"`
			} `json:"config"`
		} `json:"data"`
	}
	if r := c.call(ctx, http.MethodGet, c.conn.User+"/"+c.e.spec.LimitPath, query("fields", "quota_usage,config"), &got); r != nil {
		if r.Outcome == herald.OutcomeReauth || r.Throttled {
			return r
		}
		return nil
	}
	if len(got.Data) == 0 {
		return nil
	}
	total := got.Data[0].Config.Total
	if total <= 0 {
		total = c.e.spec.QuotaTotal
	}
	if total > 0 && got.Data[0].Usage >= total {
		return c.throttled(DefaultQuotaWait, fmt.Sprintf("%s's publishing cap is reached: %d of %d posts in the last 24 hours; trying again in %s",
			c.e.spec.Name, got.Data[0].Usage, total, DefaultQuotaWait))
	}
	return nil
}

// findPublished looks for the post of a container an earlier attempt
// published (its answer lost) among the account's RecentPosts posts, by
// text: published when one matches, unknown when none does.
func (c *conv) findPublished(ctx context.Context, req herald.PublishRequest, container string) herald.Result {
	item, ok, r := c.find(ctx, req.Message.Body(), time.Time{})
	if r != nil {
		r.Outcome = herald.OutcomeUnknown
		r.Reason = fmt.Sprintf("the container %s is already published, but its post could not be looked up: %s", container, r.Reason)
		return *r
	}
	if !ok {
		return *c.result(herald.OutcomeUnknown, fmt.Sprintf("the container %s is already published, but its post is not among the %d most recent ones", container, RecentPosts))
	}
	return c.published(ctx, item.id, item.permalink)
}

type recent struct{ id, permalink string }

// find looks among the account's RecentPosts posts for the newest one
// whose text is text (spaces around it aside), published at or after since
// when since is set.
func (c *conv) find(ctx context.Context, text string, since time.Time) (recent, bool, *herald.Result) {
	s := c.e.spec
	var got struct {
		Data []map[string]any `json:"data"`
	}
	p := query("fields", "id,"+s.TextParam+",permalink,timestamp", "limit", strconv.Itoa(RecentPosts))
	if r := c.call(ctx, http.MethodGet, c.conn.User+"/"+s.ListPath, p, &got); r != nil {
		return recent{}, false, r
	}
	want := strings.TrimSpace(text)
	for _, item := range got.Data {
		body, _ := item[s.TextParam].(string)
		id, _ := item["id"].(string)
		if id == "" || strings.TrimSpace(body) != want {
			continue
		}
		if !since.IsZero() {
			ts, _ := item["timestamp"].(string)
			at, err := time.Parse("2006-01-02T15:04:05-0700", ts)
			if err != nil || at.Before(since) {
				continue
			}
		}
		link, _ := item["permalink"].(string)
		return recent{id, link}, true, nil
	}
	return recent{}, false, nil
}

// Reconcile looks for an unknown delivery's post (publishers.Reconciler). With a
// stored container id, the container's status decides: anything but
// PUBLISHED means the post was not made (found is false); PUBLISHED is
// matched by text among the recent posts. Without one, the recent posts
// published at or after since are matched by text. err reports a lookup
// that failed, with the token scrubbed.
func (e *Publisher) Reconcile(ctx context.Context, req herald.PublishRequest, since time.Time) (herald.Result, bool, error) {
	c := e.conv(e.spec.Conn(&req.Channel), req.Blocks)
	fail := func(r *herald.Result) (herald.Result, bool, error) {
		return herald.Result{}, false, fmt.Errorf("%s", c.redact(r.Reason))
	}
	if id := req.State[StateContainer]; id != "" {
		status, r := c.status(ctx, id)
		if r != nil {
			return fail(r)
		}
		if status != StatusPublished {
			return herald.Result{}, false, nil
		}
		since = time.Time{}
	}
	item, ok, r := c.find(ctx, req.Message.Body(), since)
	if r != nil {
		return fail(r)
	}
	if !ok {
		return herald.Result{}, false, nil
	}
	res := c.published(ctx, item.id, item.permalink)
	res.Request, res.Response, res.Reason = c.redact(res.Request), c.redact(res.Response), c.redact(res.Reason)
	return res, true, nil
}
