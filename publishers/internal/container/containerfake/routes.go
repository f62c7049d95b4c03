package containerfake

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

func missing(method, id string) graphError {
	return graphError{Code: 100, Subcode: 33, Message: fmt.Sprintf("Unsupported %s request. Object with ID '%s' does not exist, "+
		"cannot be loaded due to missing permissions, or does not support this operation", strings.ToLower(method), id)}
}

// route answers an authenticated request and returns the Graph code written (0 for success).
func (s *Server) route(w http.ResponseWriter, method, path, step string, params url.Values) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	parts := strings.Split(path, "/")
	if len(parts) == 2 && parts[0] != s.opts.UserID {
		return writeError(w, http.StatusBadRequest, missing(method, parts[0]))
	}
	switch step {
	case StepProfile:
		if method != http.MethodGet || (path == "me" && !s.d.Me) {
			break
		}
		writeJSON(w, http.StatusOK, map[string]string{"id": s.opts.UserID, "username": s.opts.Username})
		return 0
	case StepCreate:
		return s.create(w, params, now)
	case StepStatus:
		c, ok := s.containers[path]
		if !ok {
			return writeError(w, http.StatusBadRequest, missing(method, path))
		}
		writeJSON(w, http.StatusOK, map[string]string{"id": c.ID, s.d.StatusField: s.status(c, now, true)})
		return 0
	case StepPermalink:
		i, ok := s.byMedia[path]
		if !ok {
			return writeError(w, http.StatusBadRequest, missing(method, path))
		}
		writeJSON(w, http.StatusOK, map[string]string{"id": path, "permalink": s.posts.All()[i].Permalink})
		return 0
	case StepLimit:
		writeJSON(w, http.StatusOK, map[string]any{"data": []any{map[string]any{"quota_usage": s.usage(now),
			"config": map[string]any{"quota_total": s.opts.QuotaTotal, "quota_duration": int(Window.Seconds())}}}})
		return 0
	case StepPublish:
		return s.publish(w, params, now)
	case StepList:
		limit, _ := strconv.Atoi(params.Get("limit"))
		if limit <= 0 {
			limit = 25
		}
		posts := s.posts.All()
		data := []map[string]any{}
		for i := len(posts) - 1; i >= 0 && len(data) < limit; i-- {
			p := posts[i]
			data = append(data, map[string]any{"id": p.ID, s.d.TextParam: p.Text, "permalink": p.Permalink,
				"timestamp": p.At.UTC().Format("2006-01-02T15:04:05-0700")})
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": data})
		return 0
	}
	return writeError(w, http.StatusBadRequest, missing(method, path))
}

// status is a container's status now; poll counts a status read.
func (s *Server) status(c *Container, now time.Time, poll bool) string {
	switch {
	case c.Status == "PUBLISHED" || c.Status == "ERROR":
		return c.Status
	case now.Sub(c.Created) >= Window:
		c.Status = "EXPIRED"
	case c.Polls < s.opts.PollsToFinish:
		if poll {
			c.Polls++
		}
		c.Status = "IN_PROGRESS"
	default:
		c.Status = "FINISHED"
	}
	return c.Status
}

func (s *Server) create(w http.ResponseWriter, p url.Values, now time.Time) int {
	c := &Container{Type: p.Get("media_type"), Text: p.Get(s.d.TextParam), Image: p.Get("image_url"),
		Child: p.Get("is_carousel_item") == "true", Created: now}
	if c.Type == "" && !s.d.ImageType {
		c.Type = "IMAGE"
	}
	switch c.Type {
	case "IMAGE":
		if !strings.HasPrefix(c.Image, "http://") && !strings.HasPrefix(c.Image, "https://") {
			return writeError(w, http.StatusBadRequest, graphError{Code: 9004, Subcode: 2207052,
				Message: "The media could not be fetched from this URI: " + c.Image})
		}
	case "TEXT":
		if !s.d.TextType || c.Child {
			return writeError(w, http.StatusBadRequest, graphError{Code: 100, Message: "Invalid parameter: media_type TEXT is not supported here"})
		}
	case "CAROUSEL":
		ids := strings.Split(p.Get("children"), ",")
		if p.Get("children") == "" || len(ids) < 2 || len(ids) > s.d.MaxItems {
			return writeError(w, http.StatusBadRequest, graphError{Code: 100, Subcode: 2207007,
				Message: fmt.Sprintf("Invalid parameter: a carousel has 2 to %d children", s.d.MaxItems)})
		}
		for _, id := range ids {
			ch, ok := s.containers[id]
			if !ok || !ch.Child {
				return writeError(w, http.StatusBadRequest, graphError{Code: 100, Message: "Invalid parameter: children: " + id + " is not a carousel item container"})
			}
		}
		c.Children = ids
	default:
		return writeError(w, http.StatusBadRequest, graphError{Code: 100, Message: "Invalid parameter: media_type must be one of IMAGE, CAROUSEL" +
			map[bool]string{true: ", TEXT", false: ""}[s.d.TextType]})
	}
	if n := utf8.RuneCountInString(c.Text); n > s.d.MaxText {
		return writeError(w, http.StatusBadRequest, graphError{Code: 100, Subcode: 2207010,
			Message: fmt.Sprintf("Invalid parameter: the %s is too long (%d characters, at most %d)", s.d.TextParam, n, s.d.MaxText)})
	}
	c.ID = s.id()
	s.status(c, now, false)
	s.containers[c.ID] = c
	s.order = append(s.order, c.ID)
	writeJSON(w, http.StatusOK, map[string]string{"id": c.ID})
	return 0
}

func (s *Server) publish(w http.ResponseWriter, p url.Values, now time.Time) int {
	id := p.Get("creation_id")
	c, ok := s.containers[id]
	if !ok || c.Child {
		return writeError(w, http.StatusBadRequest, graphError{Code: 100, Message: "Invalid parameter: creation_id " + id + " is not a container to publish"})
	}
	switch s.status(c, now, false) {
	case "PUBLISHED":
		return writeError(w, http.StatusBadRequest, graphError{Code: 100, Subcode: 2207008, Message: "The media container was already published"})
	case "EXPIRED":
		return writeError(w, http.StatusBadRequest, graphError{Code: 100, Subcode: 2207020, Message: "The media container has expired"})
	case "IN_PROGRESS":
		return writeError(w, http.StatusBadRequest, graphError{Code: 9007, Subcode: 2207027, Message: "Media ID is not available"})
	}
	if s.usage(now) >= s.opts.QuotaTotal {
		return writeError(w, http.StatusBadRequest, graphError{Code: 9, Subcode: 2207042,
			Message: "You have reached the maximum number of posts that were allowed to be published"})
	}
	post := s.publishLocked(c, now)
	writeJSON(w, http.StatusOK, map[string]string{"id": post.ID})
	return 0
}

// publishLocked turns container c into a post at at. s.mu is held.
func (s *Server) publishLocked(c *Container, at time.Time) Post {
	post := Post{ID: s.id(), Container: c.ID, Text: c.Text, At: at}
	switch c.Type {
	case "IMAGE":
		post.Media = 1
	case "CAROUSEL":
		post.Media = len(c.Children)
	}
	post.Permalink = s.d.Permalink(s.opts.Username, post.ID)
	c.Status, c.MediaID = "PUBLISHED", post.ID
	s.byMedia[post.ID] = len(s.posts.All())
	s.posts.Append(post)
	return post
}
