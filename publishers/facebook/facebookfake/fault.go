package facebookfake

import (
	"fmt"

	"github.com/heraldhq/herald/publishers/internal/fakeserver"
)

// Fault is one scripted answer in place of the normal one. Script queues
// faults; each call consumes the first queued fault whose Op matches.
type Fault struct {
	// Op restricts the fault to one kind of call (see Call.Op: "feed",
	// "photos", "page", "post", "list"); "" matches any call.
	Op string
	// The Graph error answered, with HTTP Status (400 when 0).
	Code      int
	Subcode   int
	Type      string // "OAuthException" when empty
	Msg       string
	Transient bool
	Status    int
	// Body, when set, is answered verbatim (text/html) with Status instead
	// of an error envelope (a front proxy's 502 page).
	Body string
	// Header is added to the answer (usage headers).
	Header map[string]string
	// Block, with a throttling code, makes the fake answer the same error
	// to every call of the token until its clock passes Block from now.
	BlockMinutes int
	// Hang holds the call until Release (or Close), then handles it
	// normally: the post is made even when the client gave up meanwhile.
	Hang bool
	// Drop closes the connection after reading the request, without answering.
	Drop bool
	// Post, with Drop, handles the call normally (makes the post) first.
	Post bool
}

// On returns the fault restricted to op ("feed", "photos", "page", "post", "list").
func (f Fault) On(op string) Fault {
	f.Op = op
	return f
}

// String names the fault in Call records.
func (f Fault) String() string {
	if name := fakeserver.ConnFaultName(f.Hang, f.Drop, f.Post); name != "" {
		return name
	}
	if f.Body != "" {
		return fmt.Sprintf("HTTP %d", f.Status)
	}
	return fmt.Sprintf("%d %s", f.Code, f.Msg)
}

func (f Fault) graphError() GraphError {
	return GraphError{Code: f.Code, Subcode: f.Subcode, Type: f.Type, Message: f.Msg, Transient: f.Transient}
}

// Error answers a Graph error code with msg (HTTP 400), for codes without
// a constructor below.
func Error(code int, msg string) Fault { return Fault{Code: code, Msg: msg} }

// TokenExpired answers error 190 subcode 463, an expired Page token.
func TokenExpired() Fault {
	return Fault{Code: 190, Subcode: 463, Msg: "Error validating access token: Session has expired on Monday, 23-Nov-26 10:00:00 PST."}
}

// PageRateLimited answers error 32 (the Page's request limit) with an
// X-Page-Usage header at 100% giving estimated_time_to_regain_access in
// minutes, and blocks the token for that long.
func PageRateLimited(minutes int) Fault {
	return Fault{Code: 32, Msg: "Page request limit reached", BlockMinutes: minutes, Header: map[string]string{
		"X-Page-Usage": fmt.Sprintf(`{"call_count":100,"total_cputime":12,"total_time":20,"estimated_time_to_regain_access":%d}`, minutes)}}
}

// AppRateLimited answers error 4 (the app's request limit) with an
// X-App-Usage header at 100%, which names no time.
func AppRateLimited() Fault {
	return Fault{Code: 4, Msg: "Application request limit reached", Header: map[string]string{
		"X-App-Usage": `{"call_count":100,"total_cputime":40,"total_time":61}`}}
}

// BusinessRateLimited answers error 17
// (the user's request limit) with an X-Business-Use-Case-Usage header
// naming minutes until access returns.
func BusinessRateLimited(minutes int) Fault {
	return Fault{Code: 17, Msg: "User request limit reached", Header: map[string]string{
		"X-Business-Use-Case-Usage": fmt.Sprintf(`{"104857600012345":[{"type":"pages","call_count":100,"total_cputime":3,"total_time":5,"estimated_time_to_regain_access":%d}]}`, minutes)}}
}

// TemporarilyBlocked answers error 368, a temporary block from posting.
func TemporarilyBlocked() Fault {
	return Fault{Code: 368, Subcode: 1390008, Msg: "It looks like you were misusing this feature by going too fast. You've been temporarily blocked from using it."}
}

// Duplicate answers error 506, a duplicate post.
func Duplicate() Fault { return Fault{Code: 506, Subcode: 1455006, Msg: "Duplicate status message"} }

// InvalidParam answers error 100 "Invalid parameter" with what.
func InvalidParam(what string) Fault { return Fault{Code: 100, Msg: "Invalid parameter: " + what} }

// PermissionDenied answers error 200, a missing permission.
func PermissionDenied() Fault {
	return Fault{Code: 200, Msg: "(#200) If posting to a page, requires both pages_read_engagement and pages_manage_posts permission with page token", Status: 403}
}

// Transient answers error 2 "Service temporarily unavailable" with is_transient.
func Transient() Fault {
	return Fault{Code: 2, Msg: "An unexpected error has occurred. Please retry your request later.", Transient: true, Status: 500}
}

// BadGateway answers HTTP 502 with an HTML page.
func BadGateway() Fault {
	return Fault{Status: 502, Body: "<html><body><h1>502 Bad Gateway</h1></body></html>"}
}

// Hang holds the next call until Release, then handles it normally.
func Hang() Fault { return Fault{Hang: true} }

// Drop closes the connection after reading the next request; nothing is posted.
func Drop() Fault { return Fault{Drop: true} }

// DropAfterPost handles the next call normally, then closes the connection
// without answering: the post exists, the client does not know it.
func DropAfterPost() Fault { return Fault{Drop: true, Post: true} }
