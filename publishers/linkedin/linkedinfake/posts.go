package linkedinfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf16"

	"github.com/heraldhq/herald/publishers/internal/fakeserver"
)

// Reserved are the characters of LinkedIn's little text format that a
// backslash must escape.
const Reserved = `|{}@[]()<>#\*_~`

// MaxCommentary is the commentary's bound in UTF-16 units.
const MaxCommentary = 3000

// Decode reads commentary in the little text format as LinkedIn shows
// it: a backslash makes the next character literal, and an unescaped
// reserved character ends the shown text (lost is the rest, from it on).
func Decode(commentary string) (text, lost string) {
	var b strings.Builder
	rs := []rune(commentary)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if r == '\\' && i+1 < len(rs) {
			i++
			b.WriteRune(rs[i])
			continue
		}
		if strings.ContainsRune(Reserved, r) {
			return b.String(), string(rs[i:])
		}
		b.WriteRune(r)
	}
	return b.String(), ""
}

// postBody is the Posts API's request body, as far as the fake reads it.
type postBody struct {
	Author       *string `json:"author"`
	Commentary   string  `json:"commentary"`
	Visibility   string  `json:"visibility"`
	Distribution *struct {
		FeedDistribution string `json:"feedDistribution"`
	} `json:"distribution"`
	LifecycleState string `json:"lifecycleState"`
	Content        *struct {
		Media *struct {
			ID string `json:"id"`
		} `json:"media"`
		MultiImage *struct {
			Images []struct {
				ID string `json:"id"`
			} `json:"images"`
		} `json:"multiImage"`
		Article *Article `json:"article"`
	} `json:"content"`
}

