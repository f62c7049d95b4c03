// Package telegram publishes to a Telegram chat or channel through the Bot
// API: sendMessage for text, sendPhoto for one image and sendMediaGroup for
// albums of 2–10 images, with media passed as URLs.
//
// Channel config: chat_id (required: "@username" or a numeric id), base_url
// (default https://api.telegram.org), parse_mode (HTML, MarkdownV2 or
// Markdown; optional). Credentials: bot_token (required).
//
// Telegram has no idempotency key, so a call that may have reached Telegram
// without an answer is classified unknown, never retried blindly. A 401
// (the bot token refused) is a reauth outcome. Messages are paced per chat
// and per bot as the bot FAQ asks (see ChatEvery, GroupEvery, BotEvery):
// a message over the pace, or to a chat Telegram answered 429 for within
// its retry_after, is a throttled retry without calling Telegram. Several
// processes share that through the database: a retry_after block of the
// chat (key "telegram:<bot id>:<chat>") comes in PublishRequest.Blocks
// and goes back in Result.Blocks, and Result.NotBefore is ChatEvery
// (GroupEvery for a group) after the message. The bot token travels in
// the URL path; it is scrubbed from every Result field and log line.
package telegram

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/httpcall"
	"github.com/heraldhq/herald/publishers/internal/ratelimit"
	"github.com/heraldhq/herald/publishers/internal/validate"
	"github.com/heraldhq/herald/publishers/outbound"
	"github.com/rs/zerolog"
)

// DefaultBaseURL is the Bot API used when a channel names none.
const DefaultBaseURL = "https://api.telegram.org"

// MaxAlbum is the most images one sendMediaGroup carries.
const MaxAlbum = 10

// Options configure the publisher.
type Options struct {
	HTTPClient *http.Client // built by outbound.New; default outbound.Client(nil): public addresses only
	Logger     zerolog.Logger
	Now        func() time.Time // the rate limiter's clock; herald.Now when nil
}

// Publisher publishes to Telegram. It is safe for concurrent use.
type Publisher struct {
	client *http.Client
	log    zerolog.Logger
	limits *ratelimit.Set
}

// New returns a Telegram publisher.
func New(opts Options) *Publisher {
	return &Publisher{client: outbound.Client(opts.HTTPClient), log: opts.Logger, limits: ratelimit.New(opts.Now)}
}

// Idempotent reports false: the Bot API has no idempotency key, so a retry
// after a lost answer could post twice.
func (p *Publisher) Idempotent() bool { return false }

// Endpoints names the settings that decide where the channel's credentials
// are sent: each must be an outbound URL the guard allows, and changing
// one needs the credentials again.
func (p *Publisher) Endpoints() []string { return []string{"config.base_url"} }

var chatIDRe = regexp.MustCompile(`^(@[A-Za-z0-9_]{1,64}|-?[0-9]{1,20})$`)

// ValidateChannel checks the channel's Telegram config and credentials. It
// returns an EVALIDATION *herald.Error listing every problem (columns
// "config.chat_id", "config.base_url", "config.parse_mode",
// "credentials.bot_token"), or nil.
func (p *Publisher) ValidateChannel(ch *herald.Channel) error {
	var ps validate.Problems
	switch chat := ch.ConfigString("chat_id"); {
	case chat == "":
		ps.Add("config.chat_id", "required", `config.chat_id is required: "@channelusername" or a numeric chat id`)
	case !chatIDRe.MatchString(chat):
		ps.Add("config.chat_id", "invalid", `config.chat_id must be "@channelusername" or a numeric chat id such as -1001234567890`)
	}
	if b := ch.ConfigString("base_url"); b != "" && !httpcall.ValidBaseURL(b) {
		ps.Add("config.base_url", "invalid", "config.base_url must be an absolute http(s) URL such as https://api.telegram.org")
	}
	switch ch.ConfigString("parse_mode") {
	case "", "HTML", "MarkdownV2", "Markdown":
	default:
		ps.Add("config.parse_mode", "invalid", "config.parse_mode must be HTML, MarkdownV2 or Markdown")
	}
	if strings.TrimSpace(ch.Credentials["bot_token"]) == "" {
		ps.Add("credentials.bot_token", "required", "credentials.bot_token is required (the token @BotFather gave)")
	} else if strings.ContainsAny(ch.Credentials["bot_token"], "/?# ") {
		ps.Add("credentials.bot_token", "invalid", "credentials.bot_token must not contain '/', '?', '#' or spaces")
	}
	return ps.Err("telegram")
}

