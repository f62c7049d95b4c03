package blueskyfake

import (
	"fmt"
	"strings"
	"time"

	"github.com/heraldhq/herald/publishers/internal/fakeserver"
)

// Fault is one scripted answer in place of the normal one. Script queues
// faults; each call consumes the first queued fault whose NSID matches.
type Fault struct {
	// NSID restricts the fault to one XRPC method (e.g.
	// "com.atproto.repo.putRecord"); "" matches any call.
	NSID    string
	Status  int           // HTTP status
	Error   string        // the {"error": …} name, e.g. "InvalidRequest"
	Message string        // the {"message": …} text
	ResetIn time.Duration // with 429: ratelimit-reset is now+ResetIn, and calls before it answer 429 again
	Body    string        // a raw body sent instead of the XRPC error (e.g. an HTML 502 page)
	// Hang holds the call until Release (or Close), then handles it normally.
	Hang bool
	// Drop closes the connection after reading the request, without answering.
	Drop bool
	// Post, with Drop, handles the call normally (writes the record) before
	// dropping the connection.
	Post bool
}

// On returns the fault restricted to calls of the XRPC method nsid.
func (f Fault) On(nsid string) Fault {
	f.NSID = nsid
	return f
}

func (f Fault) matches(nsid string) bool { return f.NSID == "" || f.NSID == nsid }

// String names the fault in Call records.
func (f Fault) String() string {
	if name := fakeserver.ConnFaultName(f.Hang, f.Drop, f.Post); name != "" {
		return name
	}
	return strings.TrimSpace(fmt.Sprintf("%d %s", f.Status, f.Error))
}

// RateLimited answers 429 {"error":"RateLimitExceeded"} with ratelimit-*
// headers resetting resetIn from now.
func RateLimited(resetIn time.Duration) Fault {
	return Fault{Status: 429, Error: "RateLimitExceeded", Message: "Rate Limit Exceeded", ResetIn: resetIn}
}

// ServerError answers 500 {"error":"InternalServerError"}.
func ServerError() Fault {
	return Fault{Status: 500, Error: "InternalServerError", Message: "Internal Server Error"}
}

// BadGateway answers 502 with an HTML page, as a reverse proxy does.
func BadGateway() Fault {
	return Fault{Status: 502, Body: "<html><body><h1>502 Bad Gateway</h1></body></html>"}
}

// InvalidRequest answers 400 {"error":"InvalidRequest","message":msg}.
func InvalidRequest(msg string) Fault {
	return Fault{Status: 400, Error: "InvalidRequest", Message: msg}
}

// ExpiredToken answers 400 {"error":"ExpiredToken"}, as the PDS does for an
// expired access token.
func ExpiredToken() Fault {
	return Fault{Status: 400, Error: "ExpiredToken", Message: "Token has expired"}
}

// InvalidToken answers 401 {"error":"InvalidToken"}.
func InvalidToken() Fault {
	return Fault{Status: 401, Error: "InvalidToken", Message: "Token could not be verified"}
}

// AuthenticationRequired answers 401 {"error":"AuthenticationRequired"},
// as createSession does for a wrong identifier or password.
func AuthenticationRequired() Fault {
	return Fault{Status: 401, Error: "AuthenticationRequired", Message: "Invalid identifier or password"}
}

// Hang holds the next call until Release, then handles it normally.
func Hang() Fault { return Fault{Hang: true} }

// Drop closes the connection after reading the next request; nothing is written.
func Drop() Fault { return Fault{Drop: true} }

// DropAfterPost handles the next call normally, then closes the connection
// without answering: the record exists, the client does not know it.
func DropAfterPost() Fault { return Fault{Drop: true, Post: true} }
