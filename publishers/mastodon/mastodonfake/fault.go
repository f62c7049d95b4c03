package mastodonfake

import (
	"fmt"
	"strings"
	"time"

	"github.com/heraldhq/herald/publishers/internal/fakeserver"
)

// Fault is one scripted answer in place of the normal one. Script queues
// faults; each call consumes the first queued fault whose Path matches.
type Fault struct {
	// Path restricts the fault to calls whose path starts with it (e.g.
	// "/api/v1/statuses", "/api/v2/media", "/api/v1/media/"); "" matches any call.
	Path    string
	Status  int           // HTTP status
	Error   string        // the {"error": "…"} text
	ResetIn time.Duration // with 429: X-RateLimit-Reset is now+ResetIn and X-RateLimit-Remaining 0
	Body    string        // a raw body sent instead of {"error": …} (e.g. an HTML 502 page)
	// Hang holds the call until Release (or Close), then handles it
	// normally: the status is posted even when the client gave up meanwhile.
	Hang bool
	// Drop closes the connection after reading the request, without answering.
	Drop bool
	// Post, with Drop, handles the call normally (posts the status, stores
	// its Idempotency-Key) before dropping the connection.
	Post bool
}

// On returns the fault restricted to calls whose path starts with path.
func (f Fault) On(path string) Fault {
	f.Path = path
	return f
}

func (f Fault) matches(path string) bool { return strings.HasPrefix(path, f.Path) }

func (f Fault) conn() fakeserver.Conn {
	return fakeserver.Conn{Hang: f.Hang, Drop: f.Drop, Post: f.Post}
}

// String names the fault in Call records.
func (f Fault) String() string {
	if name := fakeserver.ConnFaultName(f.Hang, f.Drop, f.Post); name != "" {
		return name
	}
	return fmt.Sprintf("%d %s", f.Status, f.Error)
}

// TooManyRequests answers 429 {"error":"Too many requests"} with
// X-RateLimit-Reset resetIn from now.
func TooManyRequests(resetIn time.Duration) Fault {
	return Fault{Status: 429, Error: "Too many requests", ResetIn: resetIn}
}

// ServerError answers 500 {"error":"We're sorry, but something went wrong on our end."}.
func ServerError() Fault {
	return Fault{Status: 500, Error: "We're sorry, but something went wrong on our end."}
}

// BadGateway answers 502 with an HTML page, as a reverse proxy does.
func BadGateway() Fault {
	return Fault{Status: 502, Body: "<html><body><h1>502 Bad Gateway</h1></body></html>"}
}

// Unprocessable answers 422 {"error": msg}, e.g. "Validation failed: Text can't be blank".
func Unprocessable(msg string) Fault {
	return Fault{Status: 422, Error: msg}
}

// Unauthorized answers 401 {"error":"The access token is invalid"}.
func Unauthorized() Fault {
	return Fault{Status: 401, Error: "The access token is invalid"}
}

// Forbidden answers 403 {"error":"This action is outside the authorized scopes"}.
func Forbidden() Fault {
	return Fault{Status: 403, Error: "This action is outside the authorized scopes"}
}

// Hang holds the next call until Release, then handles it normally.
func Hang() Fault { return Fault{Hang: true} }

// Drop closes the connection after reading the next request; nothing is posted.
func Drop() Fault { return Fault{Drop: true} }

// DropAfterPost handles the next call normally, then closes the connection
// without answering: the status exists, the client does not know it.
func DropAfterPost() Fault { return Fault{Drop: true, Post: true} }
