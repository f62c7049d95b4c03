package contentplans

import (
	"fmt"
	"sort"
	"strings"

	"github.com/heraldhq/herald"
)

// postPair is two posts of the plan by index, earlier first.
type postPair struct{ earlier, later int }

// checkSpacing warns, among the rows with a fixed time (next-slot rows have
// none yet), about two posts on one channel within herald.ClosePostsWindow
// (close_posts) and the same text, trimmed, on one channel within
// herald.DuplicateWindow (duplicate_text). Each warning is on the later row (by
// time, then by row) and names the earlier one and the channels they share.
// rows are the raw rows posts were built from, for the time column's name.
func (b *builder) checkSpacing(rows []rawPost, posts []herald.Post) {
	byChannel := map[string][]int{}
	for i := range posts {
		p := &posts[i]
		if p.NextSlot || p.DueAt.IsZero() {
			continue
		}
		for _, ch := range p.Channels { // de-duplicated by builder.channels
			byChannel[ch] = append(byChannel[ch], i)
		}
	}
	names := make([]string, 0, len(byChannel))
	for name := range byChannel {
		names = append(names, name)
	}
	sort.Strings(names)
	closeBy, dupBy := map[postPair][]string{}, map[postPair][]string{}
	for _, name := range names {
		idx := byChannel[name]
		sort.SliceStable(idx, func(i, j int) bool { return posts[idx[i]].DueAt.Before(posts[idx[j]].DueAt) })
		for k := 1; k < len(idx); k++ {
			prev, cur := idx[k-1], idx[k]
			if posts[cur].DueAt.Sub(posts[prev].DueAt) <= herald.ClosePostsWindow {
				pp := postPair{prev, cur}
				closeBy[pp] = append(closeBy[pp], name)
			}
		}
		platform := ""
		if ch := b.up.Channels[name]; ch != nil {
			platform = ch.TextPlatform()
		}
		last := make(map[string]int, len(idx)) // text → latest post with it
		for _, i := range idx {
			body, _ := posts[i].SpacingText(platform)
			if body == "" {
				continue
			}
			if j, ok := last[body]; ok && posts[i].DueAt.Sub(posts[j].DueAt) <= herald.DuplicateWindow {
				pp := postPair{j, i}
				dupBy[pp] = append(dupBy[pp], name)
			}
			last[body] = i
		}
	}
	var ws []herald.Problem
	for _, pp := range sortedPairs(closeBy, posts) {
		e, l := &posts[pp.earlier], &posts[pp.later]
		ws = append(ws, herald.Problem{Row: l.Row, Column: timeColumn(rows, pp.later, l.Row), Code: "close_posts",
			Message: fmt.Sprintf("this post and row %d go out within a minute of each other on %s (%s and %s): platforms may throttle or flag posts that close; space them out",
				e.Row, strings.Join(closeBy[pp], ", "), e.At, l.At)})
	}
	for _, pp := range sortedPairs(dupBy, posts) {
		e, l := &posts[pp.earlier], &posts[pp.later]
		chs := dupBy[pp]
		col := "text"
		if ch := b.up.Channels[chs[0]]; ch != nil {
			_, col = l.SpacingText(ch.TextPlatform())
		}
		ws = append(ws, herald.Problem{Row: l.Row, Column: col, Code: "duplicate_text",
			Message: fmt.Sprintf("same text as row %d on %s within 3 days (%s and %s): several platforms reject a repeated text as a duplicate",
				e.Row, strings.Join(chs, ", "), e.At, l.At)})
	}
	if len(ws) == 0 {
		return
	}
	b.warnings = append(b.warnings, ws...)
	sort.SliceStable(b.warnings, func(i, j int) bool { return b.warnings[i].Row < b.warnings[j].Row })
}

// sortedPairs returns the pairs of m ordered by the later post's row, then
// the earlier's.
func sortedPairs(m map[postPair][]string, posts []herald.Post) []postPair {
	out := make([]postPair, 0, len(m))
	for pp := range m {
		out = append(out, pp)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if posts[a.later].Row != posts[b.later].Row {
			return posts[a.later].Row < posts[b.later].Row
		}
		return posts[a.earlier].Row < posts[b.earlier].Row
	})
	return out
}

// timeColumn is the column holding post i's time ("at" unless its raw row
// says otherwise).
func timeColumn(rows []rawPost, i, row int) string {
	if i < len(rows) && rows[i].row == row && rows[i].timeCol != "" {
		return rows[i].timeCol
	}
	return "at"
}
