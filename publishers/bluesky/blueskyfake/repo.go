package blueskyfake

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rivo/uniseg"
)

// Blob is one uploaded blob.
type Blob struct {
	CID      string
	MimeType string
	Size     int
}

// Facet is a rich-text facet of a post, with the text its byte range covers.
type Facet struct {
	ByteStart, ByteEnd int
	Type               string // the feature's $type, e.g. "app.bsky.richtext.facet#link"
	URI                string
	Covered            string // text[ByteStart:ByteEnd]
}

// External is a link card (app.bsky.embed.external).
type External struct{ URI, Title, Description string }

// Image is one image of an app.bsky.embed.images embed.
type Image struct {
	Alt string
	Blob
}

// Post is one app.bsky.feed.post record as the repository holds it now.
type Post struct {
	URI       string
	CID       string
	Rkey      string
	Text      string
	CreatedAt string
	Facets    []Facet
	EmbedType string // "", "app.bsky.embed.external" or "app.bsky.embed.images"
	External  *External
	Images    []Image
	Writes    int // putRecord calls that wrote it (1, or more after upserts)
	Received  time.Time

	value json.RawMessage
}

// Posts returns every post record in the repository, in creation order; a
// putRecord on an existing rkey updates the record rather than adding one.
func (s *Server) Posts() []Post {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Post, len(s.records))
	for i, p := range s.records {
		out[i] = *p
	}
	return out
}

// Blobs returns every blob uploaded, by CID.
func (s *Server) Blobs() map[string]Blob {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]Blob, len(s.blobs))
	for k, v := range s.blobs {
		out[k] = v
	}
	return out
}

func cidOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "bafyrei" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:]))
}

// uploadBlob answers com.atproto.repo.uploadBlob: raw bytes with their
// Content-Type → {"blob": {"$type":"blob","ref":{"$link":cid},"mimeType","size"}}.
func (s *Server) uploadBlob(w http.ResponseWriter, r *http.Request, body []byte) {
	if len(body) == 0 {
		writeError(w, http.StatusBadRequest, "InvalidRequest", "request body is empty")
		return
	}
	ctype := r.Header.Get("Content-Type")
	if ctype == "" || ctype == "*/*" || ctype == "application/octet-stream" {
		ctype = http.DetectContentType(body)
	}
	b := Blob{CID: cidOf(body), MimeType: strings.TrimSpace(strings.Split(ctype, ";")[0]), Size: len(body)}
	s.mu.Lock()
	s.blobs[b.CID] = b
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"blob": blobJSON(b)})
}

func blobJSON(b Blob) map[string]any {
	return map[string]any{"$type": "blob", "ref": map[string]string{"$link": b.CID}, "mimeType": b.MimeType, "size": b.Size}
}

var tidRe = regexp.MustCompile(`^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$`)

// ValidTID reports whether s is a syntactically valid TID record key.
func ValidTID(s string) bool { return tidRe.MatchString(s) }

type putInput struct {
	Repo       string          `json:"repo"`
	Collection string          `json:"collection"`
	Rkey       string          `json:"rkey"`
	Record     json.RawMessage `json:"record"`
	SwapRecord *string         `json:"swapRecord"`
}

type blobRef struct {
	Type string `json:"$type"`
	Ref  struct {
		Link string `json:"$link"`
	} `json:"ref"`
	MimeType string `json:"mimeType"`
	Size     int    `json:"size"`
}

type postRecord struct {
	Type      string  `json:"$type"`
	Text      *string `json:"text"`
	CreatedAt string  `json:"createdAt"`
	Facets    []struct {
		Index struct {
			ByteStart *int `json:"byteStart"`
			ByteEnd   *int `json:"byteEnd"`
		} `json:"index"`
		Features []struct {
			Type string `json:"$type"`
			URI  string `json:"uri"`
			Tag  string `json:"tag"`
		} `json:"features"`
	} `json:"facets"`
	Embed *struct {
		Type     string `json:"$type"`
		External *struct {
			URI         string  `json:"uri"`
			Title       *string `json:"title"`
			Description *string `json:"description"`
		} `json:"external"`
		Images []struct {
			Alt   *string  `json:"alt"`
			Image *blobRef `json:"image"`
		} `json:"images"`
	} `json:"embed"`
}

