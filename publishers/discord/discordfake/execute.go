package discordfake

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"time"
	"unicode/utf8"
)

// epoch is Discord's snowflake epoch (2015-01-01) in Unix milliseconds.
const epoch = 1420070400000

type attachmentRef struct {
	ID       json.RawMessage `json:"id"`
	Filename string          `json:"filename"`
}

type payload struct {
	Content     string          `json:"content"`
	Username    string          `json:"username"`
	Embeds      []any           `json:"embeds"`
	Attachments []attachmentRef `json:"attachments"`
}

var filesField = regexp.MustCompile(`^files\[(\d+)\]$`)

// formError is 400 Invalid Form Body with one field error, as Discord writes it.
func formError(field, code, msg string) Fault {
	return Fault{Status: 400, Code: 50035, Message: "Invalid Form Body",
		Body: mustJSON(map[string]any{"code": 50035, "message": "Invalid Form Body",
			"errors": map[string]any{field: map[string]any{"_errors": []any{map[string]string{"code": code, "message": msg}}}}})}
}

// read parses an execute call: a JSON body, or multipart with payload_json
// and files[n] parts.
func (s *Server) read(r *http.Request) (payload, []File, [][]byte, *Fault) {
	var p payload
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&p); err != nil {
			f := Fault{Status: 400, Code: 50109, Message: "The request body contains invalid JSON."}
			return p, nil, nil, &f
		}
		return p, nil, nil, nil
	case "multipart/form-data":
	default:
		f := formError("content", "BASE_TYPE_REQUIRED", "This field is required")
		return p, nil, nil, &f
	}
	mr, err := r.MultipartReader()
	if err != nil {
		f := Fault{Status: 400, Code: 50035, Message: "Invalid Form Body"}
		return p, nil, nil, &f
	}
	var files []File
	var data [][]byte
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			f := Fault{Status: 400, Code: 50035, Message: "Invalid Form Body"}
			return p, nil, nil, &f
		}
		b, _ := io.ReadAll(io.LimitReader(part, s.opts.MaxFile+1))
		name := part.FormName()
		switch {
		case name == "payload_json":
			if err := json.Unmarshal(b, &p); err != nil {
				f := Fault{Status: 400, Code: 50109, Message: "The request body contains invalid JSON."}
				return p, nil, nil, &f
			}
		case filesField.MatchString(name):
			if int64(len(b)) > s.opts.MaxFile {
				f := Fault{Status: 413, Code: 40005, Message: "Request entity too large"}
				return p, nil, nil, &f
			}
			ctype := part.Header.Get("Content-Type")
			if ctype == "" || ctype == "application/octet-stream" {
				ctype = http.DetectContentType(b)
			}
			files = append(files, File{Field: name, Name: part.FileName(), ContentType: ctype, Size: len(b)})
			data = append(data, b)
		}
	}
	return p, files, data, nil
}

// execute validates and posts a message, answering the message object with
// wait, or 204 without it.
func (s *Server) execute(w http.ResponseWriter, r *http.Request, wait bool, now time.Time) {
	p, files, _, fail := s.read(r)
	if fail == nil {
		fail = validate(p, files)
	}
	if fail != nil {
		writeError(w, *fail)
		return
	}
	s.mu.Lock()
	m := Message{ID: s.snowflake(now), ChannelID: s.ChannelID, Content: p.Content, Username: p.Username, Wait: wait, Received: now}
	for i, f := range files {
		f.ID = s.snowflake(now)
		if n := filesField.FindStringSubmatch(f.Field)[1]; n != "" {
			for _, a := range p.Attachments {
				if string(a.ID) == n || string(a.ID) == strconv.Quote(n) {
					if a.Filename != "" {
						f.Name = a.Filename
					}
				}
			}
		}
		files[i] = f
	}
	m.Files = files
	if s.GuildID != "" {
		m.URL = "https://discord.com/channels/" + s.GuildID + "/" + s.ChannelID + "/" + m.ID
	}
	s.mu.Unlock()
	s.messages.Append(m)
	if !wait {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(w, http.StatusOK, s.messageJSON(m))
}

func validate(p payload, files []File) *Fault {
	if n := utf8.RuneCountInString(p.Content); n > MaxContent {
		f := formError("content", "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", MaxContent))
		return &f
	}
	if len(files) > MaxFiles {
		f := formError("files", "MAX_FILES", fmt.Sprintf("Must be %d or fewer in length.", MaxFiles))
		return &f
	}
	if p.Content == "" && len(files) == 0 && len(p.Embeds) == 0 {
		return &Fault{Status: 400, Code: 50006, Message: "Cannot send an empty message"}
	}
	return nil
}

// snowflake returns a new id from now. Called with s.mu held.
func (s *Server) snowflake(now time.Time) string {
	s.seq++
	return strconv.FormatInt((now.UnixMilli()-epoch)<<22|(s.seq&0xfff), 10)
}

// messageJSON is the message object ?wait=true answers. Like Discord's, it
// carries channel_id and webhook_id but no guild_id.
func (s *Server) messageJSON(m Message) map[string]any {
	atts := []map[string]any{}
	for _, f := range m.Files {
		u := "https://cdn.discordapp.com/attachments/" + m.ChannelID + "/" + f.ID + "/" + f.Name
		atts = append(atts, map[string]any{"id": f.ID, "filename": f.Name, "size": f.Size,
			"url": u, "proxy_url": u, "content_type": f.ContentType})
	}
	name := m.Username
	if name == "" {
		name = s.opts.Name
	}
	return map[string]any{
		"id": m.ID, "type": 0, "content": m.Content, "channel_id": m.ChannelID,
		"author":      map[string]any{"id": s.WebhookID, "username": name, "bot": true, "discriminator": "0000"},
		"attachments": atts, "embeds": []any{}, "mentions": []any{}, "mention_roles": []any{},
		"pinned": false, "mention_everyone": false, "tts": false, "flags": 0, "components": []any{},
		"timestamp": m.Received.UTC().Format("2006-01-02T15:04:05.000000+00:00"), "edited_timestamp": nil,
		"webhook_id": s.WebhookID,
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
