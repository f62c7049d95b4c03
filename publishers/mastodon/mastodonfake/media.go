package mastodonfake

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// upload answers POST /api/v2/media: 202 (or 200 with SyncMedia) with the
// attachment, 422 without a file or for a file that is not an image or video.
func (s *Server) upload(w http.ResponseWriter, r *http.Request, now time.Time) {
	if err := r.ParseMultipartForm(64 << 20); err != nil {
		writeError(w, http.StatusUnprocessableEntity, "Validation failed: File can't be blank")
		return
	}
	f, hdr, err := r.FormFile("file")
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, "Validation failed: File can't be blank")
		return
	}
	defer f.Close()
	data, _ := io.ReadAll(f)
	ctype := hdr.Header.Get("Content-Type")
	if ctype == "" || ctype == "application/octet-stream" {
		ctype = http.DetectContentType(data)
	}
	if !strings.HasPrefix(ctype, "image/") && !strings.HasPrefix(ctype, "video/") || len(data) == 0 {
		writeError(w, http.StatusUnprocessableEntity, "Validation failed: File content type is invalid, File is invalid")
		return
	}
	s.mu.Lock()
	s.nextID++
	u := &upload{Media: Media{ID: strconv.FormatInt(s.nextID, 10), FileName: hdr.Filename, ContentType: ctype,
		Size: len(data), Description: r.FormValue("description"), Received: now}}
	if !s.opts.SyncMedia {
		u.pending = s.opts.ProcessingPolls
	}
	s.uploads[u.ID] = u
	s.media.Append(u.Media)
	body := s.mediaJSON(u)
	s.mu.Unlock()
	status := http.StatusOK
	if !s.opts.SyncMedia {
		status = http.StatusAccepted
		body["url"] = nil
	}
	writeJSON(w, status, body)
}

// getMedia answers GET /api/v1/media/:id: 206 while processing, then 200.
func (s *Server) getMedia(w http.ResponseWriter, id string) {
	s.mu.Lock()
	u, ok := s.uploads[id]
	if !ok {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "Record not found")
		return
	}
	status := http.StatusOK
	body := s.mediaJSON(u)
	if u.pending > 0 {
		u.pending--
		status = http.StatusPartialContent
		body["url"] = nil
	}
	s.mu.Unlock()
	writeJSON(w, status, body)
}

// mediaJSON is a MediaAttachment entity. Called with s.mu held.
func (s *Server) mediaJSON(u *upload) map[string]any {
	kind := "image"
	if strings.HasPrefix(u.ContentType, "video/") {
		kind = "video"
	}
	var desc any
	if u.Description != "" {
		desc = u.Description
	}
	return map[string]any{
		"id":          u.ID,
		"type":        kind,
		"url":         s.URL + "/system/media_attachments/" + u.ID + "/original/" + u.FileName,
		"preview_url": s.URL + "/system/media_attachments/" + u.ID + "/small/" + u.FileName,
		"description": desc,
	}
}
