package discordfake

import (
	"fmt"
	"strconv"

	"github.com/heraldhq/herald/publishers/internal/fakeserver"
)

// Fault is one scripted answer to the next execute call (POST to the
// webhook), in place of the normal one. Script queues faults; each execute
// call consumes one. GET calls on the webhook are never faulted.
type Fault struct {
	Status  int    // HTTP status
	Code    int    // Discord's JSON error code (10015 Unknown Webhook, 50027 Invalid Webhook Token, …)
	Message string // the JSON error message
	// RetryAfter, with Status 429, is the float retry_after in seconds; the
	// webhook's bucket stays exhausted that long, so an earlier call gets 429
	// again and is counted by EarlyCalls.
	RetryAfter float64
	Body       string // a raw body sent instead of the JSON error (e.g. an HTML 502 page)
	// Hang holds the call until Release (or Close), then handles it
	// normally: the message is posted even when the client gave up meanwhile.
	Hang bool
	// Drop closes the connection after reading the request, without answering.
	Drop bool
	// Post, with Drop, posts the message before dropping the connection.
	Post bool
}

func (f Fault) conn() fakeserver.Conn {
	return fakeserver.Conn{Hang: f.Hang, Drop: f.Drop, Post: f.Post}
}

// String names the fault in Call records.
func (f Fault) String() string {
	if name := fakeserver.ConnFaultName(f.Hang, f.Drop, f.Post); name != "" {
		return name
	}
	if f.Status == 429 {
		return "429 retry_after " + strconv.FormatFloat(f.RetryAfter, 'f', -1, 64)
	}
	return fmt.Sprintf("%d %s", f.Status, f.Message)
}

// TooManyRequests answers 429 {"message": "You are being rate limited.",
// "retry_after": retryAfter, "global": false} with Retry-After and
// X-RateLimit-* headers, and keeps the bucket exhausted for retryAfter seconds.
func TooManyRequests(retryAfter float64) Fault {
	return Fault{Status: 429, Message: "You are being rate limited.", RetryAfter: retryAfter}
}

// ServerError answers 500 {"message": "500: Internal Server Error", "code": 0}.
func ServerError() Fault {
	return Fault{Status: 500, Message: "500: Internal Server Error"}
}

// BadGateway answers 502 with an HTML page, as Discord's Cloudflare front does.
func BadGateway() Fault {
	return Fault{Status: 502, Body: "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>cloudflare</center></body></html>"}
}

// UnknownWebhook answers 404 {"message": "Unknown Webhook", "code": 10015},
// as for a deleted webhook.
func UnknownWebhook() Fault {
	return Fault{Status: 404, Code: 10015, Message: "Unknown Webhook"}
}

// InvalidToken answers 401 {"message": "Invalid Webhook Token", "code": 50027}.
func InvalidToken() Fault {
	return Fault{Status: 401, Code: 50027, Message: "Invalid Webhook Token"}
}

// MissingPermissions answers 403 {"message": "Missing Permissions", "code": 50013}.
func MissingPermissions() Fault {
	return Fault{Status: 403, Code: 50013, Message: "Missing Permissions"}
}

// InvalidFormBody answers 400 {"message": "Invalid Form Body", "code": 50035}.
func InvalidFormBody() Fault {
	return Fault{Status: 400, Code: 50035, Message: "Invalid Form Body"}
}

// Hang holds the next execute call until Release, then posts and answers normally.
func Hang() Fault { return Fault{Hang: true} }

// Drop closes the connection after reading the next execute call; nothing is posted.
func Drop() Fault { return Fault{Drop: true} }

// DropAfterPost posts the next message, then closes the connection without answering.
func DropAfterPost() Fault { return Fault{Drop: true, Post: true} }
