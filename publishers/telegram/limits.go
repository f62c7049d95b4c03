package telegram

import (
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/ratelimit"
)

// Telegram's documented pace (bot FAQ): about one message a second per
// chat with short bursts, at most 20 a minute to a group, about 30 a
// second per bot. Telegram sends no quota headers, only 429 + retry_after.
const (
	ChatEvery  = time.Second
	ChatBurst  = 3
	GroupBurst = 3
	BotEvery   = time.Second / 30
	BotBurst   = 30
)

// GroupEvery paces a group so that no minute holds more than 20 messages:
// GroupBurst at once, then one per GroupEvery (3 + 17 = 20).
const GroupEvery = time.Minute / 17

// limits are the paces a message to chat by the bot with token obeys. The
// keys carry the bot's id (the token's public part before ':'), never the
// secret: Telegram limits each bot separately.
func limits(token, chat string) []ratelimit.Limit {
	bot, _, _ := strings.Cut(token, ":")
	chatLimit := ratelimit.Limit{Key: "telegram:" + bot + ":" + chat, Every: ChatEvery, Burst: ChatBurst}
	if strings.HasPrefix(chat, "-") {
		chatLimit.Every, chatLimit.Burst = GroupEvery, GroupBurst
	}
	return []ratelimit.Limit{chatLimit, {Key: "telegram:app:" + bot, Every: BotEvery, Burst: BotBurst}}
}

// throttled holds the chat back for the retry_after of a 429 answer.
func throttled(lim *ratelimit.Call, token, chat string, res *herald.Result) {
	if res.Throttled && res.RetryAfter > 0 {
		lim.BlockFor(limits(token, chat)[0].Key, res.RetryAfter)
	}
}
