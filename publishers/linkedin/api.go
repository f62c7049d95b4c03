package linkedin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/httpcall"
	"github.com/heraldhq/herald/publishers/internal/ratelimit"
)

// conv is one Publish or Check talking to LinkedIn: the channel's
// settings and a summary of every request for the Result.
type conv struct {
	p       *Publisher
	base    string
	version string
	author  string
	token   string
	key     string          // the channel's key in p.limits
	lim     *ratelimit.Call // this conversation's use of p.limits
	calls   []string
	last    *httpcall.Response
}

// limit is what the channel's calls obey: LinkedIn names no pace, only
// waits, which block the channel.
func (c *conv) limit() ratelimit.Limit { return ratelimit.Limit{Key: c.key} }

// conv starts a conversation on ch, with blocks (PublishRequest.Blocks)
// imported into the publisher's limits.
func (p *Publisher) conv(ch *herald.Channel, blocks map[string]time.Time) *conv {
	c := &conv{p: p, lim: p.limits.Begin(blocks), base: strings.TrimRight(ch.ConfigString("base_url"), "/"),
		version: ch.ConfigString("linkedin_version"), author: ch.ConfigString("author"),
		token: ch.Credentials["access_token"], key: limitKey(ch)}
	if c.base == "" {
		c.base = DefaultBaseURL
	}
	if c.version == "" {
		c.version = DefaultVersion
	}
	return c
}

// result builds a Result carrying the conversation so far.
func (c *conv) result(o herald.Outcome, reason string) herald.Result {
	return httpcall.NewResult(o, reason, c.calls, c.last)
}

func (c *conv) fail(o herald.Outcome, format string, args ...any) *herald.Result {
	r := c.result(o, fmt.Sprintf(format, args...))
	return &r
}

// finish scrubs the token from res.
func (c *conv) finish(res *herald.Result) {
	httpcall.Finish(res, func(s string) string { return httpcall.Redact(s, c.token) })
}

// answer is one exchange: the response, or the transport error and
// whether the request may have reached LinkedIn.
type answer struct {
	resp *httpcall.Response
	sent bool
	err  error
}

// send makes one request with the token and LinkedIn's headers; shown is
// the body as recorded (nil for image bytes, described by the caller).
func (c *conv) send(ctx context.Context, method, u, contentType string, body, shown []byte) answer {
	c.calls = append(c.calls, httpcall.Summary(method, u, shown))
	hreq, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return answer{err: fmt.Errorf("invalid config.base_url: %w", err)}
	}
	hreq.Header.Set("Authorization", "Bearer "+c.token)
	hreq.Header.Set("LinkedIn-Version", c.version)
	hreq.Header.Set("X-Restli-Protocol-Version", ProtocolVersion)
	if contentType != "" {
		hreq.Header.Set("Content-Type", contentType)
	}
	resp, sent, err := httpcall.Do(c.p.client, hreq, 1<<20)
	c.last = resp
	if err == nil {
		c.calls[len(c.calls)-1] += fmt.Sprintf(" → %d", resp.Status)
	}
	return answer{resp: resp, sent: sent, err: err}
}

// apiError is LinkedIn's error body.
type apiError struct {
	Status           int    `json:"status"`
	Message          string `json:"message"`
	Code             string `json:"code"`
	ServiceErrorCode int    `json:"serviceErrorCode"`
	ErrorDetails     struct {
		InputErrors []struct {
			Code        string `json:"code"`
			Description string `json:"description"`
		} `json:"inputErrors"`
	} `json:"errorDetails"`
}

// codes lists the error's codes: its own and its input errors'.
func (e apiError) codes() []string {
	out := []string{}
	if e.Code != "" {
		out = append(out, e.Code)
	}
	for _, ie := range e.ErrorDetails.InputErrors {
		if ie.Code != "" {
			out = append(out, ie.Code)
		}
	}
	return out
}

