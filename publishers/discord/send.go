package discord

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/httpcall"
	"github.com/heraldhq/herald/publishers/internal/media"
	"github.com/heraldhq/herald/publishers/internal/ratelimit"
)

// call is one Publish or Check against one webhook.
type call struct {
	p     *Publisher
	hook  *url.URL
	token string
	key   string          // the limiter key
	lim   *ratelimit.Call // Publish's use of p.limits (nil in Check, which blocks nothing)
	calls []string
}

func (c *call) redact(s string) string {
	return httpcall.Redact(s, c.hook.String(), c.token)
}

// shown is the webhook URL as recorded: the token replaced.
func (c *call) shown(u *url.URL) string {
	return strings.Replace(u.String(), "/"+c.token, "/<redacted>", 1)
}

type attachment struct {
	ID       int    `json:"id"`
	Filename string `json:"filename"`
}

type payload struct {
	Content     string       `json:"content,omitempty"`
	Username    string       `json:"username,omitempty"`
	AvatarURL   string       `json:"avatar_url,omitempty"`
	Attachments []attachment `json:"attachments,omitempty"`
}

type messageObject struct {
	ID        string `json:"id"`
	ChannelID string `json:"channel_id"`
	GuildID   string `json:"guild_id"`
}

type webhookObject struct {
	ID        string  `json:"id"`
	GuildID   *string `json:"guild_id"`
	ChannelID string  `json:"channel_id"`
}

func (c *call) result(o herald.Outcome, reason string, resp *httpcall.Response) herald.Result {
	res := httpcall.NewResult(o, reason, c.calls, resp)
	httpcall.Finish(&res, c.redact)
	return res
}

// execute downloads the media, posts the message with ?wait=true and
// classifies the answer.
func (c *call) execute(ctx context.Context, req herald.PublishRequest) herald.Result {
	ch := req.Channel
	pl := payload{Content: req.Message.Body(), Username: ch.ConfigString("username"), AvatarURL: ch.ConfigString("avatar_url")}
	var files []media.File
	for i, src := range req.Message.Media {
		f, err := media.Fetch(ctx, c.p.client, src, media.Options{MaxBytes: c.p.opts.MaxMediaBytes,
			Accept: []string{"image/", "video/"}})
		if err != nil {
			o := media.Outcome(err)
			return c.result(o, fmt.Sprintf("media %s: %v", src, err), nil)
		}
		c.calls = append(c.calls, fmt.Sprintf("GET %s → %s, %d bytes", src, f.ContentType, len(f.Data)))
		files = append(files, f)
		pl.Attachments = append(pl.Attachments, attachment{ID: i, Filename: f.Name})
	}
	body, ctype, shownBody, err := encode(pl, files)
	if err != nil {
		return c.result(herald.OutcomeFailed, "encoding the message: "+err.Error(), nil)
	}
	u := *c.hook
	q := u.Query()
	q.Set("wait", "true")
	u.RawQuery = q.Encode()
	c.calls = append(c.calls, httpcall.Summary(http.MethodPost, c.shown(&u), shownBody))
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return c.result(herald.OutcomeFailed, "invalid credentials.webhook_url", nil)
	}
	hreq.Header.Set("Content-Type", ctype)
	resp, sent, err := httpcall.Do(c.p.client, hreq, 1<<20)
	if err != nil {
		text := httpcall.ErrorText(err, c.shown(&u), c.token)
		switch {
		case httpcall.Stopped(err):
			return c.result(herald.OutcomeFailed, "Discord was not called: "+text, resp)
		case resp != nil && resp.Status >= 500:
			return c.result(herald.OutcomeRetry, fmt.Sprintf("Discord answered %d: %s", resp.Status, text), resp)
		case !sent:
			return c.result(herald.OutcomeRetry, "the request never reached Discord: "+text, resp)
		}
		return c.result(herald.OutcomeUnknown, "no answer from Discord, the message may have been posted: "+text, resp)
	}
	c.noteRateHeaders(resp.Header)
	return c.classify(ctx, ch, resp)
}

// encode builds a JSON body, or multipart payload_json + files[n] when
// there are files. shown is the body as recorded (files summarised).
func encode(pl payload, files []media.File) (body []byte, ctype string, shown []byte, err error) {
	js, err := json.Marshal(pl)
	if err != nil {
		return nil, "", nil, err
	}
	if len(files) == 0 {
		return js, "application/json", js, nil
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="payload_json"`)
	h.Set("Content-Type", "application/json")
	part, _ := mw.CreatePart(h)
	part.Write(js)
	shown = append([]byte("multipart payload_json="), js...)
	for i, f := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="files[%d]"; filename=%q`, i, f.Name))
		h.Set("Content-Type", f.ContentType)
		part, _ := mw.CreatePart(h)
		part.Write(f.Data)
		shown = fmt.Appendf(shown, " files[%d]=%s (%s, %d bytes)", i, f.Name, f.ContentType, len(f.Data))
	}
	if err := mw.Close(); err != nil {
		return nil, "", nil, err
	}
	return buf.Bytes(), mw.FormDataContentType(), shown, nil
}

