package containerfake

import (
	"fmt"

	"github.com/heraldhq/herald/publishers/internal/fakeserver"
)

// Steps a Fault can be restricted to.
const (
	StepCreate    = "create"    // POST /{user}/media or /threads
	StepStatus    = "status"    // GET /{container}?fields=status…
	StepLimit     = "limit"     // GET /{user}/…publishing_limit
	StepPublish   = "publish"   // POST /{user}/media_publish or /threads_publish
	StepPermalink = "permalink" // GET /{media}?fields=permalink
	StepList      = "list"      // GET /{user}/media or /threads
	StepProfile   = "profile"   // GET /{user} or /me
)

// Fault is one scripted answer in place of the normal one. Each call
// consumes the first queued fault whose Step matches it ("" matches any).
type Fault struct {
	Step    string
	Status  int    // the HTTP status; 400 when 0
	Code    int    // the Graph error code (with Status, 0 answers Body instead)
	Subcode int    // error_subcode
	Type    string // "OAuthException" when empty
	Msg     string
	// Transient sets is_transient (Instagram's hint that a retry may work).
	Transient bool
	// RegainMinutes, when set, sends X-Business-Use-Case-Usage with this
	// estimated_time_to_regain_access.
	RegainMinutes int
	Body          string // the body of a non-Graph answer (Code 0)
	Hang          bool   // hold the call until Release, then answer normally
	Drop          bool   // close the connection without answering
	Post          bool   // with Drop: handle the call first (a publish is made)
}

// On returns the fault restricted to step.
func (f Fault) On(step string) Fault {
	f.Step = step
	return f
}

// String names the fault in Call records.
func (f Fault) String() string {
	if name := fakeserver.ConnFaultName(f.Hang, f.Drop, f.Post); name != "" {
		return name
	}
	if f.Code == 0 {
		return fmt.Sprintf("HTTP %d", f.Status)
	}
	return fmt.Sprintf("%d/%d %s", f.Code, f.Subcode, f.Msg)
}

// InvalidToken answers 190 "Invalid OAuth access token" (HTTP 400).
func InvalidToken() Fault {
	return Fault{Code: 190, Msg: "Invalid OAuth access token - Cannot parse access token"}
}

// Throttled answers a throttling code (4, 17, 32, 341, 613) with
// X-Business-Use-Case-Usage saying minutes until access is regained.
func Throttled(code, minutes int) Fault {
	return Fault{Code: code, Msg: "Application request limit reached", Transient: true, RegainMinutes: minutes}
}

// ServiceUnavailable answers 2 "Service temporarily unavailable" with HTTP 500.
func ServiceUnavailable() Fault {
	return Fault{Status: 500, Code: 2, Msg: "An unexpected error has occurred. Please retry your request later.", Transient: true}
}

// InvalidParam answers 100 "Invalid parameter" with Meta's explanation.
func InvalidParam(msg string) Fault {
	return Fault{Code: 100, Msg: "Invalid parameter: " + msg}
}

// PolicyBlock answers 368 "The action attempted has been deemed abusive or is otherwise disallowed".
func PolicyBlock() Fault {
	return Fault{Code: 368, Msg: "The action attempted has been deemed abusive or is otherwise disallowed"}
}

// Error answers any Graph code and subcode with msg (HTTP 400).
func Error(code, subcode int, msg string) Fault { return Fault{Code: code, Subcode: subcode, Msg: msg} }

// BadGateway answers HTTP 502 with an HTML page, as a front proxy does.
func BadGateway() Fault {
	return Fault{Status: 502, Body: "<html><body><h1>502 Bad Gateway</h1></body></html>"}
}

// Hang holds the next call until Release, then handles it normally.
func Hang() Fault { return Fault{Hang: true} }

// Drop closes the connection after reading the next request; nothing is made.
func Drop() Fault { return Fault{Drop: true} }

// DropAfterPost handles the next call normally, then closes the connection
// without answering: the post exists, the client does not know it.
func DropAfterPost() Fault { return Fault{Drop: true, Post: true} }
