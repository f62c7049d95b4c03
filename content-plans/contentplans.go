// Package contentplans parses content plans (the plan JSON and its CSV form,
// see docs/design.md) into posts and validates them against the workspace's
// channels: keys, channels, local times in IANA zones (DST gaps and
// overlaps), URLs and each platform's text and media limits (see Limits).
// Every problem of a plan is reported at once, pointing at row and column as
// a person sees them.
package contentplans

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/heraldhq/herald"
)

// rawPost is one row as read from a file, before validation.
type rawPost struct {
	row      int // as the spreadsheet shows it (see csvRecord)
	line     int // CSV: the file line the row starts on
	key      string
	at       string // as written (Post.At)
	atValue  string // what to parse; "" when the parser already reported the time
	timeCol  string // column named by time problems
	channels []string
	text     string
	media    []string
	link     string
	rubric   string
	tags     []string
	variants map[string]string // platform → text
	// Checks to skip because their column is missing (reported once on the
	// header) or the parser already reported the cell.
	noTime, noText, noChannels bool
}

// builder collects problems and warnings while a plan is built.
type builder struct {
	up       herald.PlanUpload
	problems []herald.Problem
	warnings []herald.Problem
	start    string // the plan's "start" as written (JSON), resolved by planStart
	// columns shows an import profile's problems under the file's column
	// names: Herald's name → the profile's (see renameColumns).
	columns map[string]string
	// lines are the CSV file lines of the rows that do not start on the
	// line of their number, by row (see setLines).
	lines map[int]int
	// ignored are the fields of a JSON plan Herald does not read.
	ignored ignoredFields
	// ambiguous are the slash dates that read both ways round, reported
	// together (see reportAmbiguousDates).
	ambiguous []ambiguousDate
	// moreProblems and moreWarnings count what was found past MaxProblems.
	moreProblems, moreWarnings int
	// cut are the cells emptied for being too long (see sheetBounds.admit):
	// their too_long problem says it all, so no "required" follows.
	cut map[cellAt]bool
}

// cellAt is a cell as problems name it: row and column.
type cellAt struct {
	row int
	col string
}

// MaxProblems is how many problems (and, apart, warnings) an upload lists
// at most; the rest are counted, so that a hostile or broken file of
// millions of bad lines answers in a few hundred kilobytes.
const MaxProblems = 1000

func (b *builder) problem(row int, col, code, format string, args ...any) {
	if len(b.problems) >= MaxProblems {
		b.moreProblems++
		return
	}
	b.problems = append(b.problems, herald.Problem{Row: row, Column: col, Code: code, Message: fmt.Sprintf(format, args...)})
}

func (b *builder) warn(row int, col, code, format string, args ...any) {
	if len(b.warnings) >= MaxProblems {
		b.moreWarnings++
		return
	}
	b.warnings = append(b.warnings, herald.Problem{Row: row, Column: col, Code: code, Message: fmt.Sprintf(format, args...)})
}

// capped appends to ps, when more were left out, a last item saying how many.
func capped(ps []herald.Problem, more int, what string) []herald.Problem {
	if more == 0 {
		return ps
	}
	return append(ps, herald.Problem{Code: "too_many_" + what, Message: fmt.Sprintf("and %d more %s not listed: the first %d are above; fix those and upload again", more, what, MaxProblems)})
}