func unprocessable(w http.ResponseWriter, format string, args ...any) {
	writeError(w, http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY", fmt.Sprintf(format, args...))
}

// createPost answers POST /rest/posts.
func (s *Server) createPost(w http.ResponseWriter, r *http.Request, body []byte) {
	var in postBody
	if err := json.Unmarshal(body, &in); err != nil {
		writeError(w, http.StatusBadRequest, "", "Invalid JSON in request body: "+err.Error())
		return
	}
	switch {
	case in.Author == nil:
		unprocessable(w, "ERROR :: /author :: field is required but not found and has no default value")
		return
	case *in.Author != s.Author:
		writeError(w, http.StatusForbidden, "ACCESS_DENIED", "Not enough permissions to create a post as "+*in.Author)
		return
	case in.Visibility != "PUBLIC" && in.Visibility != "CONNECTIONS" && in.Visibility != "LOGGED_IN":
		unprocessable(w, "ERROR :: /visibility :: %q is not an enum symbol", in.Visibility)
		return
	case in.Distribution == nil || in.Distribution.FeedDistribution == "":
		unprocessable(w, "ERROR :: /distribution/feedDistribution :: field is required but not found and has no default value")
		return
	case in.LifecycleState != "PUBLISHED":
		unprocessable(w, "ERROR :: /lifecycleState :: %q is not a valid lifecycle state for a new post", in.LifecycleState)
		return
	case len(utf16.Encode([]rune(in.Commentary))) > MaxCommentary:
		unprocessable(w, "ERROR :: /commentary :: length %d exceeds maximum length 3000", len(utf16.Encode([]rune(in.Commentary))))
		return
	}
	post := Post{Author: *in.Author, Commentary: in.Commentary, Visibility: in.Visibility,
		Version: r.Header.Get("LinkedIn-Version")}
	post.Text, post.Lost = Decode(in.Commentary)
	if c := in.Content; c != nil {
		var ids []string
		switch {
		case c.Media != nil:
			ids = []string{c.Media.ID}
		case c.MultiImage != nil:
			for _, im := range c.MultiImage.Images {
				ids = append(ids, im.ID)
			}
			if len(ids) < 2 || len(ids) > 20 {
				unprocessable(w, "ERROR :: /content/multiImage/images :: a multi-image post needs 2 to 20 images, got %d", len(ids))
				return
			}
		case c.Article != nil:
			a := c.Article
			if !strings.HasPrefix(a.Source, "http://") && !strings.HasPrefix(a.Source, "https://") {
				unprocessable(w, "ERROR :: /content/article/source :: %q is not a valid URL", a.Source)
				return
			}
			if a.Title == "" {
				unprocessable(w, "ERROR :: /content/article/title :: field is required but not found and has no default value")
				return
			}
			post.Article = a
		}
		for _, id := range ids {
			if msg := s.usable(id); msg != "" {
				unprocessable(w, "ERROR :: /content :: %s", msg)
				return
			}
		}
		post.Images = ids
	}
	s.mu.Lock()
	key := post.Author + "\x00" + post.Commentary
	if urn, dup := s.published[key]; dup {
		s.mu.Unlock()
		writeErrorJSON(w, http.StatusUnprocessableEntity, fmt.Sprintf(`{"errorDetailType":"com.linkedin.common.error.BadRequest",`+
			`"message":"Content is a duplicate of %s","errorDetails":{"inputErrors":[{"description":"Duplicate post is detected",`+
			`"input":{},"code":"DUPLICATE_POST"}]},"status":422}`, urn))
		return
	}
	s.next++
	post.URN = fmt.Sprintf("urn:li:share:%d", s.next)
	post.URL = "https://www.linkedin.com/feed/update/" + post.URN + "/"
	s.published[key] = post.URN
	s.posts.Append(post)
	s.mu.Unlock()
	w.Header().Set("x-restli-id", post.URN)
	w.WriteHeader(http.StatusCreated)
}

// usable says why an image URN cannot go in a post, or "".
func (s *Server) usable(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	im, ok := s.images[id]
	switch {
	case !ok:
		return fmt.Sprintf("image %q does not exist", id)
	case im.size == 0:
		return fmt.Sprintf("image %q has not been uploaded", id)
	}
	return ""
}

// initializeUpload answers POST /rest/images?action=initializeUpload.
func (s *Server) initializeUpload(w http.ResponseWriter, body []byte) {
	var in struct {
		Req *struct {
			Owner string `json:"owner"`
		} `json:"initializeUploadRequest"`
	}
	if err := json.Unmarshal(body, &in); err != nil || in.Req == nil || in.Req.Owner == "" {
		unprocessable(w, "ERROR :: /initializeUploadRequest/owner :: field is required but not found and has no default value")
		return
	}
	if in.Req.Owner != s.Author {
		writeError(w, http.StatusForbidden, "ACCESS_DENIED", "Not enough permissions to upload an image for "+in.Req.Owner)
		return
	}
	s.mu.Lock()
	s.next++
	urn := fmt.Sprintf("urn:li:image:C4E10AQ%d", s.next)
	path := fmt.Sprintf("/upload/%d", s.next)
	s.images[urn] = &image{urn: urn, owner: in.Req.Owner}
	s.uploads[path] = urn
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"value": map[string]any{
		"uploadUrlExpiresAt": 1767225600000, "uploadUrl": s.URL + path, "image": urn}})
}

// upload answers the PUT of an image's bytes.
func (s *Server) upload(w http.ResponseWriter, r *http.Request, body []byte) {
	ct := http.DetectContentType(body)
	s.mu.Lock()
	defer s.mu.Unlock()
	urn, ok := s.uploads[r.URL.Path]
	switch {
	case !ok:
		writeError(w, http.StatusNotFound, "NOT_FOUND", "upload URL unknown or expired")
		return
	case len(body) == 0 || len(body) > MaxImageBytes:
		writeError(w, http.StatusBadRequest, "", fmt.Sprintf("image size %d is not accepted", len(body)))
		return
	case ct != "image/jpeg" && ct != "image/png" && ct != "image/gif":
		writeError(w, http.StatusBadRequest, "", "unsupported image type "+ct)
		return
	}
	im := s.images[urn]
	im.size, im.contentType = len(body), ct
	w.WriteHeader(http.StatusCreated)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	fakeserver.WriteJSON(w, status, "application/json", v)
}

func writeErrorJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write([]byte(body))
}

// writeError answers LinkedIn's error JSON (without code when code is "").
func writeError(w http.ResponseWriter, status int, code, msg string) {
	if code == "" {
		b, _ := json.Marshal(map[string]any{"status": status, "message": msg})
		writeErrorJSON(w, status, string(b))
		return
	}
	writeErrorJSON(w, status, errorBody(status, code, msg))
}
