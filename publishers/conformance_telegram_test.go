package publishers

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/conformance"
	"github.com/heraldhq/herald/publishers/telegram"
	"github.com/heraldhq/herald/publishers/telegram/telegramfake"
)

func init() {
	platforms = append(platforms, conformance.Entry{Name: "telegram", Start: startTelegram, Replica: newTelegram,
		// A public channel: about one message a second per chat (a group: GroupEvery).
		Pace: telegram.ChatEvery})
}

func startTelegram(t *testing.T, client *http.Client, clock conformance.Clock) (conformance.Platform, conformance.Publisher) {
	p := telegramPlatform{telegramfake.New(telegramfake.Options{Now: clock.Now})}
	return p, newTelegram(p, client, clock)
}

func newTelegram(_ conformance.Platform, client *http.Client, clock conformance.Clock) conformance.Publisher {
	return telegram.New(telegram.Options{HTTPClient: client, Now: clock.Now})
}

// telegramPlatform drives telegramfake for the conformance scenarios, on a
// public channel.
type telegramPlatform struct{ fake *telegramfake.Server }

const telegramChat = "@herald_conformance"

func (p telegramPlatform) Name() string { return "telegram" }
func (p telegramPlatform) Close()       { p.fake.Close() }

func (p telegramPlatform) Channel() *herald.Channel {
	return &herald.Channel{ID: 1, Name: "tg", Platform: "telegram",
		Config:      map[string]any{"base_url": p.fake.URL, "chat_id": telegramChat},
		Credentials: map[string]string{"bot_token": p.fake.Token}}
}

// SharedChannel is another channel posting to the same chat with the same
// bot: retry_after holds the bot's messages to the chat, whichever channel
// sends them (key "telegram:<bot id>:<chat>").
func (p telegramPlatform) SharedChannel() *herald.Channel {
	ch := p.Channel()
	ch.ID, ch.Name = 2, "tg-2"
	return ch
}

// Script answers as the Bot API documents each fault, and loses the
// answer of a sent message by closing the connection.
func (p telegramPlatform) Script(f conformance.Fault) {
	switch f {
	case conformance.Throttle:
		p.fake.Script(telegramfake.TooManyRequests(7))
	case conformance.ServerError:
		p.fake.Script(telegramfake.ServerError())
	case conformance.Permanent:
		p.fake.Script(telegramfake.BadRequest("message is too long"))
	case conformance.Unauthorized:
		p.fake.Script(telegramfake.Fault{Status: 401, Description: "Unauthorized"})
	case conformance.LostAnswer:
		p.fake.Script(telegramfake.DropAfterPost())
	}
}

// Posted lists the messages, with the t.me/<username>/<id> convention.
func (p telegramPlatform) Posted() []conformance.Posted {
	var out []conformance.Posted
	for _, m := range p.fake.Messages() {
		id := strconv.FormatInt(m.MessageID, 10)
		out = append(out, conformance.Posted{ID: id, URL: "https://t.me/" + strings.TrimPrefix(m.ChatID, "@") + "/" + id,
			Text: m.Text, Media: len(m.Photos)})
	}
	return out
}
