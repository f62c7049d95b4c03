package vkfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// upload is one file the upload server took, waiting for saveWallPhoto.
type upload struct {
	group       int64 // 0 for a user's wall
	server      int64
	photo       string
	contentType string
	size        int
	saved       bool
}

// uploadServer answers photos.getWallUploadServer: {"upload_url", "album_id", "user_id"}.
func (s *Server) uploadServer(form url.Values) (any, *vkError) {
	group := int64(0)
	if form.Get("group_id") != "" {
		var ok bool
		if group, ok = param(form, "group_id"); !ok || group <= 0 {
			return nil, invalid("group_id is invalid")
		}
		if s.opts.NotAdmin {
			return nil, &vkError{Code: 15, Msg: "Access denied: you are not an administrator of this community"}
		}
	}
	u := fmt.Sprintf("%s/upload/wall?act=do_add&mid=%d&aid=-14&gid=%d", s.URL, s.opts.UserID, group)
	return map[string]any{"upload_url": u, "album_id": -14, "user_id": s.opts.UserID}, nil
}

// upload answers a POST to the upload URL with multipart field "photo":
// {"server": N, "photo": "<JSON string>", "hash": "…"}. A missing file, one
// that is not a JPG, PNG or GIF, or one over MaxPhotoBytes gets "photo": "[]",
// as VK's upload server answers. It returns 0: the upload server has no error codes.
func (s *Server) upload(w http.ResponseWriter, r *http.Request, now time.Time) int {
	group, _ := strconv.ParseInt(r.URL.Query().Get("gid"), 10, 64)
	s.mu.Lock()
	s.nextPhoto++
	n := s.nextPhoto
	s.mu.Unlock()
	server := 850000 + n%1000
	hash := fmt.Sprintf("%032x", n*2654435761)
	photo := "[]"
	var ctype string
	var size int
	if f, _, err := r.FormFile("photo"); err == nil {
		data, _ := io.ReadAll(io.LimitReader(f, MaxPhotoBytes+1))
		f.Close()
		ctype, size = http.DetectContentType(data), len(data)
		switch {
		case size > MaxPhotoBytes:
		case ctype == "image/jpeg" || ctype == "image/png" || ctype == "image/gif":
			b, _ := json.Marshal([]map[string]any{{"photo": fmt.Sprintf("%x:%d", n, size), "sizes": []any{}, "kid": hash[:8]}})
			photo = string(b)
		}
	}
	s.mu.Lock()
	s.uploads[hash] = &upload{group: group, server: server, photo: photo, contentType: ctype, size: size}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=windows-1251") // as VK's upload server labels its JSON
	w.WriteHeader(http.StatusOK)
	json.NewEncoder(w).Encode(map[string]any{"server": server, "photo": photo, "hash": hash})
	return 0
}

// savePhoto answers photos.saveWallPhoto: [{"id", "owner_id", …}]. The
// photo, server and hash must be one upload's answer, for the same group,
// saved once; "[]" is error 100, anything else mismatched error 121.
func (s *Server) savePhoto(form url.Values, now time.Time) (any, *vkError) {
	group := int64(0)
	if form.Get("group_id") != "" {
		group, _ = param(form, "group_id")
	}
	photo := form.Get("photo")
	if photo == "" || photo == "[]" {
		return nil, invalid("photos_list is invalid")
	}
	server, _ := param(form, "server")
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.uploads[form.Get("hash")]
	if !ok || u.saved || u.photo != photo || u.server != server || u.group != group {
		return nil, &vkError{Code: 121, Msg: "Invalid hash"}
	}
	u.saved = true
	s.nextPhoto++
	p := Photo{ID: s.nextPhoto, OwnerID: s.opts.UserID, ContentType: u.contentType, Size: u.size, Date: now}
	if group != 0 {
		p.OwnerID = -group
	}
	s.saved[fmt.Sprintf("%d_%d", p.OwnerID, p.ID)] = p
	s.photos.Append(p)
	return []map[string]any{{"id": p.ID, "album_id": -14, "owner_id": p.OwnerID, "user_id": s.opts.UserID,
		"date": now.Unix(), "sizes": []any{}, "text": "", "has_tags": false}}, nil
}
