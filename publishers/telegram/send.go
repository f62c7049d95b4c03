package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/httpcall"
)

// call sends Bot API methods for one bot.
type call struct {
	client *http.Client
	base   string
	token  string
}

func (c call) url(method string) string { return c.base + "/bot" + c.token + "/" + method }

// shownURL is the URL as recorded: the token replaced.
func (c call) shownURL(method string) string { return c.base + "/bot<redacted>/" + method }

func (c call) redact(s string) string { return httpcall.Redact(s, c.token) }

type inputMedia struct {
	Type      string `json:"type"`
	Media     string `json:"media"`
	Caption   string `json:"caption,omitempty"`
	ParseMode string `json:"parse_mode,omitempty"`
}

// payload picks the method for the message's shape and builds its body.
func payload(chat, parseMode string, m herald.Message) (string, map[string]any) {
	body := map[string]any{"chat_id": chatValue(chat)}
	switch len(m.Media) {
	case 0:
		body["text"] = m.Body()
		if parseMode != "" {
			body["parse_mode"] = parseMode
		}
		return "sendMessage", body
	case 1:
		body["photo"] = m.Media[0]
		if text := m.Body(); text != "" {
			body["caption"] = text
			if parseMode != "" {
				body["parse_mode"] = parseMode
			}
		}
		return "sendPhoto", body
	}
	items := make([]inputMedia, len(m.Media))
	for i, u := range m.Media {
		items[i] = inputMedia{Type: "photo", Media: u}
	}
	if text := m.Body(); text != "" {
		items[0].Caption, items[0].ParseMode = text, parseMode
	}
	body["media"] = items
	return "sendMediaGroup", body
}

// chatValue sends a numeric chat id as a JSON number, "@name" as a string.
func chatValue(chat string) any {
	if n, err := strconv.ParseInt(chat, 10, 64); err == nil {
		return n
	}
	return chat
}

type envelope struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  struct {
		RetryAfter      int   `json:"retry_after"`
		MigrateToChatID int64 `json:"migrate_to_chat_id"`
	} `json:"parameters"`
}

type message struct {
	MessageID int64 `json:"message_id"`
	Chat      struct {
		Username string `json:"username"`
	} `json:"chat"`
}

// send posts m to chat once. migrateTo is non-zero when Telegram answered
// that the chat became a supergroup with that id.
func (c call) send(ctx context.Context, chat, parseMode string, m herald.Message) (res herald.Result, migrateTo int64) {
	method, body := payload(chat, parseMode, m)
	b, err := json.Marshal(body)
	if err != nil {
		return herald.Result{Outcome: herald.OutcomeFailed, Reason: "encoding the request: " + err.Error()}, 0
	}
	res.Request = c.redact(httpcall.Summary(http.MethodPost, c.shownURL(method), b))
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url(method), bytes.NewReader(b))
	if err != nil {
		res.Outcome, res.Reason = herald.OutcomeFailed, "invalid config.base_url: "+c.redact(err.Error())
		return res, 0
	}
	hreq.Header.Set("Content-Type", "application/json")
	resp, sent, err := httpcall.Do(c.client, hreq, 1<<20)
	res.Response = c.redact(httpcall.Answer(resp))
	if err != nil {
		text := httpcall.ErrorText(err, c.shownURL(method), c.token)
		switch {
		case httpcall.Stopped(err):
			res.Outcome, res.Reason = herald.OutcomeFailed, "Telegram was not called: "+text
		case resp != nil && resp.Status >= 500:
			res.Outcome, res.Reason = herald.OutcomeRetry, fmt.Sprintf("Telegram answered %d: %s", resp.Status, text)
		case !sent:
			res.Outcome, res.Reason = herald.OutcomeRetry, "the request never reached Telegram: "+text
		default:
			res.Outcome, res.Reason = herald.OutcomeUnknown, "no answer from Telegram, the message may have been posted: "+text
		}
		return res, 0
	}
	return c.classify(method, chat, resp, res)
}

// classify turns Telegram's answer into an outcome.
func (c call) classify(method, chat string, resp *httpcall.Response, res herald.Result) (herald.Result, int64) {
	var env envelope
	jsonErr := json.Unmarshal(resp.Body, &env)
	code := resp.Status
	if jsonErr == nil && !env.OK && env.ErrorCode != 0 {
		code = env.ErrorCode
	}
	reason := c.redact(env.Description)
	if reason == "" {
		reason = fmt.Sprintf("HTTP %d %s", resp.Status, http.StatusText(resp.Status))
	}
	switch {
	case jsonErr == nil && env.OK:
		return c.published(method, chat, env.Result, res), 0
	case code == http.StatusTooManyRequests:
		res.Outcome, res.Reason, res.Throttled = herald.OutcomeRetry, reason, true
		res.RetryAfter = time.Duration(env.Parameters.RetryAfter) * time.Second
	case code == http.StatusBadRequest && env.Parameters.MigrateToChatID != 0:
		res.Outcome, res.Reason = herald.OutcomeFailed, reason
		return res, env.Parameters.MigrateToChatID
	case code >= 500:
		res.Outcome, res.Reason = herald.OutcomeRetry, reason
	case resp.Status >= 200 && resp.Status < 300:
		res.Outcome, res.Reason = herald.OutcomeUnknown, "Telegram's answer could not be read, the message may have been posted"
	case code == http.StatusUnauthorized:
		res.Outcome, res.Reason = herald.OutcomeReauth, reason+" (the bot token was refused; give the channel a new one)"
	case code == http.StatusForbidden:
		res.Outcome, res.Reason = herald.OutcomeFailed, reason+" (is the bot an administrator of the chat?)"
	case code >= 400:
		res.Outcome, res.Reason = herald.OutcomeFailed, reason
	default:
		res.Outcome, res.Reason = herald.OutcomeUnknown, "unexpected answer from Telegram: "+reason
	}
	return res, 0
}

// published reads the sent message (or the album's messages) from result.
func (c call) published(method, chat string, result json.RawMessage, res herald.Result) herald.Result {
	var first message
	var err error
	if method == "sendMediaGroup" {
		var msgs []message
		if err = json.Unmarshal(result, &msgs); err == nil && len(msgs) == 0 {
			err = errNoAnswer
		} else if err == nil {
			first = msgs[0]
		}
	} else {
		err = json.Unmarshal(result, &first)
	}
	res.Outcome = herald.OutcomePublished
	if err != nil {
		// ok:true means it is posted; only its id is unknown.
		res.Reason = "Telegram answered ok without a readable message id"
		return res
	}
	res.RemoteID = strconv.FormatInt(first.MessageID, 10)
	res.URL = messageURL(chat, strings.TrimPrefix(first.Chat.Username, "@"), first.MessageID)
	return res
}