// putRecord answers com.atproto.repo.putRecord. Without swapRecord it is an
// upsert: an existing rkey is rewritten in place (same URI), never posted a
// second time. Invalid records answer 400 InvalidRequest with the
// lexicon's message.
func (s *Server) putRecord(w http.ResponseWriter, body []byte, now time.Time) {
	var in putInput
	if err := json.Unmarshal(body, &in); err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequest", "Invalid JSON: "+err.Error())
		return
	}
	if in.Repo != s.DID && in.Repo != s.Handle {
		writeError(w, http.StatusBadRequest, "InvalidRequest", "Could not find repo: "+in.Repo)
		return
	}
	if in.Collection != PostCollection {
		writeError(w, http.StatusBadRequest, "InvalidRequest", "Unsupported collection in this fake: "+in.Collection)
		return
	}
	if !ValidTID(in.Rkey) {
		writeError(w, http.StatusBadRequest, "InvalidRequest", "Invalid app.bsky.feed.post record: Record key must be a valid TID: "+in.Rkey)
		return
	}
	p, msg := s.parsePost(in.Record)
	if msg != "" {
		writeError(w, http.StatusBadRequest, "InvalidRequest", "Invalid app.bsky.feed.post record: "+msg)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, exists := s.byRkey[in.Rkey]
	if in.SwapRecord != nil && (!exists && *in.SwapRecord != "" || exists && old.CID != *in.SwapRecord) {
		writeError(w, http.StatusBadRequest, "InvalidSwap", "Record was at "+currentCID(old))
		return
	}
	p.Rkey = in.Rkey
	p.URI = "at://" + s.DID + "/" + PostCollection + "/" + in.Rkey
	p.CID = cidOf(in.Record)
	p.Received = now
	if exists {
		p.Writes = old.Writes + 1
		*old = p
	} else {
		p.Writes = 1
		s.records = append(s.records, &p)
		s.byRkey[in.Rkey] = &p
	}
	s.next++
	writeJSON(w, http.StatusOK, map[string]any{"uri": p.URI, "cid": p.CID,
		"commit": map[string]string{"cid": cidOf([]byte(p.URI + strconv.Itoa(s.next))), "rev": in.Rkey}, "validationStatus": "valid"})
}

func currentCID(p *Post) string {
	if p == nil {
		return "null"
	}
	return p.CID
}

