package telegramfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"html"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/heraldhq/herald/publishers/internal/fakeserver"
)

// Limits of the Bot API, counted in UTF-16 code units of the visible text.
const (
	MaxTextLength    = 4096
	MaxCaptionLength = 1024
)

// params are a call's parameters: JSON values as their raw text (strings
// unquoted), or form/query values.
type params map[string]string

func (p params) str(k string) string { return p[k] }

func readParams(r *http.Request) (params, error) {
	p := params{}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		b, err := io.ReadAll(io.LimitReader(r.Body, 10<<20))
		if err != nil {
			return nil, fmt.Errorf("can't read the request")
		}
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(b, &raw); err != nil {
			return nil, fmt.Errorf("can't parse JSON object")
		}
		for k, v := range raw {
			var s string
			if json.Unmarshal(v, &s) == nil {
				p[k] = s
			} else {
				p[k] = string(bytes.TrimSpace(v))
			}
		}
		for k, vs := range r.URL.Query() {
			if _, ok := p[k]; !ok && len(vs) > 0 {
				p[k] = vs[0]
			}
		}
		return p, nil
	}
	if err := r.ParseMultipartForm(10 << 20); err != nil && err != http.ErrNotMultipart {
		return nil, fmt.Errorf("can't parse the request")
	}
	for k, vs := range r.Form {
		if len(vs) > 0 {
			p[k] = vs[0]
		}
	}
	return p, nil
}

type inputMedia struct {
	Type      string `json:"type"`
	Media     string `json:"media"`
	Caption   string `json:"caption"`
	ParseMode string `json:"parse_mode"`
}

// post validates a send call as Telegram would and, when valid, posts it:
// it assigns message ids, records the Message and returns the result.
func (s *Server) post(method string, p params, received time.Time) (any, *Fault) {
	chatID := p.str("chat_id")
	s.mu.Lock()
	to, migrated := s.migrated[chatID]
	s.mu.Unlock()
	if migrated {
		f := Migrate(to)
		return nil, &f
	}
	chat, ok := chatObject(chatID)
	if !ok {
		f := BadRequest("chat not found")
		return nil, &f
	}
	m := Message{Method: method, ChatID: chatID, ParseMode: p.str("parse_mode"), Received: received}
	if !validParseMode(m.ParseMode) {
		f := BadRequest("unsupported parse_mode")
		return nil, &f
	}
	switch method {
	case "sendMessage":
		m.Text = p.str("text")
		n := utf16Len(visible(m.Text, m.ParseMode))
		if n == 0 {
			f := BadRequest("message text is empty")
			return nil, &f
		} else if n > MaxTextLength {
			f := BadRequest("message is too long")
			return nil, &f
		}
	case "sendPhoto":
		m.Text = p.str("caption")
		if p.str("photo") == "" {
			f := BadRequest("there is no photo in the request")
			return nil, &f
		}
		m.Photos = []string{p.str("photo")}
		if utf16Len(visible(m.Text, m.ParseMode)) > MaxCaptionLength {
			f := BadRequest("message caption is too long")
			return nil, &f
		}
	case "sendMediaGroup":
		var items []inputMedia
		if err := json.Unmarshal([]byte(p.str("media")), &items); err != nil {
			f := BadRequest("can't parse media JSON object")
			return nil, &f
		}
		if len(items) < 2 || len(items) > 10 {
			f := BadRequest("wrong number of media in the album: must include 2-10 items")
			return nil, &f
		}
		for _, it := range items {
			if it.Type != "photo" && it.Type != "video" {
				f := BadRequest("unsupported media type in the album")
				return nil, &f
			}
			if it.Media == "" {
				f := BadRequest("there is no media in the album item")
				return nil, &f
			}
			if !validParseMode(it.ParseMode) {
				f := BadRequest("unsupported parse_mode")
				return nil, &f
			}
			if utf16Len(visible(it.Caption, it.ParseMode)) > MaxCaptionLength {
				f := BadRequest("message caption is too long")
				return nil, &f
			}
			if m.Text == "" && it.Caption != "" {
				m.Text, m.ParseMode = it.Caption, it.ParseMode
			}
			m.Photos = append(m.Photos, it.Media)
		}
	}
	count := max(1, len(m.Photos))
	s.mu.Lock()
	for range count {
		s.nextID[chatID]++
		m.MessageIDs = append(m.MessageIDs, s.nextID[chatID])
	}
	s.albums++
	group := strconv.FormatInt(13000000000000000+s.albums, 10)
	s.mu.Unlock()
	m.MessageID = m.MessageIDs[0]
	s.messages.Append(m)

	results := make([]map[string]any, len(m.MessageIDs))
	for i, id := range m.MessageIDs {
		msg := map[string]any{"message_id": id, "date": received.Unix(), "chat": chat}
		switch method {
		case "sendMessage":
			msg["text"] = m.Text
		case "sendPhoto":
			msg["photo"] = []map[string]any{{"file_id": fmt.Sprintf("AgAC-%d", id), "width": 1280, "height": 720}}
			if m.Text != "" {
				msg["caption"] = m.Text
			}
		case "sendMediaGroup":
			msg["media_group_id"] = group
			msg["photo"] = []map[string]any{{"file_id": fmt.Sprintf("AgAC-%d", id), "width": 1280, "height": 720}}
			if i == 0 && m.Text != "" {
				msg["caption"] = m.Text
			}
		}
		results[i] = msg
	}
	if method == "sendMediaGroup" {
		return results, nil
	}
	return results[0], nil
}

