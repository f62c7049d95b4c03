package mastodonfake

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/rivo/uniseg"
)

type statusParams struct {
	Status     string   `json:"status"`
	Visibility string   `json:"visibility"`
	Language   string   `json:"language"`
	MediaIDs   []string `json:"media_ids"`
}

func readStatusParams(r *http.Request) (statusParams, error) {
	var p statusParams
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
			return p, err
		}
		return p, nil
	}
	if err := r.ParseMultipartForm(1 << 20); err != nil && err != http.ErrNotMultipart {
		return p, err
	}
	p.Status, p.Visibility, p.Language = r.FormValue("status"), r.FormValue("visibility"), r.FormValue("language")
	p.MediaIDs = r.Form["media_ids[]"]
	return p, nil
}

// postStatus answers POST /api/v1/statuses. A known Idempotency-Key
// (within IdempotencyTTL) answers the original status and posts nothing.
func (s *Server) postStatus(w http.ResponseWriter, r *http.Request, now time.Time) {
	p, err := readStatusParams(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "Invalid request body")
		return
	}
	key := r.Header.Get("Idempotency-Key")
	s.mu.Lock()
	defer s.mu.Unlock()
	if k, ok := s.byKey[key]; ok && key != "" && now.Sub(k.at) < IdempotencyTTL {
		writeJSON(w, http.StatusOK, s.statusJSON(s.byID[k.id]))
		return
	}
	if msg := s.validate(p); msg != "" {
		writeError(w, http.StatusUnprocessableEntity, msg)
		return
	}
	s.nextID++
	st := Status{ID: strconv.FormatInt(s.nextID, 10), Text: p.Status, Visibility: p.Visibility,
		Language: p.Language, MediaIDs: p.MediaIDs, IdempotencyKey: key, Received: now}
	if st.Visibility == "" {
		st.Visibility = "public"
	}
	st.URL = s.URL + "/@" + s.opts.Account + "/" + st.ID
	for _, id := range p.MediaIDs {
		if u, ok := s.uploads[id]; ok {
			u.attached = true
		}
	}
	s.byID[st.ID] = st
	if key != "" {
		s.byKey[key] = keyed{id: st.ID, at: now}
	}
	s.statuses.Append(st)
	writeJSON(w, http.StatusOK, s.statusJSON(st))
}

// validate checks a status as Mastodon's PostStatusService does; "" when
// valid. Called with s.mu held.
func (s *Server) validate(p statusParams) string {
	if len(p.MediaIDs) > MaxMedia {
		return fmt.Sprintf("Cannot attach more than %d files", MaxMedia)
	}
	attached := 0
	for _, id := range p.MediaIDs {
		u, ok := s.uploads[id]
		if !ok || u.attached {
			continue // Mastodon silently drops unknown or used attachments
		}
		if u.pending > 0 {
			return "Cannot attach files that have not finished processing. Try again in a moment!"
		}
		attached++
	}
	switch p.Visibility {
	case "", "public", "unlisted", "private", "direct":
	default:
		return "Validation failed: Visibility is not included in the list"
	}
	n := Length(p.Status)
	if n == 0 && attached == 0 {
		return "Validation failed: Text can't be blank"
	}
	if n > MaxCharacters {
		return fmt.Sprintf("Validation failed: Text character limit of %d exceeded", MaxCharacters)
	}
	return ""
}

var (
	urlRe     = regexp.MustCompile(`https?://[^\s<>"]+`)
	mentionRe = regexp.MustCompile(`@([A-Za-z0-9_]+)@[A-Za-z0-9.-]+[A-Za-z0-9]`)
)

// Length counts text as Mastodon does: grapheme clusters, each URL as
// URLLength characters, "@user@domain" as "@user".
func Length(text string) int {
	text = mentionRe.ReplaceAllString(text, "@$1")
	urls := urlRe.FindAllString(text, -1)
	return uniseg.GraphemeClusterCount(urlRe.ReplaceAllString(text, "")) + len(urls)*URLLength
}

func (s *Server) getStatus(w http.ResponseWriter, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.byID[id]
	if !ok {
		writeError(w, http.StatusNotFound, "Record not found")
		return
	}
	writeJSON(w, http.StatusOK, s.statusJSON(st))
}

// statusJSON is a Status entity as the API answers it. Called with s.mu held.
func (s *Server) statusJSON(st Status) map[string]any {
	media := []map[string]any{}
	for _, id := range st.MediaIDs {
		if u, ok := s.uploads[id]; ok {
			media = append(media, s.mediaJSON(u))
		}
	}
	var lang any
	if st.Language != "" {
		lang = st.Language
	}
	return map[string]any{
		"id":                st.ID,
		"created_at":        st.Received.UTC().Format("2006-01-02T15:04:05.000Z"),
		"url":               st.URL,
		"uri":               s.URL + "/users/" + s.opts.Account + "/statuses/" + st.ID,
		"content":           Content(st.Text),
		"visibility":        st.Visibility,
		"language":          lang,
		"media_attachments": media,
		"account":           map[string]any{"id": "1", "username": s.opts.Account, "acct": s.opts.Account, "url": s.URL + "/@" + s.opts.Account},
	}
}
