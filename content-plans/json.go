package contentplans

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/heraldhq/herald"
)

const postFieldList = `"key", "at", "channels", "text", "media", "link", "rubric", "tags", "variants"`

var (
	planFields = []string{"title", "timezone", "start", "posts"}
	postFields = []string{"key", "at", "channels", "text", "media", "link", "rubric", "tags", "variants"}
)

// nearField is the field of known, absent from fields, that name most
// likely misspells ("" when none is close: the field is ignored).
func nearField(name string, known []string, fields map[string]json.RawMessage) string {
	var absent []string
	for _, k := range known {
		if _, ok := fields[k]; !ok {
			absent = append(absent, k)
		}
	}
	return herald.Nearest(name, absent)
}

// parseJSON reads the plan JSON: {"title", "timezone", "posts": [...]}.
// Row numbers are the posts' indexes from 1; plan-level problems are row 0.
func (b *builder) parseJSON(body []byte) (rows []rawPost, title, tz string) {
	dec := json.NewDecoder(bytes.NewReader(body))
	var top map[string]json.RawMessage
	if err := dec.Decode(&top); err != nil {
		b.jsonError(body, err)
		return nil, "", ""
	}
	if _, err := dec.Token(); err != io.EOF {
		b.problem(0, "", "malformed_json", "unexpected data after the plan object at %s", position(body, dec.InputOffset()))
		return nil, "", ""
	}
	if top == nil {
		b.problem(0, "", "invalid_type", `the plan must be a JSON object {"title", "timezone", "posts": [...]}`)
		return nil, "", ""
	}
	badUTF8 := false
	misspelled := false // a field is posts misspelled, reported as such
	for name := range top {
		misspelled = misspelled || !slices.Contains(planFields, name) && nearField(name, planFields, top) == "posts"
	}
	if _, ok := top["posts"]; !ok && !misspelled {
		b.problem(0, "posts", "required", `"posts" is required: a list of posts (it may be empty)`)
	}
	for _, name := range slices.Sorted(maps.Keys(top)) {
		raw := top[name]
		if !utf8.Valid(raw) {
			b.problem(0, name, "invalid_utf8", "%s is not valid UTF-8; save the file as UTF-8", name)
			badUTF8 = true
		}
		switch name {
		case "title":
			title, _ = b.jsonString(0, name, raw)
		case "timezone":
			tz, _ = b.jsonString(0, name, raw)
		case "start":
			b.start, _ = b.jsonString(0, name, raw)
		case "posts":
			rows = b.jsonPosts(raw, &badUTF8)
		default:
			if s := nearField(name, planFields, top); s != "" {
				b.problem(0, name, "unknown_field", `unknown field %q: did you mean %q? (a plan has "title", "timezone", "start" and "posts")`, name, s)
			} else {
				b.ignored.add(name, 0)
			}
		}
	}
	b.ignored.warn(b)
	if !badUTF8 && !utf8.Valid(body) {
		b.problem(0, "", "invalid_utf8", "the file is not valid UTF-8 (first bad byte at offset %d); save it as UTF-8", firstInvalid(body))
	}
	return rows, title, tz
}

// jsonPosts reads the list of posts one at a time, at most maxRows of them
// (a 20 MB list of empty objects is millions of posts).
func (b *builder) jsonPosts(raw json.RawMessage, badUTF8 *bool) (rows []rawPost) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		b.problem(0, "posts", "invalid_type", "posts must be a list of post objects")
		return nil
	}
	for i := 1; dec.More(); i++ {
		if i > maxRows {
			b.problem(0, "posts", "too_large", "%s", tooLarge("the plan has more than %d posts", maxRows))
			return nil
		}
		var item json.RawMessage
		if err := dec.Decode(&item); err != nil { // the document was read whole, so this cannot be
			b.problem(0, "posts", "invalid_type", "posts must be a list of post objects")
			return nil
		}
		rows = append(rows, b.jsonPost(i, item, badUTF8))
	}
	return rows
}

// jsonPost reads one post; every field is decoded on its own so that each
// bad field is reported.
func (b *builder) jsonPost(row int, raw json.RawMessage, badUTF8 *bool) rawPost {
	r := rawPost{row: row, timeCol: "at"}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		b.problem(row, "", "invalid_type", "post %d must be an object with %s", row, postFieldList)
		r.noTime, r.noText, r.noChannels = true, true, true
		return r
	}
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		v := fields[name]
		if !utf8.Valid(v) {
			b.problem(row, name, "invalid_utf8", "%s is not valid UTF-8; save the file as UTF-8", name)
			*badUTF8 = true
		}
		var ok bool
		switch name {
		case "key":
			r.key, _ = b.jsonString(row, name, v)
		case "at":
			r.at, ok = b.jsonString(row, name, v)
			r.atValue, r.noTime = r.at, !ok
		case "text":
			r.text, ok = b.jsonString(row, name, v)
			r.noText = !ok
		case "link":
			r.link, _ = b.jsonString(row, name, v)
		case "rubric":
			r.rubric, _ = b.jsonString(row, name, v)
		case "channels":
			r.channels, ok = b.jsonList(row, name, v)
			r.noChannels = !ok
		case "media":
			r.media, _ = b.jsonList(row, name, v)
		case "tags":
			r.tags, _ = b.jsonList(row, name, v)
		case "variants":
			r.variants = b.jsonVariants(row, v)
		default:
			if s := nearField(name, postFields, fields); s != "" {
				b.problem(row, name, "unknown_field", "unknown field %q: did you mean %q? (a post has %s)", name, s, postFieldList)
				// The field it misspells is not missing besides.
				r.noTime, r.noText, r.noChannels = r.noTime || s == "at", r.noText || s == "text", r.noChannels || s == "channels"
			} else {
				b.ignored.add(name, row)
			}
		}
	}
	return r
}

