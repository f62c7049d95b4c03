package vk

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/httpcall"
	"github.com/heraldhq/herald/publishers/internal/ratelimit"
)

// conversation is one Publish, Check or Reconcile talking to VK: it paces
// the calls and keeps a summary of each for the Result.
type conversation struct {
	p       *Publisher
	base    string
	version string
	token   string
	owner   int64
	key     string          // the rate limiter's key: one per token
	lim     *ratelimit.Call // this conversation's use of p.limits
	// wait makes a pace delay a pause instead of a throttled retry: set
	// once the conversation has done something a retry would redo.
	wait      bool
	uploadURL string // from photos.getWallUploadServer, once per conversation
	calls     []string
	last      *httpcall.Response
}

func (c *conversation) redact(s string) string { return httpcall.Redact(s, c.token) }

// result builds a Result carrying the conversation so far.
func (c *conversation) result(o herald.Outcome, reason string) *herald.Result {
	r := httpcall.NewResult(o, reason, c.calls, c.last)
	return &r
}

// throttled is a throttled retry after d, with the pause fed to the limiter.
func (c *conversation) throttled(d time.Duration, reason string) *herald.Result {
	r := c.result(herald.OutcomeRetry, reason)
	c.lim.Throttle(c.key, r, d)
	return r
}

// limit is the pace of calls with the conversation's token.
func (c *conversation) limit() ratelimit.Limit {
	return ratelimit.Limit{Key: c.key, Every: c.p.opts.RateEvery, Burst: c.p.opts.RateBurst}
}

// params builds url.Values from key, value pairs.
func params(kv ...any) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(fmt.Sprint(kv[i]), fmt.Sprint(kv[i+1]))
	}
	return v
}

// apiError is VK's error object.
type apiError struct {
	Code int    `json:"error_code"`
	Msg  string `json:"error_msg"`
}

// pace waits for the limiter's slot: nil when the call may go now, or the
// Result that ends the conversation.
func (c *conversation) pace(ctx context.Context) *herald.Result {
	for {
		d := c.lim.DelayAll(c.limit())
		if d == 0 {
			return nil
		}
		if !c.wait || d > MaxInlineWait {
			r := c.result(herald.OutcomeRetry, fmt.Sprintf("holding to VK's pace for this token (3 requests a second): next call in %s", d))
			r.Throttled, r.RetryAfter = true, d
			return r
		}
		if err := c.p.opts.Wait(ctx, d); err != nil {
			return c.result(herald.OutcomeRetry, "stopped waiting for VK's pace: "+err.Error())
		}
	}
}

// method calls one VK API method (POST, form-encoded, token in the
// Authorization header) and decodes the answer's "response" into out. It
// returns nil on success, or the classified Result. A "too many requests
// per second" answer in a conversation that already acted is waited out
// and the call made again, up to twice.
func (c *conversation) method(ctx context.Context, name string, form url.Values, out any) *herald.Result {
	form = maps.Clone(form)
	if form == nil {
		form = url.Values{}
	}
	form.Set("v", c.version)
	u := c.base + "/method/" + name
	body := form.Encode()
	for again := 0; ; again++ {
		if r := c.pace(ctx); r != nil {
			return r
		}
		c.calls = append(c.calls, httpcall.Summary(http.MethodPost, u, []byte(body)))
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(body))
		if err != nil {
			return c.result(herald.OutcomeFailed, "invalid config.base_url: "+err.Error())
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Bearer "+c.token)
		resp, _, err := httpcall.Do(c.p.client, req, 4<<20)
		c.last = resp
		if err != nil {
			// Every call Herald makes is safe to repeat: wall.post carries its guid.
			o := herald.OutcomeRetry
			if httpcall.Stopped(err) {
				o = herald.OutcomeFailed
			}
			return c.result(o, "no answer from VK: "+httpcall.ErrorText(err, u, c.token))
		}
		if resp.Status != http.StatusOK {
			o := herald.OutcomeFailed
			if resp.Status >= 500 || resp.Status == http.StatusTooManyRequests {
				o = herald.OutcomeRetry
			}
			return c.result(o, fmt.Sprintf("VK answered HTTP %d %s to %s", resp.Status, http.StatusText(resp.Status), name))
		}
		var env struct {
			Response json.RawMessage `json:"response"`
			Error    *apiError       `json:"error"`
		}
		if err := json.Unmarshal(resp.Body, &env); err != nil || (env.Error == nil && len(env.Response) == 0) {
			return c.result(herald.OutcomeRetry, "VK's answer to "+name+" is not an API answer")
		}
		if e := env.Error; e != nil {
			if e.Code == 6 && c.wait && again < 2 {
				c.lim.BlockFor(c.key, TooManyRequestsWait)
				continue
			}
			return c.classify(name, e)
		}
		if out != nil {
			if err := json.Unmarshal(env.Response, out); err != nil {
				return c.result(herald.OutcomeRetry, fmt.Sprintf("VK's answer to %s is not what it documents: %v", name, err))
			}
		}
		return nil
	}
}

