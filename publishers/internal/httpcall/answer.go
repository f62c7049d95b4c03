package httpcall

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"unicode"
)

// MaxShortText is the longest plain-text body quoted as it is ("ok",
// "invalid_payload", "Not Found"); longer ones are summarised.
const MaxShortText = 64

// Answer formats a response for a Result's Response field: the status and
// the body when it is JSON or a short line of text, else the status and a
// summary of the body ("(text/html, 12 KB)"). It is not cut here: Finish
// cuts the Response once its secrets are redacted.
func Answer(resp *Response) string {
	if resp == nil {
		return ""
	}
	if body, ok := Quotable(resp); ok {
		return fmt.Sprintf("%d %s", resp.Status, body)
	}
	return fmt.Sprintf("%d %s", resp.Status, Summarise(resp))
}

// BodyText describes an answer that carries no error object the adapter
// knows: "HTTP <status>: <body>" when the body is JSON or a short line of
// text, else "HTTP <status> <status text> (<type>, <size>)" — an HTML page
// or any other body is never quoted. Finish and Check cut it, after
// redacting.
func BodyText(resp *Response) string {
	if body, ok := Quotable(resp); ok && body != "" {
		return fmt.Sprintf("HTTP %d: %s", resp.Status, body)
	}
	return fmt.Sprintf("HTTP %d %s %s", resp.Status, http.StatusText(resp.Status), Summarise(resp))
}

// Quotable returns the body of resp, trimmed, when it may be quoted in a
// record: JSON (by its Content-Type or its first character), or one line
// of at most MaxShortText printable characters without markup (whatever
// the Content-Type says). An empty body is quotable as "".
func Quotable(resp *Response) (string, bool) {
	body := strings.TrimSpace(string(resp.Body))
	if body == "" {
		return "", true
	}
	ctype, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if (strings.HasSuffix(ctype, "json") || ctype == "" || ctype == "text/plain" || ctype == "text/javascript") &&
		(body[0] == '{' || body[0] == '[') && json.Valid([]byte(body)) {
		return body, true
	}
	if len(body) > MaxShortText || strings.ContainsAny(body, "<>") { // (Slack answers "ok" as text/html)
		return "", false
	}
	for _, r := range body {
		if !unicode.IsPrint(r) {
			return "", false
		}
	}
	return body, true
}

// Summarise describes a body without quoting it: "(text/html, 12 KB)", or
// "(no body)".
func Summarise(resp *Response) string {
	n := int64(len(bytes.TrimSpace(resp.Body)))
	if n == 0 {
		return "(no body)"
	}
	n = max(n, resp.contentLength())
	ctype, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if ctype == "" {
		ctype = "no content type"
	}
	return fmt.Sprintf("(%s, %s)", ctype, size(n))
}

func (r *Response) contentLength() int64 {
	var n int64
	fmt.Sscan(r.Header.Get("Content-Length"), &n)
	return n
}

// size is n bytes as a person reads it: "512 bytes", "12 KB", "3.4 MB".
func size(n int64) string {
	switch {
	case n < 1024:
		return fmt.Sprintf("%d bytes", n)
	case n < 1<<20:
		return fmt.Sprintf("%d KB", (n+512)/1024)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
}
