package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/jmoiron/sqlx"
)

// ReviewPage returns what review link link shows: its plan's live posts in
// row order, after cursor ("" for the first page), at most limit (100 when
// <= 0, at most 500), each with its approval and, per channel it has a
// delivery on (cancelled ones left out), the text, media, link and tags as
// that channel will publish them and its due time in the channel's time
// zone (else the workspace's). A cursor this function did not return gives
// EINVALID.
func (db *DB) ReviewPage(ctx context.Context, link *herald.ReviewLink, cursor string, limit int) (*herald.ReviewPage, error) {
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 500)
	afterRow, afterID, err := reviewCursor(cursor)
	if err != nil {
		return nil, err
	}
	var head struct {
		Workspace string `db:"workspace"`
		Zone      string `db:"timezone"`
		PlanID    int64  `db:"plan_id"`
		Title     string `db:"title"`
	}
	if err := get(ctx, db.r, &head, `SELECT w.name AS workspace, w.timezone, pl.id AS plan_id, pl.title FROM plans pl
		JOIN workspaces w ON w.id = pl.workspace_id WHERE pl.workspace_id = ? AND pl.key = ?`, link.WorkspaceID, link.Plan); notFound(err) {
		return nil, herald.Errorf(herald.ENOTFOUND, "this review link's plan no longer exists")
	} else if err != nil {
		return nil, fmt.Errorf("review: %w", err)
	}
	var posts []struct {
		Key     string `db:"key"`
		Row     int    `db:"row_num"`
		Content string `db:"content"`
		approvalRow
	}
	if err := sel(ctx, db.r, &posts, `SELECT p.key, p.row_num, p.content, `+approvalReadCols+` FROM posts p
		WHERE p.plan_id = ? AND p.removed = 0 AND (p.row_num > ? OR (p.row_num = ? AND p.id > ?))
		ORDER BY p.row_num, p.id LIMIT ?`, head.PlanID, afterRow, afterRow, afterID, limit+1); err != nil {
		return nil, fmt.Errorf("review: %w", err)
	}
	page := &herald.ReviewPage{Workspace: head.Workspace, Plan: link.Plan, Title: head.Title, Link: *link, Posts: []herald.ReviewPost{}}
	if len(posts) > limit {
		posts = posts[:limit]
		last := posts[limit-1]
		page.NextCursor = fmt.Sprintf("%d.%d", last.Row, last.PostID)
	}
	if len(posts) == 0 {
		return page, nil
	}
	ids := make([]int64, len(posts))
	for i, p := range posts {
		ids[i] = p.PostID
	}
	ap, err := loadApprovals(ctx, db.r, link.WorkspaceID, `p.id IN (?)`, ids)
	if err != nil {
		return nil, fmt.Errorf("review: %w", err)
	}
	var ds []struct {
		PostID   int64  `db:"post_id"`
		Channel  string `db:"name"`
		Platform string `db:"platform"`
		Config   string `db:"config"`
		Zone     string `db:"timezone"`
		DueAt    int64  `db:"due_at"`
		Status   string `db:"status"`
	}
	q, args, err := in(db.r, `SELECT d.post_id, c.name, c.platform, c.config, c.timezone, d.due_at, d.status
		FROM deliveries d JOIN channels c ON c.id = d.channel_id
		WHERE d.post_id IN (?) AND d.status <> 'cancelled' ORDER BY d.post_id, c.name, d.id`, ids)
	if err == nil {
		err = sqlx.SelectContext(ctx, db.r, &ds, q, args...)
	}
	if err != nil {
		return nil, fmt.Errorf("review: %w", busy(err))
	}
	wsLoc, err := herald.LoadLocation(head.Zone)
	if err != nil {
		wsLoc = time.UTC
	}
	byPost := make(map[int64]int, len(posts))
	contents := make([]herald.Post, len(posts))
	for i, p := range posts {
		var c postContent
		if err := json.Unmarshal([]byte(p.Content), &c); err != nil {
			return nil, fmt.Errorf("review: post %q: %w", p.Key, err)
		}
		byPost[p.PostID], contents[i] = i, c.post()
		page.Posts = append(page.Posts, herald.ReviewPost{Key: p.Key, Row: p.Row, Approval: ap.of(p.approvalRow),
			Deliveries: []herald.ReviewDelivery{}})
	}
	for _, d := range ds {
		i := byPost[d.PostID]
		m := contents[i].Message(textPlatform(d.Platform, d.Config))
		ch := herald.Channel{Timezone: d.Zone}
		loc := ch.Location(wsLoc)
		due := fromMs(d.DueAt)
		media := m.Media
		if media == nil {
			media = []string{}
		}
		page.Posts[i].Deliveries = append(page.Posts[i].Deliveries, herald.ReviewDelivery{Channel: d.Channel, Platform: d.Platform,
			Text: m.Text, Media: media, Link: m.Link, Tags: m.Tags, DueAt: due, LocalTime: due.In(loc).Format("2006-01-02 15:04"),
			Timezone: loc.String(), Status: herald.DeliveryStatus(d.Status)})
	}
	return page, nil
}

// reviewCursor reads ReviewPage's cursor "row.id" (0, 0 for none).
func reviewCursor(c string) (int, int64, error) {
	if c == "" {
		return 0, 0, nil
	}
	r, id, ok := strings.Cut(c, ".")
	row, err1 := strconv.Atoi(r)
	pid, err2 := strconv.ParseInt(id, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return 0, 0, herald.Errorf(herald.EINVALID, "cursor is not one this API returned")
	}
	return row, pid, nil
}