// classify maps a VK error code to an outcome (the package doc's table).
func (c *conversation) classify(method string, e *apiError) *herald.Result {
	msg := fmt.Sprintf("VK error %d: %s", e.Code, e.Msg)
	switch e.Code {
	case 1, 10:
		return c.result(herald.OutcomeRetry, msg)
	case 5:
		return c.result(herald.OutcomeReauth, msg+" (VK refused the access token: reauthorize the channel)")
	case 27:
		return c.result(herald.OutcomeReauth, msg+" (a community token cannot post: give the channel a community admin's user token)")
	case 6:
		return c.throttled(TooManyRequestsWait, msg)
	case 9:
		return c.throttled(FloodControlWait, msg+" (flood control: waiting before posting again)")
	case 29:
		return c.throttled(RateLimitWait, msg+" (the method's quota is used up)")
	case 14:
		return c.result(herald.OutcomeFailed, "captcha required: post it by hand or lower the rate ("+msg+")")
	}
	return c.result(herald.OutcomeFailed, msg+" (in "+method+")")
}

// publish runs the whole flow: photos, then wall.post.
func (c *conversation) publish(ctx context.Context, req herald.PublishRequest) herald.Result {
	if c.owner == 0 || c.token == "" {
		return herald.Result{Outcome: herald.OutcomeFailed, Reason: "the channel has no valid owner_id or access_token configured"}
	}
	if n := len(req.Message.Media); n > MaxPhotos {
		return herald.Result{Outcome: herald.OutcomeFailed, Reason: fmt.Sprintf("a VK post holds at most %d photos; this one has %d", MaxPhotos, n)}
	}
	var atts []string
	for _, src := range req.Message.Media {
		a, fail := c.photo(ctx, src)
		if fail != nil {
			return *fail
		}
		atts = append(atts, a)
	}
	if req.Message.Link != "" {
		atts = append(atts, req.Message.Link)
	}
	form := params("owner_id", c.owner, "message", req.Message.Text, "guid", GUID(req))
	if c.owner < 0 {
		form.Set("from_group", "1")
	}
	if len(atts) > 0 {
		form.Set("attachments", strings.Join(atts, ","))
	}
	var answer struct {
		PostID int64 `json:"post_id"`
	}
	if fail := c.method(ctx, "wall.post", form, &answer); fail != nil {
		if fail.Outcome == herald.OutcomeRetry && !fail.Throttled {
			fail.Reason += " (retried with the same guid, which VK honours for an hour)"
		}
		return *fail
	}
	if answer.PostID == 0 {
		return *c.result(herald.OutcomeRetry, "VK's answer to wall.post has no post_id; retried with the same guid")
	}
	r := c.result(herald.OutcomePublished, "")
	r.RemoteID, r.URL = strconv.FormatInt(answer.PostID, 10), PostURL(c.owner, answer.PostID)
	return *r
}

type group struct {
	ID      int64  `json:"id"`
	Name    string `json:"name"`
	IsAdmin *int   `json:"is_admin"`
}

// groups reads groups.getById's answer, {"groups": […], "profiles": […]}
// since API 5.194; nil for another shape.
func groups(raw json.RawMessage) []group {
	var obj struct {
		Groups []group `json:"groups"`
	}
	json.Unmarshal(raw, &obj)
	return obj.Groups
}
