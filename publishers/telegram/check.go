package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/httpcall"
)

// Check calls getMe (is the bot token good?) and then getChat (can the bot
// see the chat?), posting nothing. It returns nil when both answer ok; an
// EUNAUTHORIZED *herald.Error when Telegram refused the token; EUNAVAILABLE
// when Telegram is throttling, failing (5xx) or unreachable; EINVALID for
// any other refusal (chat not found, bot not a member…) or a channel
// without chat_id or bot_token. Messages carry Telegram's description,
// never the token.
func (p *Publisher) Check(ctx context.Context, ch *herald.Channel) error {
	token := ch.Credentials["bot_token"]
	chat := ch.ConfigString("chat_id")
	if token == "" || chat == "" {
		return herald.Errorf(herald.EINVALID, "the channel has no chat_id or bot_token configured")
	}
	c := call{client: p.client, base: strings.TrimRight(ch.ConfigString("base_url"), "/"), token: token}
	if c.base == "" {
		c.base = DefaultBaseURL
	}
	if err := c.check(ctx, "getMe", map[string]any{}); err != nil {
		return err
	}
	return c.check(ctx, "getChat", map[string]any{"chat_id": chatValue(chat)})
}

// check sends one read-only method and maps a failure to a *herald.Error.
func (c call) check(ctx context.Context, method string, body map[string]any) error {
	b, _ := json.Marshal(body)
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url(method), bytes.NewReader(b))
	if err != nil {
		return herald.Errorf(herald.EINVALID, "invalid config.base_url: %s", c.redact(err.Error()))
	}
	hreq.Header.Set("Content-Type", "application/json")
	resp, _, err := httpcall.Do(c.client, hreq, 1<<20)
	if err != nil {
		code := herald.EUNAVAILABLE
		if httpcall.Stopped(err) {
			code = herald.EINVALID
		}
		return herald.Errorf(code, "%s: no answer from Telegram: %s", method, httpcall.ErrorText(err, c.shownURL(method), c.token))
	}
	var env envelope
	jsonErr := json.Unmarshal(resp.Body, &env)
	if jsonErr == nil && env.OK {
		return nil
	}
	code := resp.Status
	if jsonErr == nil && env.ErrorCode != 0 {
		code = env.ErrorCode
	}
	reason := c.redact(env.Description)
	if reason == "" {
		reason = fmt.Sprintf("HTTP %d %s", resp.Status, http.StatusText(resp.Status))
	}
	switch {
	case code == http.StatusUnauthorized:
		return herald.Errorf(herald.EUNAUTHORIZED, "%s: %s (the bot token was refused)", method, reason)
	case code == http.StatusTooManyRequests || code >= 500:
		return herald.Errorf(herald.EUNAVAILABLE, "%s: %s", method, reason)
	}
	return herald.Errorf(herald.EINVALID, "%s: %s", method, reason)
}
