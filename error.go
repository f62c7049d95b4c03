package herald

import (
	"errors"
	"fmt"
)

// Error codes. The api package maps each to an HTTP status in one table;
// nothing below the api layer knows about HTTP.
const (
	ECONFLICT     = "conflict"     // the request conflicts with the current state (409)
	EINTERNAL     = "internal"     // a bug or an unavailable dependency (500)
	EINVALID      = "invalid"      // the request itself is malformed (400)
	ENOTFOUND     = "not_found"    // no such object in this workspace (404)
	EUNAUTHORIZED = "unauthorized" // no or bad credentials (401)
	EFORBIDDEN    = "forbidden"    // authenticated but not allowed (403)
	ETOOLARGE     = "too_large"    // request body over the bound (413)
	EUNSUPPORTED  = "unsupported"  // unsupported media type (415)
	EVALIDATION   = "validation"   // well-formed but invalid content; Details lists every problem (422)
	ERATELIMITED  = "rate_limited" // too many requests (429)
	EUNAVAILABLE  = "unavailable"  // not ready (503)
)

// Problem is one validation problem, pointing at a row and column of a plan
// as a person sees it (the header is row 1; for JSON plans, the post's index from 1).
// Row is 0 when the problem is not about a row (e.g. the plan's time zone).
// Line is the line of a CSV file the row starts on, set only where it is
// not the row (a cell above spans lines, or blank lines were skipped).
type Problem struct {
	Row     int    `json:"row"`
	Line    int    `json:"line,omitempty"`
	Column  string `json:"column,omitempty"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	at := fmt.Sprintf("row %d", p.Row)
	if p.Line != 0 {
		at += fmt.Sprintf(" (line %d)", p.Line)
	}
	if p.Column != "" {
		return fmt.Sprintf("%s, %s: %s", at, p.Column, p.Message)
	}
	return fmt.Sprintf("%s: %s", at, p.Message)
}

// SetLines sets the Line of each problem about a row of posts whose file
// line differs from its row (see Post.Line), for problems found after the
// plan was read (storage's).
func SetLines(ps []Problem, posts []Post) {
	lines := map[int]int{}
	for _, p := range posts {
		if p.Line != 0 && p.Line != p.Row {
			lines[p.Row] = p.Line
		}
	}
	for i := range ps {
		if ps[i].Line == 0 && ps[i].Row > 0 {
			ps[i].Line = lines[ps[i].Row]
		}
	}
}

// Error is the domain error: a code from the list above, a message safe to
// show to the API client, and for EVALIDATION every problem found.
type Error struct {
	Code    string
	Message string
	Details []Problem
}

func (e *Error) Error() string {
	return fmt.Sprintf("herald error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err if it is (or wraps) an *Error, EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the client-safe message of err: the message of an
// *Error, or a generic text for anything else (internal details are logged,
// not shown).
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// ErrorDetails returns the problems of an EVALIDATION error, or nil.
func ErrorDetails(err error) []Problem {
	var e *Error
	if errors.As(err, &e) {
		return e.Details
	}
	return nil
}
