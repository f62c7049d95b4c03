package vkfake

import (
	"fmt"

	"github.com/heraldhq/herald/publishers/internal/fakeserver"
)

// Fault is one scripted answer in place of the normal one. Script queues
// faults; each call consumes the first queued fault whose Method matches.
type Fault struct {
	// Method restricts the fault to one method ("wall.post") or to uploads
	// ("upload"); "" matches any call.
	Method string
	Code   int    // the error_code answered with HTTP 200
	Msg    string // the error_msg
	// Status, when set, answers that HTTP status with Body instead of a VK
	// error (a front proxy's 502 page).
	Status int
	Body   string
	// Hang holds the call until Release (or Close), then handles it
	// normally: the post is made even when the client gave up meanwhile.
	Hang bool
	// Drop closes the connection after reading the request, without answering.
	Drop bool
	// Post, with Drop, handles the call normally (publishes the post,
	// remembers its guid) before dropping the connection.
	Post bool
}

// On returns the fault restricted to method ("wall.post", "upload", …).
func (f Fault) On(method string) Fault {
	f.Method = method
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
	if f.Status != 0 {
		return fmt.Sprintf("HTTP %d", f.Status)
	}
	return fmt.Sprintf("%d %s", f.Code, f.Msg)
}

// extra is what VK adds to the error object for some codes.
func (f Fault) extra() map[string]any {
	switch f.Code {
	case 14:
		return map[string]any{"captcha_sid": "548370325466", "captcha_img": "https://api.vk.com/captcha.php?sid=548370325466"}
	case 17:
		return map[string]any{"redirect_uri": "https://m.vk.com/login?act=security_check&api_hash=0123456789abcdef"}
	}
	return nil
}

// Error answers error code with msg (HTTP 200), for codes without a
// constructor below.
func Error(code int, msg string) Fault { return Fault{Code: code, Msg: msg} }

// UnknownError answers error 1 "Unknown error occurred".
func UnknownError() Fault { return Fault{Code: 1, Msg: "Unknown error occurred"} }

// AuthFailed answers error 5 "User authorization failed: access_token has expired.".
func AuthFailed() Fault {
	return Fault{Code: 5, Msg: "User authorization failed: access_token has expired."}
}

// TooManyRequests answers error 6 "Too many requests per second".
func TooManyRequests() Fault { return Fault{Code: 6, Msg: "Too many requests per second"} }

// FloodControl answers error 9 "Flood control".
func FloodControl() Fault { return Fault{Code: 9, Msg: "Flood control"} }

// InternalError answers error 10 "Internal server error".
func InternalError() Fault { return Fault{Code: 10, Msg: "Internal server error"} }

// Captcha answers error 14 "Captcha needed" with captcha_sid and captcha_img.
func Captcha() Fault { return Fault{Code: 14, Msg: "Captcha needed"} }

// AccessDenied answers error 15 "Access denied: <what>".
func AccessDenied(what string) Fault { return Fault{Code: 15, Msg: "Access denied: " + what} }

// ValidationRequired answers error 17 "Validation required: …" with redirect_uri.
func ValidationRequired() Fault {
	return Fault{Code: 17, Msg: "Validation required: please open redirect_uri in browser"}
}

// RateLimitReached answers error 29 "Rate limit reached".
func RateLimitReached() Fault { return Fault{Code: 29, Msg: "Rate limit reached"} }

// InvalidParam answers error 100 "One of the parameters specified was missing or invalid: <what>".
func InvalidParam(what string) Fault {
	e := invalid(what)
	return Fault{Code: e.Code, Msg: e.Msg}
}

// PostDenied answers error 214 "Access to adding post denied", as past the daily cap.
func PostDenied() Fault { return Fault{Code: 214, Msg: "Access to adding post denied"} }

// HyperlinksForbidden answers error 222 "Hyperlinks are forbidden".
func HyperlinksForbidden() Fault { return Fault{Code: 222, Msg: "Hyperlinks are forbidden"} }

// BadGateway answers HTTP 502 with an HTML page, as VK's front proxy does.
func BadGateway() Fault {
	return Fault{Status: 502, Body: "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"}
}

// Hang holds the next call until Release, then handles it normally.
func Hang() Fault { return Fault{Hang: true} }

// Drop closes the connection after reading the next request; nothing is posted.
func Drop() Fault { return Fault{Drop: true} }

// DropAfterPost handles the next call normally, then closes the connection
// without answering: the post exists, the client does not know it.
func DropAfterPost() Fault { return Fault{Drop: true, Post: true} }
