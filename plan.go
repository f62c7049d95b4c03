package herald

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Plan is a named content plan (key e.g. "2026-12"), uploaded and re-uploaded whole.
type Plan struct {
	ID          int64  `json:"-"`
	WorkspaceID int64  `json:"-"`
	Key         string `json:"key"`
	Title       string `json:"title"`
	Timezone    string `json:"timezone"`
	// Start, when set, is the earliest instant a "next free slot" row may take.
	Start     *time.Time `json:"start,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	// DeletedAt is set while the plan is deleted: its report still lists the
	// rows it had then; an upload under its key revives it.
	DeletedAt *time.Time `json:"deleted_at,omitempty"`
}

// Spacing warnings: how close two posts on one channel may be before a
// person would want to know. Plan uploads warn about them both within the
// plan (content-plans) and against the other plans of the workspace (storage).
const (
	// ClosePostsWindow: two posts on one channel this close or closer get a
	// close_posts warning.
	ClosePostsWindow = time.Minute
	// DuplicateWindow: the same text on one channel this close or closer
	// gets a duplicate_text warning (X, Facebook, LinkedIn and VK reject or
	// flag repeated texts).
	DuplicateWindow = 72 * time.Hour
)

// SpacingText is what the duplicate_text warning compares of post p on a
// channel of platform, in the upload (content-plans) and against other plans
// (storage) alike: the body as published there (the platform's variant, then
// the link; Message.Body), trimmed. column is where that text is in the
// file: "text:<platform>" when the platform's variant gives it, else "text".
func (p *Post) SpacingText(platform string) (body, column string) {
	column = "text"
	if v, ok := p.Variants[platform]; ok && v.Text != "" {
		column = "text:" + platform
	}
	m := p.Message(platform)
	return strings.TrimSpace(m.Body()), column
}

// Variant overrides a post's content for one platform.
type Variant struct {
	Text string `json:"text,omitempty"`
}

// Post is one row of a plan.
type Post struct {
	ID          int64 `json:"-"`
	WorkspaceID int64 `json:"-"`
	PlanID      int64 `json:"-"`
	// Key identifies the row across re-uploads. KeyDerived is true when the
	// file had none and it was derived from the row's content and position.
	Key        string `json:"key"`
	KeyDerived bool   `json:"key_derived,omitempty"`
	// Row is where the post stands in the uploaded file as a person sees it
	// in a spreadsheet (header = row 1, the same for the CSV and the XLSX
	// of one sheet; for JSON plans, the post's index from 1). Line is the
	// line of a CSV file the row starts on, when it differs from Row (a
	// multi-line cell above it); it is not stored.
	Row  int `json:"row"`
	Line int `json:"line,omitempty"`
	// At is the time as written; DueAt the instant it resolved to (UTC).
	// NextSlot is set for "next free slot" rows: DueAt is then zero and each
	// channel's delivery takes that channel's first free weekly slot.
	At       string             `json:"at"`
	DueAt    time.Time          `json:"due_at"`
	NextSlot bool               `json:"next_slot,omitempty"`
	Channels []string           `json:"channels"`
	Text     string             `json:"text"`
	Media    []string           `json:"media,omitempty"`
	Link     string             `json:"link,omitempty"`
	Rubric   string             `json:"rubric,omitempty"`
	Tags     []string           `json:"tags,omitempty"`
	Variants map[string]Variant `json:"variants,omitempty"` // keyed by platform name
}

// Message returns what is to be published on a channel of the given platform:
// the post's content with that platform's variant applied.
func (p *Post) Message(platform string) Message {
	m := Message{Text: p.Text, Media: p.Media, Link: p.Link, Tags: p.Tags}
	if v, ok := p.Variants[platform]; ok && v.Text != "" {
		m.Text = v.Text
	}
	return m
}

// Hash is a digest of everything a re-upload can change about the post
// (not its row number). Two uploads of the same row give the same hash.
func (p *Post) Hash() string {
	chs := append([]string(nil), p.Channels...)
	sort.Strings(chs)
	b, _ := json.Marshal(struct {
		DueAt    string             `json:"d"`
		NextSlot bool               `json:"n,omitempty"`
		Channels []string           `json:"c"`
		Text     string             `json:"t"`
		Media    []string           `json:"m"`
		Link     string             `json:"l"`
		Rubric   string             `json:"r"`
		Tags     []string           `json:"g"`
		Variants map[string]Variant `json:"v"`
	}{p.DueAt.UTC().Format(time.RFC3339Nano), p.NextSlot, chs, p.Text, p.Media, p.Link, p.Rubric, p.Tags, p.Variants})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// ContentHash is a digest of what an approver approves of the post: what
// is published (text, variants, media, link, tags) and where (channels);
// not its time, row or rubric. A re-upload that changes it starts the
// post's approval again; one that keeps it (a time-only change) keeps the
// approval given.
func (p *Post) ContentHash() string {
	chs := append([]string(nil), p.Channels...)
	sort.Strings(chs)
	b, _ := json.Marshal(struct {
		Channels []string           `json:"c"`
		Text     string             `json:"t"`
		Media    []string           `json:"m"`
		Link     string             `json:"l"`
		Tags     []string           `json:"g"`
		Variants map[string]Variant `json:"v"`
	}{chs, p.Text, p.Media, p.Link, p.Tags, p.Variants})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// Row actions in a plan apply result.
const (
	ActionCreated   = "created"
	ActionUpdated   = "updated"
	ActionUnchanged = "unchanged"
	ActionCancelled = "cancelled"
	ActionConflict  = "conflict"
)

// RowResult is what applying a plan did (or would do) to one row. Row is
// the row in the uploaded file; a cancelled row is no longer in it, so its
// Row is 0 and WasRow is where it stood in the previous upload.
type RowResult struct {
	Key        string `json:"key"`
	Row        int    `json:"row"`
	WasRow     int    `json:"was_row,omitempty"`
	Action     string `json:"action"`
	KeyDerived bool   `json:"key_derived,omitempty"`
	// Approval says, when the workspace has approval steps or the post an
	// approval, what the apply did to it: ApprovalRequired (a new post),
	// ApprovalReset (its content changed) or ApprovalKept (only its time).
	Approval string `json:"approval,omitempty"`
	Message  string `json:"message,omitempty"`
}

// PlanResult is the diff answered by a plan apply.
type PlanResult struct {
	Plan      string      `json:"plan"`
	DryRun    bool        `json:"dry_run"`
	Created   int         `json:"created"`
	Updated   int         `json:"updated"`
	Unchanged int         `json:"unchanged"`
	Cancelled int         `json:"cancelled"`
	Conflicts int         `json:"conflicts"`
	Warnings  []Problem   `json:"warnings"`
	Rows      []RowResult `json:"rows"`
}

// Add records a row result and counts it.
func (r *PlanResult) Add(row RowResult) {
	switch row.Action {
	case ActionCreated:
		r.Created++
	case ActionUpdated:
		r.Updated++
	case ActionUnchanged:
		r.Unchanged++
	case ActionCancelled:
		r.Cancelled++
	case ActionConflict:
		r.Conflicts++
	}
	r.Rows = append(r.Rows, row)
}

// ReportRow is one row × channel of a plan report. Text is the text as
// sent to that channel (Post.Message: the platform's variant, else the
// post's text).
type ReportRow struct {
	Key         string         `json:"key"`
	Row         int            `json:"row"`
	Channel     string         `json:"channel"`
	Platform    string         `json:"platform"`
	Rubric      string         `json:"rubric"`
	Text        string         `json:"text"`
	DueAt       time.Time      `json:"due_at"`
	Status      DeliveryStatus `json:"status"`
	RemoteID    string         `json:"remote_id"`
	URL         string         `json:"url"`
	PublishedAt *time.Time     `json:"published_at"`
	Attempts    int            `json:"attempts"`
	Error       string         `json:"error"`
	DeliveryID  int64          `json:"delivery_id"`
	// Approval is where the row's post stands in the workspace's approval.
	Approval Approval `json:"approval"`
}

// PlanSummary is a plan with its row count and deliveries counted by status.
type PlanSummary struct {
	Plan
	Posts    int                    `json:"posts"`
	Statuses map[DeliveryStatus]int `json:"statuses"`
}

// PlanUpload is a plan file as uploaded, with what is needed to resolve it.
type PlanUpload struct {
	Key      string              // the plan key from the URL
	Body     []byte              // the file as uploaded
	Format   string              // "json", "csv", "xlsx" or "ods"; "" tells it from the bytes (contentplans.Sniff)
	Timezone string              // zone for local times when the plan names none (the workspace's, or ?timezone=)
	Channels map[string]*Channel // the workspace's channels by name
	Now      time.Time
	// AnyChannel, for a check without the workspace at hand (lint without
	// its channel list), takes every channel a row names to exist, on a
	// platform not known: no channel names, lengths, variants or slots are
	// checked.
	AnyChannel bool

	// Profile is the import profile of a spreadsheet: "herald", "hootsuite"
	// or "publer"; "" detects it from the header.
	Profile string
	// Sheet names the XLSX or ODS sheet to read ("" = the first).
	Sheet string
	// Encoding is a CSV file's character encoding as the client named it
	// (charset= of the Content-Type, ?encoding=): "utf-8", "windows-1251"
	// (cp1251), "koi8-r", … "" reads UTF-8, and a file that is not UTF-8
	// but reads as Windows-1251 Cyrillic text as that, with a warning.
	Encoding string
	// DateOrder is "dmy" or "mdy": how to read dates such as 12/4/2027
	// that are dates both ways round (Hootsuite's, and slash dates in any
	// plan); "" reads only the ones that are dates one way.
	DateOrder string
	// DefaultChannels are the target channels for profiles without a channel column (?channels=a,b).
	DefaultChannels []string
}

// DerivedKeyWarnings tells, for each post whose key was derived (format
// "json", "csv", "xlsx" or "ods"; profile the import profile, "" for Herald's own),
// that edits to that row will replace it rather than update it: one warning
// per row, or one for the file when no row has a key.
func DerivedKeyWarnings(posts []Post, format, profile string) []Problem {
	advice := "add a key column so edits update this row instead of replacing it"
	switch {
	case format == "json":
		advice = "add a key field so edits update this row instead of replacing it"
	case profile != "" && profile != "herald":
		advice = "a " + profile + " file has no key column, so editing this row replaces its post"
	}
	var ps []Problem
	for _, p := range posts {
		if p.KeyDerived {
			ps = append(ps, Problem{Row: p.Row, Line: p.Line, Column: "key", Code: "derived_key",
				Message: fmt.Sprintf("row has no key; derived key %s — %s", p.Key, advice)})
		}
	}
	if len(ps) > 1 && len(ps) == len(posts) {
		// No row has a key: one warning for the file, not one per row.
		return []Problem{{Column: "key", Code: "derived_key",
			Message: fmt.Sprintf("no row has a key; all %d rows got derived keys (%s, …) — %s", len(ps), posts[0].Key,
				strings.Replace(advice, "this row", "a row", 1))}}
	}
	return ps
}
