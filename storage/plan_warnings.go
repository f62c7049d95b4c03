package storage

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/heraldhq/herald"
)

// Warnings against other plans. content-plans warns about two rows of one
// upload that go out close together (close_posts) or repeat a text
// (duplicate_text) on one channel; ApplyPlan adds the same warnings for each
// created or updated row against the live deliveries of the workspace's
// OTHER plans on the same channel, with the same windows
// (herald.ClosePostsWindow, herald.DuplicateWindow). Rows of the applied plan
// itself are never compared here: those that stay are compared within the
// upload, those that go are cancelled.
//
// The cost is one query per channel the touched deliveries use, over the
// range of their due instants widened by DuplicateWindow on both sides,
// served by the deliveries_channel_queue index (channel_id, status, due_at).

// touchedDelivery is a delivery of a row the apply created or updated: its
// post, channel and due instant (a "next free slot" row's slot).
type touchedDelivery struct {
	post      *herald.Post
	channelID int64
	due       int64 // Unix ms
}

// touch records a delivery of a created or updated row for the warnings.
// A fixed-time row without a time (never built by content-plans) has no
// instant to compare and is left out.
func (p *planner) touch(post *herald.Post, channelID, due int64) {
	if !post.NextSlot && post.DueAt.IsZero() {
		return
	}
	p.touched = append(p.touched, touchedDelivery{post: post, channelID: channelID, due: due})
}

// otherDelivery is a live delivery of another plan on a channel.
type otherDelivery struct {
	Due     int64  `db:"due_at"`
	ID      int64  `db:"id"`
	Row     int    `db:"row_num"`
	Plan    string `db:"plan_key"`
	Content string `db:"content"`
}