// parsePost validates a post record as the lexicon does, returning the Post
// (without its place in the repository) or the validation message.
func (s *Server) parsePost(raw json.RawMessage) (Post, string) {
	var r postRecord
	if err := json.Unmarshal(raw, &r); err != nil {
		return Post{}, "Record must be an object: " + err.Error()
	}
	if r.Type != PostCollection {
		return Post{}, fmt.Sprintf("Invalid $type: expected %s, got %s", PostCollection, r.Type)
	}
	if r.Text == nil {
		return Post{}, `Record must have the property "text"`
	}
	text := *r.Text
	if n := uniseg.GraphemeClusterCount(text); n > MaxGraphemes {
		return Post{}, fmt.Sprintf("Record/text must not be longer than %d graphemes", MaxGraphemes)
	}
	if len(text) > MaxTextBytes {
		return Post{}, fmt.Sprintf("Record/text must not be longer than %d characters", MaxTextBytes)
	}
	if _, err := time.Parse(time.RFC3339Nano, r.CreatedAt); err != nil {
		return Post{}, "Record/createdAt must be an valid atproto datetime (both RFC-3339 and ISO-8601)"
	}
	p := Post{Text: text, CreatedAt: r.CreatedAt, value: raw}
	for i, f := range r.Facets {
		st, en := f.Index.ByteStart, f.Index.ByteEnd
		if st == nil || en == nil || *st < 0 || *en < *st || *en > len(text) || len(f.Features) == 0 {
			return Post{}, fmt.Sprintf("Record/facets/%d has an invalid byte range or no features", i)
		}
		for j, ft := range f.Features {
			fc := Facet{ByteStart: *st, ByteEnd: *en, Type: ft.Type, URI: ft.URI, Covered: text[*st:*en]}
			switch ft.Type {
			case "app.bsky.richtext.facet#link":
				if ft.URI == "" {
					return Post{}, fmt.Sprintf(`Record/facets/%d/features/%d must have the property "uri"`, i, j)
				}
			case "app.bsky.richtext.facet#tag", "app.bsky.richtext.facet#mention":
			default:
				return Post{}, fmt.Sprintf("Record/facets/%d/features/%d has an unknown $type %q", i, j, ft.Type)
			}
			p.Facets = append(p.Facets, fc)
		}
	}
	if r.Embed == nil {
		return p, ""
	}
	p.EmbedType = r.Embed.Type
	switch r.Embed.Type {
	case "app.bsky.embed.external":
		e := r.Embed.External
		if e == nil || e.URI == "" || e.Title == nil || e.Description == nil {
			return Post{}, `Record/embed/external must have the properties "uri", "title", "description"`
		}
		p.External = &External{URI: e.URI, Title: *e.Title, Description: *e.Description}
	case "app.bsky.embed.images":
		if len(r.Embed.Images) == 0 || len(r.Embed.Images) > MaxImages {
			return Post{}, fmt.Sprintf("Record/embed/images must have 1 to %d elements", MaxImages)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		for i, im := range r.Embed.Images {
			if im.Alt == nil || im.Image == nil || im.Image.Type != "blob" {
				return Post{}, fmt.Sprintf(`Record/embed/images/%d must have the properties "image" (a blob) and "alt"`, i)
			}
			b, ok := s.blobs[im.Image.Ref.Link]
			if !ok {
				return Post{}, "Could not find blob: " + im.Image.Ref.Link
			}
			if !strings.HasPrefix(b.MimeType, "image/") {
				return Post{}, fmt.Sprintf("Record/embed/images/%d/image has a wrong mime type %s", i, b.MimeType)
			}
			if b.Size > MaxImageBytes {
				return Post{}, fmt.Sprintf("Record/embed/images/%d/image file too large (%d bytes, the limit is %d)", i, b.Size, MaxImageBytes)
			}
			p.Images = append(p.Images, Image{Alt: *im.Alt, Blob: b})
		}
	default:
		return Post{}, fmt.Sprintf("Record/embed $type %q is not supported", r.Embed.Type)
	}
	return p, ""
}

// getRecord answers com.atproto.repo.getRecord {uri, cid, value}, or 400
// RecordNotFound.
func (s *Server) getRecord(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.byRkey[q.Get("rkey")]
	if !ok || (q.Get("repo") != s.DID && q.Get("repo") != s.Handle) || q.Get("collection") != PostCollection {
		writeError(w, http.StatusBadRequest, "RecordNotFound",
			fmt.Sprintf("Could not locate record: at://%s/%s/%s", q.Get("repo"), q.Get("collection"), q.Get("rkey")))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"uri": p.URI, "cid": p.CID, "value": p.value})
}

// listRecords answers com.atproto.repo.listRecords: records by rkey,
// descending (ascending with reverse=true), limit 1–100 (default 50), with
// a cursor while more remain.
func (s *Server) listRecords(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := 50
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 100 {
			writeError(w, http.StatusBadRequest, "InvalidRequest", "limit must be an integer from 1 to 100")
			return
		}
		limit = n
	}
	if q.Get("repo") != s.DID && q.Get("repo") != s.Handle {
		writeError(w, http.StatusBadRequest, "InvalidRequest", "Could not find repo: "+q.Get("repo"))
		return
	}
	reverse := q.Get("reverse") == "true"
	s.mu.Lock()
	defer s.mu.Unlock()
	var ps []*Post
	if q.Get("collection") == PostCollection {
		ps = append(ps, s.records...)
	}
	sort.Slice(ps, func(i, j int) bool {
		if reverse {
			return ps[i].Rkey < ps[j].Rkey
		}
		return ps[i].Rkey > ps[j].Rkey
	})
	cursor := q.Get("cursor")
	records := []map[string]any{}
	next := ""
	for _, p := range ps {
		if cursor != "" && (!reverse && p.Rkey >= cursor || reverse && p.Rkey <= cursor) {
			continue
		}
		if len(records) == limit {
			break
		}
		records = append(records, map[string]any{"uri": p.URI, "cid": p.CID, "value": p.value})
		next = p.Rkey
	}
	out := map[string]any{"records": records}
	if len(records) == limit && next != "" {
		out["cursor"] = next
	}
	writeJSON(w, http.StatusOK, out)
}