// jsonString decodes a string (null counts as empty), trimmed.
func (b *builder) jsonString(row int, name string, raw json.RawMessage) (string, bool) {
	var s *string
	if err := json.Unmarshal(raw, &s); err != nil {
		b.problem(row, name, "invalid_type", "%s must be a string", name)
		return "", false
	}
	if s == nil {
		return "", true
	}
	if n := utf8.RuneCountInString(*s); n > maxCellChars {
		b.tooLong(row, name, fieldTooLong(name, n))
		return "", false
	}
	return strings.TrimSpace(*s), true
}

// fieldTooLong is the message of a too_long problem on a JSON field of
// chars characters.
func fieldTooLong(name string, chars int) string {
	return fmt.Sprintf("%s holds %d characters, more than the %d a field may: no platform takes a post that long", name, chars, maxCellChars)
}

// jsonList decodes a list of strings; a single string is split like a CSV
// list cell.
func (b *builder) jsonList(row int, name string, raw json.RawMessage) ([]string, bool) {
	var items []string
	if err := json.Unmarshal(raw, &items); err == nil {
		n := 0
		for _, it := range items {
			n += utf8.RuneCountInString(it)
		}
		if n > maxCellChars {
			b.tooLong(row, name, fieldTooLong(name, n))
			return nil, false
		}
		return cleanList(items), true
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if n := utf8.RuneCountInString(s); n > maxCellChars {
			b.tooLong(row, name, fieldTooLong(name, n))
			return nil, false
		}
		return splitList(s), true
	}
	b.problem(row, name, "invalid_type", "%s must be a list of strings", name)
	return nil, false
}

// jsonVariants decodes {"<platform>": {"text": "…"}} (or "<platform>": "…").
func (b *builder) jsonVariants(row int, raw json.RawMessage) map[string]string {
	var byPlatform map[string]json.RawMessage
	if err := json.Unmarshal(raw, &byPlatform); err != nil {
		b.problem(row, "variants", "invalid_type", `variants must be an object like {"mastodon": {"text": "…"}}`)
		return nil
	}
	out := map[string]string{}
	for _, platform := range slices.Sorted(maps.Keys(byPlatform)) {
		v := byPlatform[platform]
		col := "variants." + platform
		key := strings.ToLower(strings.TrimSpace(platform))
		if p, suggest, why := b.variantPlatform(key); p == "" && suggest != "" {
			b.problem(row, col, "unknown_platform", "%s", variantMessage("variant "+strconv.Quote(platform), key, suggest, why, suggest, b.platforms()))
			continue
		} else if p == "" {
			b.ignored.add(col, row)
			continue
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(v, &fields); err != nil {
			if s, ok := b.jsonString(row, col, v); ok {
				out[key] = s
			}
			continue
		}
		for _, name := range slices.Sorted(maps.Keys(fields)) {
			if name != "text" {
				if nearField(name, []string{"text"}, fields) != "" {
					b.problem(row, col+"."+name, "unknown_field", `unknown field %q in a variant: did you mean "text"?`, name)
				} else {
					b.ignored.add(col+"."+name, row)
				}
				continue
			}
			if s, ok := b.jsonString(row, "text:"+key, fields[name]); ok {
				out[key] = s
			}
		}
	}
	return out
}

// jsonError turns a decoding failure of the whole document into one problem.
func (b *builder) jsonError(body []byte, err error) {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		b.problem(0, "", "malformed_json", "malformed JSON at %s: %s", position(body, syn.Offset), syn.Error())
	case errors.As(err, &typ):
		b.problem(0, "", "invalid_type", `the plan must be a JSON object {"title", "timezone", "posts": [...]}, not a JSON %s`, typ.Value)
	case errors.Is(err, io.EOF):
		b.problem(0, "", "malformed_json", "the file is empty: expected a JSON object with \"posts\"")
	case errors.Is(err, io.ErrUnexpectedEOF):
		b.problem(0, "", "malformed_json", "malformed JSON: the document ends early at %s (an unclosed bracket, brace or string)", position(body, int64(len(body))))
	default:
		b.problem(0, "", "malformed_json", "malformed JSON: %s", err)
	}
}

// position describes a byte offset as "line L, column C (byte offset N)".
func position(body []byte, off int64) string {
	if off > int64(len(body)) {
		off = int64(len(body))
	}
	before := body[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:]) + 1
	return fmt.Sprintf("line %d, column %d (byte offset %d)", line, col, off)
}

func firstInvalid(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}