// Build parses and validates a whole upload (Format "json", "csv", "xlsx"
// or "ods", or "" to tell it from the bytes, see Sniff; a file that is not
// what its Format says is one wrong_format problem; a CSV file is decoded
// first, see PlanUpload.Encoding; a spreadsheet is read in the import
// profile up.Profile, or the one its first row shows, see ProfileHerald,
// ProfileHootsuite, ProfilePubler). It returns the plan (Key from the
// upload, Title, Timezone used) and its posts in file order (Key,
// KeyDerived, Row, Line, At, DueAt in UTC, Channels, content), with
// warnings (ambiguous fall-back time, time in the past, unused variant,
// columns or fields Herald does not read, empty plan, two posts on a
// channel within a minute, the same text on a channel within 3 days: see
// checkSpacing). Dates and times are read as people type them (see
// readDate, readClock); up.DateOrder reads slash dates.
// When anything is wrong it returns no posts and an EVALIDATION *herald.Error
// whose Details list every problem, each with its row (as a spreadsheet
// shows it, the same for the CSV, XLSX and ODS of one sheet: the header is
// row 1, and a CSV record counts one row however many lines its cells span,
// with Line the file line it starts on where that differs; JSON: the post's
// index from 1; 0 for the plan as a whole) and column (as the file names
// it). An unknown Format gives an EUNSUPPORTED *herald.Error; an unknown
// Profile, DateOrder or Encoding, or an Encoding other than UTF-8 for a file
// that is not CSV, an EINVALID one.
func Build(up herald.PlanUpload) (herald.Plan, []herald.Post, []herald.Problem, error) {
	b := &builder{up: up, ignored: ignoredFields{}}
	plan := herald.Plan{Key: up.Key}
	format := strings.ToLower(strings.TrimSpace(up.Format))
	if err := checkFormat(format); err != nil {
		return plan, nil, nil, err
	}
	format = b.resolveFormat(format, up.Body)
	b.up.Format = format
	if err := checkOptions(b.up); err != nil {
		return plan, nil, nil, err
	}
	var rows []rawPost
	zone := up.Timezone
	switch format {
	case "json":
		var title, tz string
		rows, title, tz = b.parseJSON(trimBOM(up.Body))
		plan.Title = title
		if tz != "" {
			zone = tz
		}
	case "csv":
		rows = b.parseCSV(b.decodeText(up.Body))
	case "xlsx":
		rows = b.parseXLSX(up.Body)
	case "ods":
		rows = b.parseODS(up.Body)
	}
	plan.Timezone = zone
	loc := b.location(zone, rows)
	plan.Start = b.planStart(zone, loc)
	posts := make([]herald.Post, 0, len(rows))
	for _, r := range rows {
		posts = append(posts, b.post(r, zone, loc))
	}
	b.reportAmbiguousDates()
	b.checkKeys(posts)
	b.checkSpacing(rows, posts)
	b.dropRequiredOfCut()
	b.renameColumns()
	b.setLines()
	if len(rows) == 0 && len(b.problems) == 0 {
		b.warn(0, "", "empty_plan", "the plan has no posts: applying it cancels every unpublished post of plan %q", up.Key)
	}
	warnings := capped(b.warnings, b.moreWarnings, "warnings")
	if len(b.problems) > 0 {
		sort.SliceStable(b.problems, func(i, j int) bool { return b.problems[i].Row < b.problems[j].Row })
		n := len(b.problems) + b.moreProblems
		msg := fmt.Sprintf("plan has %d problems", n)
		if n == 1 {
			msg = "plan has 1 problem"
		}
		return plan, nil, warnings, &herald.Error{Code: herald.EVALIDATION, Message: msg, Details: capped(b.problems, b.moreProblems, "problems")}
	}
	return plan, posts, warnings, nil
}

// recordLine notes that row starts on line of a CSV file (when they differ).
func (b *builder) recordLine(row, line int) {
	if line == 0 || line == row {
		return
	}
	if b.lines == nil {
		b.lines = map[int]int{}
	}
	b.lines[row] = line
}

// setLines gives each problem and warning on a row the file line the row
// starts on, where that is not the row's number.
func (b *builder) setLines() {
	for _, ps := range [][]herald.Problem{b.problems, b.warnings} {
		for i := range ps {
			if line, ok := b.lines[ps[i].Row]; ok && ps[i].Row > 0 && ps[i].Line == 0 {
				ps[i].Line = line
			}
		}
	}
}

func trimBOM(b []byte) []byte {
	return bytes.TrimPrefix(b, []byte("\uFEFF"))
}

// location loads the plan's zone. A missing zone is a problem only when a
// row has a local time to resolve.
func (b *builder) location(zone string, rows []rawPost) *time.Location {
	if zone == "" {
		for _, r := range rows {
			if m, _, ok := readMoment(r.atValue, b.dateOrder()); ok && !m.offset && !r.noTime {
				b.problem(0, "timezone", "required", "the plan has local times but no time zone; set \"timezone\" (an IANA name such as Europe/Moscow) or the workspace's time zone")
				break
			}
		}
		return nil
	}
	loc, err := herald.LoadLocation(zone)
	if err != nil {
		b.problem(0, "timezone", "invalid_timezone", "%s", err)
		return nil
	}
	return loc
}

// post validates one row and turns it into a post (kept even when invalid,
// so duplicate keys are still found).
func (b *builder) post(r rawPost, zone string, loc *time.Location) herald.Post {
	p := herald.Post{Row: r.row, Key: r.key, At: r.at, Text: r.text, Link: r.link, Rubric: r.rubric,
		Media: r.media, Tags: r.tags}
	if r.line != r.row {
		p.Line = r.line
	}
	if r.key != "" && !validKey(r.key) {
		b.problem(r.row, "key", "invalid_key", "key %q must be 1-128 characters of letters a-z, A-Z, digits and - _ . :", r.key)
	}
	if !r.noText && r.text == "" {
		b.problem(r.row, "text", "required", "text is required")
	}
	b.resolveTime(&p, r, zone, loc)
	for _, u := range r.media {
		if !httpURL(u) {
			b.problem(r.row, "media", "invalid_url", "media %q must be an http(s) URL", u)
		}
	}
	if r.link != "" && !httpURL(r.link) {
		b.problem(r.row, "link", "invalid_url", "link %q must be an http(s) URL", r.link)
	}
	for platform, text := range r.variants {
		if text != "" {
			if p.Variants == nil {
				p.Variants = map[string]herald.Variant{}
			}
			p.Variants[platform] = herald.Variant{Text: text}
		}
	}
	p.Channels = b.channels(r)
	b.checkLimits(&p)
	return p
}

