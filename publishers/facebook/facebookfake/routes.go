package facebookfake

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

func invalid(what string) *GraphError {
	return &GraphError{Code: 100, Type: "OAuthException", Message: "(#100) " + what}
}

// route answers one authenticated call.
func (s *Server) route(c Call, form url.Values, now time.Time) (any, *GraphError) {
	switch c.Op {
	case "feed":
		return s.postFeed(form, now)
	case "photos":
		return s.postPhoto(form, now)
	case "list":
		return s.list(form)
	case "page":
		return map[string]string{"name": s.opts.PageName, "id": s.opts.PageID}, nil
	case "post":
		return s.getPost(c.Path, form)
	}
	return nil, &GraphError{Code: 100, Subcode: 33, Type: "GraphMethodException",
		Message: fmt.Sprintf("Unsupported %s request. Object with ID '%s' does not exist, cannot be loaded due to missing permissions, or does not support this operation.", c.Method, c.Path)}
}

// postFeed makes a Page post: message and link, or message and attached_media.
func (s *Server) postFeed(form url.Values, now time.Time) (any, *GraphError) {
	msg, link := form.Get("message"), form.Get("link")
	s.mu.Lock()
	defer s.mu.Unlock()
	var media []*Photo
	for i := 0; ; i++ {
		v, ok := form[fmt.Sprintf("attached_media[%d]", i)]
		if !ok {
			break
		}
		var ref struct {
			ID string `json:"media_fbid"`
		}
		if json.Unmarshal([]byte(v[0]), &ref) != nil || ref.ID == "" {
			return nil, invalid(fmt.Sprintf("attached_media[%d] must be {\"media_fbid\":\"<id>\"}", i))
		}
		p := s.photos[ref.ID]
		if p == nil || p.Published || p.Attached != "" {
			return nil, invalid(fmt.Sprintf("attached_media[%d]: %s is not an unpublished photo of this Page", i, ref.ID))
		}
		media = append(media, p)
	}
	if len(media) > 0 && link != "" {
		return nil, invalid("link cannot be used with attached_media")
	}
	if msg == "" && link == "" && len(media) == 0 {
		return nil, invalid("The status you are trying to publish is empty")
	}
	if msg != "" {
		for _, p := range s.feed {
			if p.Message == msg && now.Sub(p.Created) < s.opts.DuplicateWindow {
				return nil, &GraphError{Code: 506, Subcode: 1455006, Type: "OAuthException", Message: "Duplicate status message"}
			}
		}
	}
	post := Post{Message: msg, Link: link, Created: now}
	for _, p := range media {
		post.Photos = append(post.Photos, p.URL)
	}
	post = s.newPost(post)
	for _, p := range media {
		p.Attached = post.ID
	}
	s.posts.Append(post)
	return map[string]string{"id": post.ID}, nil
}

// postPhoto uploads a photo by URL: published (a post with its caption) or not.
func (s *Server) postPhoto(form url.Values, now time.Time) (any, *GraphError) {
	src := form.Get("url")
	if form.Get("source") != "" || src == "" {
		return nil, invalid("url or source is required (this fake takes url only)")
	}
	if u, err := url.Parse(src); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, &GraphError{Code: 324, Type: "OAuthException", Message: "(#324) Missing or invalid image file"}
	}
	published := true
	if v := form.Get("published"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, invalid("published must be a boolean")
		}
		published = b
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next++
	photo := &Photo{ID: strconv.FormatInt(s.next, 10), URL: src, Published: published}
	s.photos[photo.ID] = photo
	if !published {
		return map[string]string{"id": photo.ID}, nil
	}
	caption := form.Get("caption")
	if caption == "" {
		caption = form.Get("message")
	}
	post := s.newPost(Post{PhotoID: photo.ID, Message: caption, Photos: []string{src}, Created: now})
	s.posts.Append(post)
	return map[string]string{"id": photo.ID, "post_id": post.ID}, nil
}

// getPost reads one post's fields (id and permalink_url, message, created_time).
func (s *Server) getPost(id string, form url.Values) (any, *GraphError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.feed {
		if p.ID == id {
			return fields(p, form.Get("fields")), nil
		}
	}
	return nil, &GraphError{Code: 100, Subcode: 33, Type: "GraphMethodException",
		Message: fmt.Sprintf("Unsupported get request. Object with ID '%s' does not exist, cannot be loaded due to missing permissions, or does not support this operation.", id)}
}

// list answers the Page's feed, newest first, created at or after since.
func (s *Server) list(form url.Values) (any, *GraphError) {
	limit := 25
	if v := form.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, invalid("limit must be a positive integer")
		}
		limit = min(n, 100)
	}
	var since int64
	if v := form.Get("since"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, invalid("since must be a unix time")
		}
		since = n
	}
	s.mu.Lock()
	posts := make([]Post, 0, len(s.feed))
	for i := len(s.feed) - 1; i >= 0; i-- {
		posts = append(posts, s.feed[i])
	}
	s.mu.Unlock()
	sort.SliceStable(posts, func(i, j int) bool { return posts[i].Created.After(posts[j].Created) })
	data := []map[string]string{}
	for _, p := range posts {
		if p.Created.Unix() < since || len(data) == limit {
			continue
		}
		data = append(data, fields(p, form.Get("fields")))
	}
	return map[string]any{"data": data, "paging": map[string]any{}}, nil
}

// fields renders a post with the fields asked for (id always).
func fields(p Post, want string) map[string]string {
	out := map[string]string{"id": p.ID}
	for _, f := range strings.Split(want, ",") {
		switch strings.TrimSpace(f) {
		case "message":
			if p.Message != "" {
				out["message"] = p.Message
			}
		case "created_time":
			out["created_time"] = p.Created.UTC().Format("2006-01-02T15:04:05-0700")
		case "permalink_url":
			out["permalink_url"] = p.PermalinkURL
		}
	}
	return out
}