// Publish sends req's message to the channel's chat and classifies the
// answer (see the package doc). A 400 with migrate_to_chat_id is resent
// once to the new chat in the same call, and the Result then carries
// ConfigUpdate{"chat_id": "<new id>"} whatever the resend's outcome.
func (p *Publisher) Publish(ctx context.Context, req herald.PublishRequest) herald.Result {
	start := time.Now()
	lim := p.limits.Begin(req.Blocks)
	res := p.publish(ctx, lim, req)
	token := req.Channel.Credentials["bot_token"]
	chat := req.Channel.ConfigString("chat_id")
	if migrated, ok := res.ConfigUpdate["chat_id"].(string); ok {
		chat = migrated // where the channel's next message goes
	}
	lim.Finish(&res, limits(token, chat)...)
	httpcall.Finish(&res, func(s string) string { return httpcall.Redact(s, token) })
	httpcall.LogPublish(&p.log, "telegram", req, res, start)
	return res
}

func (p *Publisher) publish(ctx context.Context, lim *ratelimit.Call, req herald.PublishRequest) herald.Result {
	ch := req.Channel
	token := ch.Credentials["bot_token"]
	chat := ch.ConfigString("chat_id")
	if token == "" || chat == "" {
		return herald.Result{Outcome: herald.OutcomeFailed, Reason: "the channel has no chat_id or bot_token configured"}
	}
	if n := len(req.Message.Media); n > MaxAlbum {
		return herald.Result{Outcome: herald.OutcomeFailed, Reason: "a Telegram album holds at most 10 images; this post has " + strconv.Itoa(n)}
	}
	if wait := lim.DelayAll(limits(token, chat)...); wait > 0 {
		return herald.Result{Outcome: herald.OutcomeRetry, Throttled: true, RetryAfter: wait,
			Reason: fmt.Sprintf("held back by Telegram's rate limits for chat %s (about 1 message/s per chat, 20/min to a group); next in %s", chat, wait)}
	}
	c := call{client: p.client, base: strings.TrimRight(ch.ConfigString("base_url"), "/"), token: token}
	if c.base == "" {
		c.base = DefaultBaseURL
	}
	parseMode := ch.ConfigString("parse_mode")
	res, migrateTo := c.send(ctx, chat, parseMode, req.Message)
	throttled(lim, token, chat, &res)
	if migrateTo == 0 {
		return res
	}
	newChat := strconv.FormatInt(migrateTo, 10)
	// The resend goes at once, but counts in the new chat's pace (and so in
	// NotBefore): a chat just made has nothing to wait for.
	lim.DelayAll(limits(token, newChat)...)
	res2, again := c.send(ctx, newChat, parseMode, req.Message)
	throttled(lim, token, newChat, &res2)
	res2.Request = res.Request + "\n" + res2.Request
	res2.Response = res.Response + "\n" + res2.Response
	if again != 0 {
		res2.Outcome = herald.OutcomeFailed
		res2.Reason = "the chat migrated twice in a row (to " + newChat + ", then to " + strconv.FormatInt(again, 10) + ")"
	}
	res2.ConfigUpdate = map[string]any{"chat_id": newChat}
	return res2
}

// messageURL is the public link of a message, or "" when the chat has none:
// https://t.me/<username>/<id> for public chats, https://t.me/c/<id>/<id>
// for "-100…" supergroups and channels.
func messageURL(chatID, username string, id int64) string {
	if id == 0 {
		return ""
	}
	if username == "" {
		username, _ = strings.CutPrefix(chatID, "@")
		if username == chatID {
			username = ""
		}
	}
	if username != "" {
		return "https://t.me/" + username + "/" + strconv.FormatInt(id, 10)
	}
	if internal, ok := strings.CutPrefix(chatID, "-100"); ok && internal != "" {
		return "https://t.me/c/" + internal + "/" + strconv.FormatInt(id, 10)
	}
	return ""
}

// errNoAnswer marks an answer that could not be read.
var errNoAnswer = errors.New("no readable answer")
