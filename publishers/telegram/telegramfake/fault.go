package telegramfake

import (
	"fmt"

	"github.com/heraldhq/herald/publishers/internal/fakeserver"
)

// Fault is one scripted answer to the next send call, in place of the
// normal one. Script queues faults; each call (send, getMe, getChat)
// consumes one.
type Fault struct {
	Status      int    // HTTP status and the envelope's error_code (e.g. 429, 500, 400)
	Description string // the envelope's description
	RetryAfter  int    // parameters.retry_after, in seconds
	// MigrateTo answers parameters.migrate_to_chat_id; the addressed chat
	// stays migrated, so later sends to it get the same answer (as on Telegram).
	MigrateTo int64
	Body      string // a raw body sent instead of the JSON envelope (e.g. an HTML 502 page)
	// Hang holds the call until Release (or Close), then handles it normally:
	// the message is posted even when the client gave up meanwhile.
	Hang bool
	// Drop closes the connection after reading the request, without answering.
	Drop bool
	// Post, with Drop, posts the message before dropping the connection.
	Post bool
}

// String names the fault in Call records.
func (f Fault) String() string {
	if name := fakeserver.ConnFaultName(f.Hang, f.Drop, f.Post); name != "" {
		return name
	}
	if f.MigrateTo != 0 {
		return fmt.Sprintf("migrate %d", f.MigrateTo)
	}
	return fmt.Sprintf("%d %s", f.Status, f.Description)
}

// TooManyRequests answers 429 "Too Many Requests: retry after N" with parameters.retry_after.
func TooManyRequests(retryAfter int) Fault {
	return Fault{Status: 429, Description: fmt.Sprintf("Too Many Requests: retry after %d", retryAfter), RetryAfter: retryAfter}
}

// ServerError answers 500 "Internal Server Error".
func ServerError() Fault {
	return Fault{Status: 500, Description: "Internal Server Error"}
}

// BadGateway answers 502 with an HTML page, as Telegram's front proxy does.
func BadGateway() Fault {
	return Fault{Status: 502, Body: "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>"}
}

// BadRequest answers 400 "Bad Request: <what>", e.g. BadRequest("chat not found").
func BadRequest(what string) Fault {
	return Fault{Status: 400, Description: "Bad Request: " + what}
}

// Forbidden answers 403 "Forbidden: <what>", e.g. Forbidden("bot is not a member of the channel chat").
func Forbidden(what string) Fault {
	return Fault{Status: 403, Description: "Forbidden: " + what}
}

// Migrate answers 400 "group chat was upgraded to a supergroup chat" with
// parameters.migrate_to_chat_id = newChatID, and keeps the chat migrated.
func Migrate(newChatID int64) Fault {
	return Fault{Status: 400, Description: "Bad Request: group chat was upgraded to a supergroup chat", MigrateTo: newChatID}
}

// Hang holds the next call until Release, then posts and answers normally.
func Hang() Fault { return Fault{Hang: true} }

// Drop closes the connection after reading the next request; nothing is posted.
func Drop() Fault { return Fault{Drop: true} }

// DropAfterPost posts the next message, then closes the connection without answering.
func DropAfterPost() Fault { return Fault{Drop: true, Post: true} }