// chatObject answers the Chat of a chat id as Telegram would: a channel
// with a username for "@name", a supergroup for "-100…", a group or
// private chat for other numbers. ok is false for ids that are neither.
func chatObject(chatID string) (chat map[string]any, ok bool) {
	if name, isName := strings.CutPrefix(chatID, "@"); isName {
		if name == "" {
			return nil, false
		}
		h := fnv.New32a()
		h.Write([]byte(strings.ToLower(name)))
		return map[string]any{"id": -1000000000000 - int64(h.Sum32()), "type": "channel", "title": name, "username": name}, true
	}
	id, err := strconv.ParseInt(chatID, 10, 64)
	if err != nil || id == 0 {
		return nil, false
	}
	switch {
	case strings.HasPrefix(chatID, "-100"):
		return map[string]any{"id": id, "type": "supergroup", "title": "Supergroup " + chatID}, true
	case id < 0:
		return map[string]any{"id": id, "type": "group", "title": "Group " + chatID}, true
	}
	return map[string]any{"id": id, "type": "private", "first_name": "User"}, true
}

func validParseMode(m string) bool {
	return m == "" || m == "HTML" || m == "MarkdownV2" || m == "Markdown"
}

var tagRe = regexp.MustCompile(`<[^>]*>`)

// visible approximates the text left after entity parsing: HTML tags are
// stripped and entities decoded; Markdown is counted as sent.
func visible(text, parseMode string) string {
	if parseMode == "HTML" {
		return html.UnescapeString(tagRe.ReplaceAllString(text, ""))
	}
	return text
}

func utf16Len(s string) int { return len(utf16.Encode([]rune(s))) }

func writeEnvelope(w http.ResponseWriter, f Fault) {
	if f.Body != "" {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(f.Status)
		io.WriteString(w, f.Body)
		return
	}
	env := map[string]any{"ok": false, "error_code": f.Status, "description": f.Description}
	params := map[string]any{}
	if f.RetryAfter > 0 {
		params["retry_after"] = f.RetryAfter
	}
	if f.MigrateTo != 0 {
		params["migrate_to_chat_id"] = f.MigrateTo
	}
	if len(params) > 0 {
		env["parameters"] = params
	}
	writeJSON(w, f.Status, env)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	fakeserver.WriteJSON(w, status, "application/json", v)
}