// otherPlanWarnings returns the close_posts and duplicate_text warnings of
// the touched deliveries against the live deliveries of the workspace's
// other plans, ordered by row, then code, then message. Each names the
// nearest other post (and how many more there are in the window).
func (p *planner) otherPlanWarnings() ([]herald.Problem, error) {
	if len(p.touched) == 0 {
		return nil, nil
	}
	byChannel := map[int64][]int{}
	for i, t := range p.touched {
		byChannel[t.channelID] = append(byChannel[t.channelID], i)
	}
	ids := make([]int64, 0, len(byChannel))
	for id := range byChannel {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	var ws []herald.Problem
	for _, chID := range ids {
		idx := byChannel[chID]
		lo, hi := p.touched[idx[0]].due, p.touched[idx[0]].due
		for _, i := range idx[1:] {
			lo, hi = min(lo, p.touched[i].due), max(hi, p.touched[i].due)
		}
		window := herald.DuplicateWindow.Milliseconds()
		var others []otherDelivery
		if err := sel(p.ctx, p.q, &others, `SELECT d.due_at, d.id, p.row_num, pl.key AS plan_key, p.content
			FROM deliveries d JOIN posts p ON p.id = d.post_id JOIN plans pl ON pl.id = p.plan_id
			WHERE d.channel_id = ? AND d.status IN `+liveIn+` AND d.due_at BETWEEN ? AND ? AND p.plan_id <> ?`,
			chID, lo-window, hi+window, p.planID); err != nil {
			return nil, fmt.Errorf("apply plan: other plans' posts: %w", err)
		}
		if len(others) == 0 {
			continue
		}
		cw, err := p.channelWarnings(chID, idx, others)
		if err != nil {
			return nil, err
		}
		ws = append(ws, cw...)
	}
	rank := map[string]int{"close_posts": 0, "duplicate_text": 1}
	sort.SliceStable(ws, func(i, j int) bool {
		if ws[i].Row != ws[j].Row {
			return ws[i].Row < ws[j].Row
		}
		if ws[i].Code != ws[j].Code {
			return rank[ws[i].Code] < rank[ws[j].Code]
		}
		return ws[i].Message < ws[j].Message
	})
	return ws, nil
}

// channelWarnings compares the touched deliveries idx of channel chID with
// others, the live deliveries of other plans there around them.
func (p *planner) channelWarnings(chID int64, idx []int, others []otherDelivery) ([]herald.Problem, error) {
	name, platform := p.names[chID], p.platforms[chID]
	sort.Slice(others, func(i, j int) bool {
		if others[i].Due != others[j].Due {
			return others[i].Due < others[j].Due
		}
		return others[i].ID < others[j].ID
	})
	dues := make([]int64, len(others))
	for i, o := range others {
		dues[i] = o.Due
	}
	// The other posts' bodies, trimmed, each with its deliveries' indexes
	// in due order.
	byBody := map[string][]int{}
	for i, o := range others {
		var c postContent
		if err := json.Unmarshal([]byte(o.Content), &c); err != nil {
			return nil, fmt.Errorf("apply plan: plan %q row %d: content: %w", o.Plan, o.Row, err)
		}
		post := c.post()
		if body, _ := post.SpacingText(platform); body != "" {
			byBody[body] = append(byBody[body], i)
		}
	}
	var ws []herald.Problem
	closeMs := herald.ClosePostsWindow.Milliseconds()
	for _, ti := range idx {
		t := p.touched[ti]
		// close_posts: the others due within ClosePostsWindow either side.
		from := sort.Search(len(dues), func(i int) bool { return dues[i] >= t.due-closeMs })
		to := sort.Search(len(dues), func(i int) bool { return dues[i] > t.due+closeMs })
		if to > from {
			near := nearest(from, to, func(i int) int64 { return dues[i] }, t.due)
			ws = append(ws, herald.Problem{Row: t.post.Row, Column: "at", Code: "close_posts",
				Message: otherMessage(name, "a post", t.due, others[near], to-from-1, herald.ClosePostsWindow)})
		}
		// duplicate_text: the others with the same body within DuplicateWindow.
		if len(byBody) == 0 {
			continue
		}
		body, col := t.post.SpacingText(platform)
		same := byBody[body]
		if len(same) == 0 {
			continue
		}
		dupMs := herald.DuplicateWindow.Milliseconds()
		from = sort.Search(len(same), func(i int) bool { return dues[same[i]] >= t.due-dupMs })
		to = sort.Search(len(same), func(i int) bool { return dues[same[i]] > t.due+dupMs })
		if to > from {
			near := same[nearest(from, to, func(i int) int64 { return dues[same[i]] }, t.due)]
			ws = append(ws, herald.Problem{Row: t.post.Row, Column: col, Code: "duplicate_text",
				Message: otherMessage(name, "the same text", t.due, others[near], to-from-1, herald.DuplicateWindow)})
		}
	}
	return ws, nil
}

// nearest returns the index in [from, to) whose instant (at) is closest to
// due, the earlier one on a tie.
func nearest(from, to int, at func(int) int64, due int64) int {
	best := from
	for i := from + 1; i < to; i++ {
		if absMs(at(i)-due) < absMs(at(best)-due) {
			best = i
		}
	}
	return best
}

func absMs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// otherMessage tells that channel already has what (a post, the same text)
// of another plan near due: `channel tg-main already has a post 40s
// earlier: plan "promo" row 4`, with "(and N more within …)" when more
// than one is in the window.
func otherMessage(channel, what string, due int64, o otherDelivery, more int, window time.Duration) string {
	var when string
	switch d := time.Duration(due-o.Due) * time.Millisecond; {
	case d == 0:
		when = "at the same time"
	case d > 0:
		when = gap(d) + " earlier"
	default:
		when = gap(-d) + " later"
	}
	msg := fmt.Sprintf("channel %s already has %s %s: plan %q row %d", channel, what, when, o.Plan, o.Row)
	if more > 0 {
		msg += fmt.Sprintf(" (and %d more within %s)", more, gap(window))
	}
	return msg
}

// gap formats a positive duration briefly, to the second: "40s", "1m",
// "2m5s", "5h30m", "2d3h"; "under 1s" when it rounds to nothing.
func gap(d time.Duration) string {
	d = d.Round(time.Second)
	two := func(n1 int64, u1 string, n2 int64, u2 string) string {
		if n2 == 0 {
			return fmt.Sprintf("%d%s", n1, u1)
		}
		return fmt.Sprintf("%d%s%d%s", n1, u1, n2, u2)
	}
	s := int64(d / time.Second)
	switch {
	case s == 0:
		return "under 1s"
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return two(s/60, "m", s%60, "s")
	case s < 48*3600:
		return two(s/3600, "h", s%3600/60, "m")
	default:
		return two(s/86400, "d", s%86400/3600, "h")
	}
}