// channels de-duplicates the row's channels (order kept) and reports the
// ones the workspace does not have.
// MaxChannelsPerPost is how many channels one row may name.
const MaxChannelsPerPost = 100

func (b *builder) channels(r rawPost) []string {
	if r.noChannels {
		return nil
	}
	if len(r.channels) > MaxChannelsPerPost {
		b.problem(r.row, "channels", "too_many_channels", "the row names %d channels; a post goes to at most %d", len(r.channels), MaxChannelsPerPost)
		return nil
	}
	var out []string
	seen := make(map[string]bool, len(r.channels))
	for _, name := range r.channels {
		if seen[name] {
			continue
		}
		seen[name] = true
		out = append(out, name)
		switch ch := b.up.Channels[name]; {
		case ch != nil:
		case !b.up.AnyChannel:
			b.problem(r.row, "channels", "unknown_channel", "unknown channel %q (this workspace has: %s)", name, b.channelNames())
		case !herald.ValidName(name):
			b.problem(r.row, "channels", "invalid_channel", "%q cannot be a channel's name: names are 1-63 characters of a-z, 0-9, '-' and '_'", name)
		}
	}
	if len(out) == 0 && b.up.AnyChannel {
		b.problem(r.row, "channels", "required", "channels is required: name at least one channel")
	} else if len(out) == 0 {
		b.problem(r.row, "channels", "required", "channels is required: name at least one of this workspace's channels (%s)", b.channelNames())
	}
	return out
}

func (b *builder) channelNames() string {
	var names []string
	for name, ch := range b.up.Channels {
		if ch != nil {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return "none yet"
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// resolveTime sets p.DueAt from the row's time in loc.
func (b *builder) resolveTime(p *herald.Post, r rawPost, zone string, loc *time.Location) {
	if r.noTime {
		return // no column, or the parser reported it
	}
	v := r.atValue
	switch {
	case v == "":
		b.problem(r.row, r.timeCol, "required", "%s is required: %s", r.timeCol, timeHint)
		return
	case strings.EqualFold(v, "next"):
		b.nextSlot(p, r)
		return
	}
	m, date, ok := readMoment(v, b.dateOrder())
	switch {
	case !ok:
		b.problem(r.row, r.timeCol, "invalid_time", "%q must be %s", r.at, timeHint)
		return
	case date.ambiguous:
		b.ambiguous = append(b.ambiguous, ambiguousDate{row: r.row, col: r.timeCol, raw: r.at, date: date})
		return
	}
	if !m.offset && loc == nil {
		return // the zone problem is reported once for the plan
	}
	at, ok := b.place(r.row, r.timeCol, m, zone, loc)
	if !ok {
		return
	}
	p.DueAt = at
	if !b.up.Now.IsZero() && at.Before(b.up.Now) {
		b.warn(r.row, r.timeCol, "past_time", "%s is in the past: it goes out at once if still within the workspace's lateness window, else it is marked missed", r.at)
	}
}

// checkKeys derives keys for rows without one and reports duplicates on
// every row after the first.
func (b *builder) checkKeys(posts []herald.Post) {
	first := map[string]int{}
	for i := range posts {
		p := &posts[i]
		if p.Key == "" {
			// A CSV's derived keys have always been made from the file line
			// the row starts on: keep that, so that re-uploading a plan
			// applied before rows were counted as a spreadsheet does matches
			// its posts instead of replacing (and re-publishing) them.
			pos := p.Row
			if p.Line != 0 {
				pos = p.Line
			}
			p.Key, p.KeyDerived = DeriveKey(pos, p.Text), true
		}
		if row, dup := first[p.Key]; dup {
			b.problem(p.Row, "key", "duplicate_key", "key %q is already used by row %d; keys must be unique in a plan", p.Key, row)
			continue
		}
		first[p.Key] = p.Row
	}
}

// DeriveKey is the key of a row that has none: "row-<row>-" and the first 8
// hex digits of the SHA-256 of its text, so a re-upload of the same file
// gives the same keys.
func DeriveKey(row int, text string) string {
	sum := sha256.Sum256([]byte(text))
	return fmt.Sprintf("row-%d-%s", row, hex.EncodeToString(sum[:4]))
}

func validKey(k string) bool {
	if len(k) > 128 {
		return false
	}
	for _, c := range []byte(k) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.', c == ':':
		default:
			return false
		}
	}
	return k != ""
}

// httpURL reports whether s is an absolute http(s) URL.
func httpURL(s string) bool {
	if strings.ContainsAny(s, " \t\r\n") {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// cleanList trims items and drops empty ones (nil when none is left).
func cleanList(items []string) []string {
	var out []string
	for _, it := range items {
		if it = strings.TrimSpace(it); it != "" {
			out = append(out, it)
		}
	}
	return out
}

// splitList splits a list cell on commas, semicolons and line breaks.
func splitList(s string) []string {
	return cleanList(strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ';' || r == '\n' || r == '\r'
	}))
}
