package linkedinfake

import (
	"fmt"
	"net/http"

	"github.com/heraldhq/herald/publishers/internal/fakeserver"
)

// Fault is one scripted answer in place of the normal one. Script queues
// faults; each call consumes the first queued fault whose Op matches.
type Fault struct {
	// Op restricts the fault to one operation: OpPosts, OpImages,
	// OpUpload or OpUserinfo; "" matches any call.
	Op     string
	Status int               // the HTTP status answered
	Body   string            // the answer's body (LinkedIn's error JSON, or a proxy page)
	Header map[string]string // extra answer headers (Retry-After…)
	// Hang holds the call until Release (or Close), then handles it
	// normally: the post is made even when the client gave up meanwhile.
	Hang bool
	// Drop closes the connection after reading the request, without answering.
	Drop bool
	// Post, with Drop, handles the call normally (makes the post) before
	// dropping the connection.
	Post bool
}

// The operations faults apply to.
const (
	OpPosts    = "posts"    // POST /rest/posts
	OpImages   = "images"   // POST /rest/images?action=initializeUpload
	OpUpload   = "upload"   // PUT to an uploadUrl
	OpUserinfo = "userinfo" // GET /v2/userinfo
)

// On returns the fault restricted to op.
func (f Fault) On(op string) Fault {
	f.Op = op
	return f
}

func (f Fault) conn() fakeserver.Conn {
	return fakeserver.Conn{Hang: f.Hang, Drop: f.Drop, Post: f.Post}
}

// String names the fault in Call records.
func (f Fault) String() string {
	if name := fakeserver.ConnFaultName(f.Hang, f.Drop, f.Post); name != "" {
		return name
	}
	return fmt.Sprintf("HTTP %d", f.Status)
}

// errorBody is LinkedIn's error JSON.
func errorBody(status int, code, msg string) string {
	return fmt.Sprintf(`{"status":%d,"code":%q,"message":%q}`, status, code, msg)
}

// Error answers status with LinkedIn's error JSON {status, code, message}.
func Error(status int, code, msg string) Fault {
	return Fault{Status: status, Body: errorBody(status, code, msg)}
}

// Unauthorized answers 401 EXPIRED_ACCESS_TOKEN, as for an expired token.
func Unauthorized() Fault {
	return Fault{Status: http.StatusUnauthorized,
		Body: `{"status":401,"serviceErrorCode":65601,"code":"EXPIRED_ACCESS_TOKEN","message":"The token used in the request has expired"}`}
}

// Throttled answers 429 as LinkedIn does: no reset header.
func Throttled() Fault {
	return Error(http.StatusTooManyRequests, "TOO_MANY_REQUESTS",
		"Resource level throttle MEMBER DAY limit for calls to this resource is reached.")
}

// ServerError answers 500 with LinkedIn's error JSON.
func ServerError() Fault {
	return Error(http.StatusInternalServerError, "INTERNAL_SERVER_ERROR", "Internal Server Error")
}

// BadGateway answers 502 with an HTML page, as a front proxy does.
func BadGateway() Fault {
	return Fault{Status: http.StatusBadGateway, Body: "<html><body><h1>502 Bad Gateway</h1></body></html>"}
}

// Forbidden answers 403 ACCESS_DENIED, as for a token without the posting scope.
func Forbidden() Fault {
	return Fault{Status: http.StatusForbidden,
		Body: `{"status":403,"serviceErrorCode":100,"code":"ACCESS_DENIED","message":"Not enough permissions to access: partnerApiPostsExternal.CREATE.20251101"}`}
}

// Unprocessable answers 422 with msg, as for a post LinkedIn refuses.
func Unprocessable(msg string) Fault {
	return Error(http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY", msg)
}

// Hang holds the next call until Release, then handles it normally.
func Hang() Fault { return Fault{Hang: true} }

// Drop closes the connection after reading the next request; nothing is posted.
func Drop() Fault { return Fault{Drop: true} }

// DropAfterPost handles the next call normally, then closes the connection
// without answering: the post exists, the client does not know it.
func DropAfterPost() Fault { return Fault{Drop: true, Post: true} }
