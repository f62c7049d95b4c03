package xfake

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/heraldhq/herald/publishers/internal/fakeserver"
)

// Fault is one scripted answer in place of the normal one. Script queues
// faults; each call consumes the first queued fault whose Path matches.
type Fault struct {
	// Path restricts the fault to calls whose path starts with it
	// ("/2/tweets", "/2/media/upload", "/2/oauth2/token", "/2/users/me");
	// "" matches any call.
	Path   string
	Status int    // HTTP status
	Title  string // the problem's title
	Detail string // the problem's detail
	// ResetIn, with 429: x-rate-limit-remaining is 0 and x-rate-limit-reset
	// now+ResetIn (epoch seconds); the fake keeps answering 429 to the path
	// until then and counts the calls that did not wait (Early).
	ResetIn time.Duration
	// DailyResetIn, with 429: the account's 24-hour cap is used up —
	// x-user-limit-24hour-remaining 0 and -reset now+DailyResetIn, while
	// x-rate-limit-* still has room (reset at the window's end).
	DailyResetIn time.Duration
	// AppResetIn, with 429: the app's 24-hour cap is used up, for every
	// account posting with it — x-app-limit-24hour-remaining 0 and -reset
	// now+AppResetIn, while x-rate-limit-* still has room.
	AppResetIn time.Duration
	Body       string // a raw body sent instead of the problem JSON: JSON when it starts with '{', else HTML (e.g. a 502 page)
	// Hang holds the call until Release (or Close), then handles it
	// normally: the tweet is posted even when the client gave up meanwhile.
	Hang bool
	// Drop closes the connection after reading the request, without answering.
	Drop bool
	// Post, with Drop, handles the call normally (posts the tweet) before
	// dropping the connection.
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
	return fmt.Sprintf("%d %s", f.Status, f.Title)
}

// TooManyRequests answers POST /2/tweets with 429 "Too Many Requests" and
// x-rate-limit-reset resetIn from now.
func TooManyRequests(resetIn time.Duration) Fault {
	return Fault{Path: "/2/tweets", Status: 429, Title: "Too Many Requests", Detail: "Too Many Requests", ResetIn: resetIn}
}

// DailyCapReached answers POST /2/tweets with 429 "Too Many Requests" for
// the account's used-up 24-hour cap, which resets in resetIn.
func DailyCapReached(resetIn time.Duration) Fault {
	return Fault{Path: "/2/tweets", Status: 429, Title: "Too Many Requests", Detail: "Too Many Requests", DailyResetIn: resetIn}
}

// AppCapReached answers POST /2/tweets with 429 "Too Many Requests" for
// the app's used-up 24-hour cap, which resets in resetIn.
func AppCapReached(resetIn time.Duration) Fault {
	return Fault{Path: "/2/tweets", Status: 429, Title: "Too Many Requests", Detail: "Too Many Requests", AppResetIn: resetIn}
}

// ServerError answers POST /2/tweets with 503 "Service Unavailable".
func ServerError() Fault {
	return Fault{Path: "/2/tweets", Status: 503, Title: "Service Unavailable", Detail: "Service Unavailable"}
}

// BadGateway answers POST /2/tweets with 502 and an HTML page, as a proxy does.
func BadGateway() Fault {
	return Fault{Path: "/2/tweets", Status: 502, Body: "<html><body><h1>502 Bad Gateway</h1></body></html>"}
}

// Unauthorized answers POST /2/tweets with 401 "Unauthorized" once.
func Unauthorized() Fault {
	return Fault{Path: "/2/tweets", Status: 401, Title: "Unauthorized", Detail: "Unauthorized"}
}

// Forbidden answers POST /2/tweets with 403 and detail (e.g. the app lacks
// the tweet.write scope).
func Forbidden(detail string) Fault {
	return Fault{Path: "/2/tweets", Status: 403, Title: "Forbidden", Detail: detail}
}

// Duplicate answers POST /2/tweets with X's 403 for duplicate content.
func Duplicate() Fault {
	return Forbidden("You are not allowed to create a Tweet with duplicate content.")
}

// InvalidRequest answers POST /2/tweets with X's 400 invalid-request
// problem carrying msg in errors[0].message.
func InvalidRequest(msg string) Fault {
	b, _ := json.Marshal(invalidRequestBody("text", msg))
	return Fault{Path: "/2/tweets", Status: 400, Title: "Invalid Request", Body: string(b)}
}

// Hang holds the next POST /2/tweets until Release, then handles it normally.
func Hang() Fault { return Fault{Path: "/2/tweets", Hang: true} }

// Drop closes the connection after reading the next POST /2/tweets; nothing is posted.
func Drop() Fault { return Fault{Path: "/2/tweets", Drop: true} }

// DropAfterPost posts the next tweet, then closes the connection without
// answering: the tweet exists, the client does not know it.
func DropAfterPost() Fault { return Fault{Path: "/2/tweets", Drop: true, Post: true} }
