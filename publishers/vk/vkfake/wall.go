package vkfake

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// wallPost answers wall.post: {"post_id": N}. A guid seen on the same wall
// within GUIDTTL answers the original post_id and posts nothing.
func (s *Server) wallPost(form url.Values, now time.Time) (any, *vkError) {
	owner := s.opts.UserID
	if form.Get("owner_id") != "" {
		var ok bool
		if owner, ok = param(form, "owner_id"); !ok || owner == 0 {
			return nil, invalid("owner_id is invalid")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	guid := form.Get("guid")
	key := strconv.FormatInt(owner, 10) + "/" + guid
	if g, ok := s.guids[key]; ok && guid != "" && now.Sub(g.at) < GUIDTTL {
		return map[string]any{"post_id": g.postID}, nil
	}
	if owner < 0 && s.opts.NotAdmin {
		return nil, &vkError{Code: 15, Msg: "Access denied: you are not an administrator of this community"}
	}
	if owner > 0 && owner != s.opts.UserID {
		return nil, &vkError{Code: 214, Msg: "Access to adding post denied: access to the wall is closed"}
	}
	p := Post{OwnerID: owner, FromGroup: form.Get("from_group") == "1", Text: form.Get("message"), GUID: guid, Date: now}
	if a := form.Get("attachments"); a != "" {
		p.Attachments = strings.Split(a, ",")
	}
	if e := s.checkAttachments(&p); e != nil {
		return nil, e
	}
	if strings.TrimSpace(p.Text) == "" && len(p.Attachments) == 0 {
		return nil, invalid("message is empty or invalid")
	}
	if s.postedSince(owner, now.Add(-24*time.Hour)) >= s.opts.PostsPerDay {
		return nil, &vkError{Code: 214, Msg: "Access to adding post denied: you can only add " + strconv.Itoa(s.opts.PostsPerDay) + " posts a day"}
	}
	p = s.publish(p)
	s.posts.Append(p)
	if guid != "" {
		s.guids[key] = guidEntry{postID: p.ID, at: now}
	}
	return map[string]any{"post_id": p.ID}, nil
}

// checkAttachments accepts saved photos "photo<owner>_<id>" (at most
// MaxAttachments) and at most one http(s) URL, and fills Photos and Link.
// Called with s.mu held.
func (s *Server) checkAttachments(p *Post) *vkError {
	for _, a := range p.Attachments {
		switch {
		case strings.HasPrefix(a, "http://") || strings.HasPrefix(a, "https://"):
			if p.Link != "" {
				return invalid("attachments: only one link can be attached")
			}
			p.Link = a
		case strings.HasPrefix(a, "photo"):
			if _, ok := s.saved[strings.TrimPrefix(a, "photo")]; !ok {
				return invalid("attachments: photo " + a + " not found")
			}
			p.Photos++
		default:
			return invalid("attachments: unknown attachment " + a)
		}
	}
	if len(p.Attachments)-boolInt(p.Link != "") > MaxAttachments {
		return invalid(fmt.Sprintf("attachments: too many attachments (at most %d)", MaxAttachments))
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// postedSince counts the posts on owner's wall dated after t. Called with s.mu held.
func (s *Server) postedSince(owner int64, t time.Time) int {
	n := 0
	for _, p := range s.wall[owner] {
		if p.Date.After(t) {
			n++
		}
	}
	return n
}

// publish gives p the wall's next id and its URL, and stores it. Called with s.mu held.
func (s *Server) publish(p Post) Post {
	if s.nextPost[p.OwnerID] == 0 {
		s.nextPost[p.OwnerID] = 100
	}
	s.nextPost[p.OwnerID]++
	p.ID = s.nextPost[p.OwnerID]
	p.URL = fmt.Sprintf("https://vk.com/wall%d_%d", p.OwnerID, p.ID)
	s.wall[p.OwnerID] = append(s.wall[p.OwnerID], p)
	return p
}

// wallGet answers wall.get: {"count": N, "items": […]}, newest first;
// count defaults to 20 and is at most 100.
func (s *Server) wallGet(form url.Values) (any, *vkError) {
	owner := s.opts.UserID
	if form.Get("owner_id") != "" {
		var ok bool
		if owner, ok = param(form, "owner_id"); !ok || owner == 0 {
			return nil, invalid("owner_id is invalid")
		}
	}
	count, offset := int64(20), int64(0)
	if form.Get("count") != "" {
		var ok bool
		if count, ok = param(form, "count"); !ok || count < 0 || count > 100 {
			return nil, invalid("count should be less or equal to 100")
		}
	}
	if form.Get("offset") != "" {
		offset, _ = param(form, "offset")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	wall := s.wall[owner]
	items := []map[string]any{}
	for i := len(wall) - 1 - int(offset); i >= 0 && len(items) < int(count); i-- {
		items = append(items, s.postJSON(wall[i]))
	}
	return map[string]any{"count": len(wall), "items": items}, nil
}

// postJSON is a wall post object as wall.get answers it. Called with s.mu held.
func (s *Server) postJSON(p Post) map[string]any {
	from := p.OwnerID
	if p.OwnerID < 0 && !p.FromGroup {
		from = s.opts.UserID
	}
	atts := []map[string]any{}
	for _, a := range p.Attachments {
		if ph, ok := s.saved[strings.TrimPrefix(a, "photo")]; ok && strings.HasPrefix(a, "photo") {
			atts = append(atts, map[string]any{"type": "photo", "photo": map[string]any{
				"id": ph.ID, "owner_id": ph.OwnerID, "album_id": -14, "date": ph.Date.Unix(), "sizes": []any{}}})
		} else if a == p.Link {
			atts = append(atts, map[string]any{"type": "link", "link": map[string]any{"url": a, "title": a}})
		}
	}
	return map[string]any{"id": p.ID, "owner_id": p.OwnerID, "from_id": from, "date": p.Date.Unix(),
		"post_type": "post", "text": p.Text, "attachments": atts}
}

// groupsByID answers groups.getById in the 5.199 shape: {"groups": […], "profiles": []}.
func (s *Server) groupsByID(form url.Values) (any, *vkError) {
	ids := form.Get("group_ids")
	if ids == "" {
		ids = form.Get("group_id")
	}
	if ids == "" {
		return nil, invalid("group_ids is undefined")
	}
	groups := []map[string]any{}
	for _, raw := range strings.Split(ids, ",") {
		id, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 64)
		if err != nil || id <= 0 {
			return nil, invalid("group_ids is undefined")
		}
		admin := 1
		if s.opts.NotAdmin {
			admin = 0
		}
		g := map[string]any{"id": id, "name": fmt.Sprintf("Community %d", id), "screen_name": fmt.Sprintf("club%d", id),
			"is_closed": 0, "type": "page", "is_admin": admin, "is_member": 1}
		if admin == 1 {
			g["admin_level"] = 3
		}
		groups = append(groups, g)
	}
	return map[string]any{"groups": groups, "profiles": []any{}}, nil
}
