package httpcall

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Mask replaces a secret wherever Redact finds it: a fixed text, so it
// tells neither the secret's length nor any of its characters.
const Mask = "<redacted>"

// MinSecret is the shortest secret Redact looks for: a shorter one cannot
// be told from ordinary text, and masking each of its occurrences would
// reveal it (every "a" of the text masked spells out the secret "a").
const MinSecret = 4

// Redact replaces with Mask every occurrence in s of each secret at least
// MinSecret bytes long, longest first, in every form a secret travels in:
// as it is, URL-escaped (path and query) and base64-encoded (standard and
// URL alphabets, with or without padding, at any alignment — so also
// inside "id:secret" of a Basic header), each also JSON- and Go-quoted. It
// never cuts s: redact first, then truncate.
func Redact(s string, secrets ...string) string {
	secrets = append([]string(nil), secrets...)
	sort.Slice(secrets, func(i, j int) bool { return len(secrets[i]) > len(secrets[j]) })
	for _, sec := range secrets {
		if len(sec) < MinSecret {
			continue
		}
		for _, form := range cachedForms(sec) {
			if form != "" {
				s = strings.ReplaceAll(s, form, Mask)
			}
		}
	}
	return s
}

// formCache keeps the forms of the secrets seen lately: a channel's
// secrets are the same on every call, and working out their ~20 spellings
// cost more than the call's HTTP round trip in a burst. It is bounded
// (emptied when full), as the secrets it holds are in memory anyway.
var formCache = struct {
	sync.Mutex
	m map[string][]string
}{m: map[string][]string{}}

// formCacheMax bounds formCache.
const formCacheMax = 4096

// cachedForms is forms(sec), from formCache when it holds it. The slice
// is shared: callers must not change it.
func cachedForms(sec string) []string {
	formCache.Lock()
	f, ok := formCache.m[sec]
	formCache.Unlock()
	if ok {
		return f
	}
	f = forms(sec)
	formCache.Lock()
	if len(formCache.m) >= formCacheMax {
		clear(formCache.m)
	}
	formCache.m[sec] = f
	formCache.Unlock()
	return f
}

// forms are the spellings of sec that Redact masks, longest first.
func forms(sec string) []string {
	var out []string
	for _, f := range append([]string{sec, url.PathEscape(sec), url.QueryEscape(sec)}, base64Forms(sec)...) {
		out = append(out, f, strings.Trim(strconv.Quote(f), `"`))
		if b, err := json.Marshal(f); err == nil { // also as a JSON string holds it
			out = append(out, strings.Trim(string(b), `"`))
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return slices.Compact(out)
}

// base64Forms are the runs of base64 characters that encode sec wherever
// it sits in an encoded stream: for each of the 3 alignments, the
// characters that depend on sec's bytes alone (the ones shared with
// unknown neighbours dropped). Runs shorter than 8 characters are left
// out: they could match unrelated text.
func base64Forms(sec string) []string {
	var out []string
	for pad := 0; pad < 3; pad++ {
		b := append(make([]byte, pad), sec...)
		skip := []int{0, 2, 3}[pad] // characters that mix in the bytes before sec
		tail := 0                   // characters that mix in the bytes after sec
		if len(b)%3 != 0 {
			tail = 1
		}
		for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
			e := enc.EncodeToString(b)
			if core := e[skip : len(e)-tail]; len(core) >= 8 {
				out = append(out, core)
			}
		}
	}
	return out
}