func (e apiError) has(code string) bool {
	for _, c := range e.codes() {
		if c == code {
			return true
		}
	}
	return false
}

// text is the error's message for a reason: LinkedIn's message and codes,
// or the raw body when it is not LinkedIn's JSON.
func errorText(resp *httpcall.Response) (apiError, string) {
	var e apiError
	if json.Unmarshal(resp.Body, &e) != nil || (e.Message == "" && len(e.codes()) == 0) {
		return e, httpcall.BodyText(resp)
	}
	msg := fmt.Sprintf("HTTP %d", resp.Status)
	if codes := e.codes(); len(codes) > 0 {
		msg += " " + strings.Join(codes, ", ")
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return e, msg
}

var existingRe = regexp.MustCompile(`urn:li:(share|ugcPost|activity):[0-9]+`)

// failure classifies an answer that is not a success; what names the call
// ("posting", "uploading image …") in the reason.
func (c *conv) failure(resp *httpcall.Response, what string) herald.Result {
	e, msg := errorText(resp)
	switch s := resp.Status; {
	case s == http.StatusUnauthorized:
		return c.result(herald.OutcomeReauth, "LinkedIn rejected the access token, reauthorize the channel ("+what+"): "+msg)
	case s == http.StatusUnprocessableEntity && e.has("DUPLICATE_POST"):
		reason := "LinkedIn refused a duplicate post"
		if urn := existingRe.FindString(e.Message); urn != "" {
			reason = "already published as " + urn + " (" + PostURL(urn) + "); LinkedIn refused the duplicate"
		}
		return c.result(herald.OutcomeFailed, reason+": "+msg)
	case s == http.StatusTooManyRequests:
		return c.throttled(resp.Header, what+": "+msg)
	case s >= 500:
		return c.result(herald.OutcomeRetry, what+": "+msg)
	}
	return c.result(herald.OutcomeFailed, what+": "+msg)
}

// throttled is a throttled retry after Retry-After (when LinkedIn sends
// it) or the publisher's ThrottleWait, which also blocks the channel's
// limiter so that its other deliveries wait without calling.
func (c *conv) throttled(h http.Header, reason string) herald.Result {
	wait := httpcall.RetryAfter(h, c.p.opts.Now())
	if wait <= 0 {
		wait = c.p.opts.ThrottleWait
	}
	r := c.result(herald.OutcomeRetry, "LinkedIn is throttling ("+reason+"); waiting "+wait.String())
	c.lim.Throttle(c.key, &r, wait)
	return r
}

// check calls GET /v2/userinfo and compares its sub with a person author.
func (c *conv) check(ctx context.Context) error {
	u := c.base + "/v2/userinfo"
	a := c.send(ctx, http.MethodGet, u, "", nil, nil)
	if a.err != nil {
		return httpcall.CheckError(httpcall.Unanswered(a.err), "no answer from LinkedIn: "+httpcall.ErrorText(a.err, u, c.token))
	}
	if a.resp.Status != http.StatusOK {
		r := c.failure(a.resp, "GET /v2/userinfo") // Publish's classification, so both agree
		return httpcall.CheckError(r.Outcome, httpcall.Redact(r.Reason, c.token))
	}
	var info struct {
		Sub  string `json:"sub"`
		Name string `json:"name"`
	}
	if err := json.Unmarshal(a.resp.Body, &info); err != nil || info.Sub == "" {
		return herald.Errorf(herald.EUNAVAILABLE, "LinkedIn's answer to /v2/userinfo is not what it documents")
	}
	if person, ok := strings.CutPrefix(c.author, "urn:li:person:"); ok && person != info.Sub {
		return herald.Errorf(herald.EINVALID, "the access token belongs to urn:li:person:%s (%s), not to the author %s: LinkedIn would refuse its posts",
			info.Sub, info.Name, c.author)
	}
	return nil
}

// errText describes a's transport error without the token.
func (c *conv) errText(a answer, u string) string { return httpcall.ErrorText(a.err, u, c.token) }
