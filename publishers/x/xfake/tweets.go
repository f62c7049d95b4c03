package xfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

type tweetBody struct {
	Text  string `json:"text"`
	Media *struct {
		MediaIDs []string `json:"media_ids"`
	} `json:"media"`
}

// postTweet answers POST /2/tweets: 201 {"data":{"id","text",
// "edit_history_tweet_ids"}}; 400 invalid-request for a bad body, no text
// and no media, more than MaxMedia or unknown media ids; 403 for a text
// identical to a tweet of the last DuplicateWindow.
func (s *Server) postTweet(w http.ResponseWriter, r *http.Request, now time.Time) {
	var b tweetBody
	if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
		invalidRequest(w, "body", "Request body is not valid JSON: "+err.Error())
		return
	}
	var ids []string
	if b.Media != nil {
		ids = b.Media.MediaIDs
	}
	switch {
	case strings.TrimSpace(b.Text) == "" && len(ids) == 0:
		invalidRequest(w, "text", "Your Tweet text is empty.")
		return
	case len(ids) > MaxMedia:
		invalidRequest(w, "media.media_ids", fmt.Sprintf("[%d] media ids given; at most %d are allowed.", len(ids), MaxMedia))
		return
	}
	tok, _ := bearer(r)
	s.mu.Lock()
	for _, id := range ids {
		if !s.uploads[id] {
			s.mu.Unlock()
			invalidRequest(w, "media.media_ids", fmt.Sprintf("Your media IDs are invalid: [%s].", id))
			return
		}
	}
	if !s.opts.DisableDuplicateCheck {
		for _, t := range s.tweets.All() {
			if t.Text == b.Text && now.Sub(t.Received) < DuplicateWindow {
				s.mu.Unlock()
				writeProblem(w, http.StatusForbidden, "Forbidden", "You are not allowed to create a Tweet with duplicate content.")
				return
			}
		}
	}
	s.nextID++
	id := strconv.FormatInt(s.nextID, 10)
	t := Tweet{ID: id, URL: "https://x.com/" + s.opts.Username + "/status/" + id, Text: b.Text,
		MediaIDs: append([]string(nil), ids...), Token: tok, Received: now}
	s.tweets.Append(t)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]any{"data": map[string]any{
		"edit_history_tweet_ids": []string{id}, "id": id, "text": b.Text}})
}

// upload answers POST /2/media/upload (multipart: media, media_category):
// 200 {"data":{"id","media_key","size","expires_after_secs","image"}};
// 400 without media or media_category, for a file that is not an image,
// or one over MaxImageBytes.
func (s *Server) upload(w http.ResponseWriter, r *http.Request, now time.Time) {
	if err := r.ParseMultipartForm(64 << 20); err != nil {
		invalidRequest(w, "media", "The media parameter is missing.")
		return
	}
	f, _, err := r.FormFile("media")
	if err != nil {
		invalidRequest(w, "media", "The media parameter is missing.")
		return
	}
	defer f.Close()
	data, _ := io.ReadAll(f)
	category := r.FormValue("media_category")
	ctype := http.DetectContentType(data)
	switch {
	case category == "":
		invalidRequest(w, "media_category", "The media_category parameter is missing.")
		return
	case len(data) == 0 || !strings.HasPrefix(ctype, "image/"):
		invalidRequest(w, "media", "Unsupported media type: "+ctype)
		return
	case len(data) > MaxImageBytes:
		invalidRequest(w, "media", fmt.Sprintf("Image size %d exceeds the limit of %d bytes.", len(data), MaxImageBytes))
		return
	}
	s.mu.Lock()
	s.nextID++
	id := strconv.FormatInt(s.nextID, 10)
	s.uploads[id] = true
	s.media.Append(Media{ID: id, Category: category, ContentType: ctype, Size: len(data), Received: now})
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{
		"id": id, "media_key": "3_" + id, "size": len(data), "expires_after_secs": 86400,
		"image": map[string]any{"image_type": ctype, "w": 1, "h": 1}}})
}

// invalidRequest answers 400 as X API v2 does for invalid parameters.
func invalidRequest(w http.ResponseWriter, param, msg string) {
	writeJSON(w, http.StatusBadRequest, invalidRequestBody(param, msg))
}

func invalidRequestBody(param, msg string) map[string]any {
	return map[string]any{
		"errors": []map[string]any{{"parameters": map[string]any{param: []string{}}, "message": msg}},
		"title":  "Invalid Request", "detail": "One or more parameters to your request was invalid.",
		"type": "https://api.twitter.com/2/problems/invalid-request"}
}