// classify turns Discord's answer to an execute into an outcome.
func (c *call) classify(ctx context.Context, ch herald.Channel, resp *httpcall.Response) herald.Result {
	switch s := resp.Status; {
	case s == http.StatusOK:
		var m messageObject
		if err := json.Unmarshal(resp.Body, &m); err != nil || m.ID == "" {
			r := c.result(herald.OutcomePublished, "Discord answered 200 without a readable message id", resp)
			return r
		}
		r := c.result(herald.OutcomePublished, "", resp)
		r.RemoteID = m.ID
		guild := m.GuildID
		if guild == "" {
			guild = ch.ConfigString("guild_id")
		}
		if guild == "" {
			// One cheap read of the webhook object tells the guild; stored for later posts.
			if wh, wresp, err := c.webhook(ctx); err == nil && wresp.Status == http.StatusOK && wh.GuildID != nil && *wh.GuildID != "" {
				guild = *wh.GuildID
				r.ConfigUpdate = map[string]any{"guild_id": guild}
			}
		}
		if guild != "" && m.ChannelID != "" {
			r.URL = "https://discord.com/channels/" + guild + "/" + m.ChannelID + "/" + m.ID
		}
		return r
	case s == http.StatusNoContent:
		return c.result(herald.OutcomePublished, "Discord answered 204 without the message (was ?wait=true dropped?); no id", resp)
	case s == http.StatusTooManyRequests:
		r := c.result(herald.OutcomeRetry, errorText(resp), resp)
		c.lim.Throttle(c.key, &r, retryAfter(resp))
		if r.RetryAfter > 0 {
			r.Reason += fmt.Sprintf(" (retry after %s)", r.RetryAfter)
		}
		return r
	case s == http.StatusUnauthorized:
		return c.result(herald.OutcomeReauth, errorText(resp)+" (Discord refused the webhook token: put a current webhook URL in credentials.webhook_url)", resp)
	case s == http.StatusNotFound:
		return c.result(herald.OutcomeReauth, errorText(resp)+" (the webhook was deleted: create one and put its URL in credentials.webhook_url)", resp)
	case s >= 500:
		return c.result(herald.OutcomeRetry, errorText(resp), resp)
	case s >= 200 && s < 300:
		return c.result(herald.OutcomeUnknown, "unexpected answer from Discord: "+errorText(resp), resp)
	}
	return c.result(herald.OutcomeFailed, errorText(resp), resp)
}

// webhook reads the webhook object: GET <webhook_url>.
func (c *call) webhook(ctx context.Context) (webhookObject, *httpcall.Response, error) {
	var wh webhookObject
	u := *c.hook
	u.RawQuery = ""
	hreq, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return wh, nil, errors.New("invalid credentials.webhook_url")
	}
	resp, _, err := httpcall.Do(c.p.client, hreq, 1<<20)
	if err != nil {
		text := httpcall.ErrorText(err, c.shown(&u), c.token)
		if httpcall.Stopped(err) {
			return wh, resp, herald.Errorf(herald.EINVALID, "Discord was not called: %s", text)
		}
		return wh, resp, errors.New(text)
	}
	if resp.Status == http.StatusOK {
		json.Unmarshal(resp.Body, &wh)
	}
	return wh, resp, nil
}

// noteRateHeaders blocks the webhook until its bucket resets when Discord
// says no request is left in it.
func (c *call) noteRateHeaders(h http.Header) {
	if h.Get("X-RateLimit-Remaining") != "0" {
		return
	}
	if after, err := strconv.ParseFloat(h.Get("X-RateLimit-Reset-After"), 64); err == nil && after > 0 {
		c.lim.BlockFor(c.key, seconds(after))
	}
}

// retryAfter is the 429's float retry_after (seconds, JSON body), else its
// Retry-After or X-RateLimit-Reset-After header.
func retryAfter(resp *httpcall.Response) time.Duration {
	var e struct {
		RetryAfter float64 `json:"retry_after"`
	}
	if json.Unmarshal(resp.Body, &e) == nil && e.RetryAfter > 0 {
		return seconds(e.RetryAfter)
	}
	for _, h := range []string{"Retry-After", "X-RateLimit-Reset-After"} {
		if f, err := strconv.ParseFloat(resp.Header.Get(h), 64); err == nil && f > 0 {
			return seconds(f)
		}
	}
	return 0
}

// seconds converts float seconds to a Duration, rounded up to the millisecond.
func seconds(f float64) time.Duration {
	return time.Duration(math.Ceil(f*1000)) * time.Millisecond
}

// errorText is Discord's "message (code)" with any field errors, or the
// status and a short body.
func errorText(resp *httpcall.Response) string {
	var e struct {
		Message string         `json:"message"`
		Code    int            `json:"code"`
		Global  bool           `json:"global"`
		Errors  map[string]any `json:"errors"`
	}
	if json.Unmarshal(resp.Body, &e) == nil && e.Message != "" {
		text := e.Message
		if e.Code != 0 {
			text += fmt.Sprintf(" (code %d)", e.Code)
		}
		if e.Global {
			text += " (global)"
		}
		var fields []string
		fieldErrors("", e.Errors, &fields)
		if len(fields) > 0 {
			text += ": " + strings.Join(fields, "; ")
		}
		return text
	}
	return httpcall.BodyText(resp)
}

// fieldErrors flattens Discord's nested {"field": {"_errors": [{message}]}}.
func fieldErrors(path string, m map[string]any, out *[]string) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch v := m[k].(type) {
		case []any:
			if k != "_errors" {
				continue
			}
			for _, item := range v {
				if e, ok := item.(map[string]any); ok {
					*out = append(*out, fmt.Sprintf("%s: %v", path, e["message"]))
				}
			}
		case map[string]any:
			p := k
			if path != "" {
				p = path + "." + k
			}
			fieldErrors(p, v, out)
		}
	}
}
