// Package media downloads the media a post refers to by URL, for the
// platforms that need the bytes (VK, Bluesky, X, LinkedIn, Mastodon,
// Discord): once, with a size bound, a content-type check and the
// caller's deadline, through the caller's outbound client: its guard
// refuses — at dial time, so DNS rebinding cannot get around it — addresses
// on loopback, private, link-local or unspecified networks unless the
// operator allows them, on every redirect too.
package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/heraldhq/herald/publishers/outbound"
)

// DefaultMaxBytes bounds a download when Options.MaxBytes is 0.
const DefaultMaxBytes = 40 << 20

// DefaultTimeout bounds a download when Options.Timeout is 0.
const DefaultTimeout = 60 * time.Second

// DefaultAccept are the accepted content types when Options.Accept is nil.
var DefaultAccept = []string{"image/", "video/"}

// ErrPermanent is wrapped by every Fetch error that a retry cannot fix: an
// unusable URL, a 4xx answer (other than 408 and 429), a file over the
// bound, a content type not accepted, or an address refused by the guard.
// Other errors (network, 5xx, 408, 429, the deadline) may pass on retry.
var ErrPermanent = errors.New("media cannot be used")

// ErrRefusedAddress is wrapped (with ErrPermanent) when the URL's host, or
// a redirect's, resolves to a loopback, private, link-local, multicast or
// unspecified address that the client's allowance does not allow.
var ErrRefusedAddress = outbound.ErrRefused

// Options bound one download.
type Options struct {
	MaxBytes int64         // largest file accepted; DefaultMaxBytes when 0
	Accept   []string      // accepted content-type prefixes such as "image/"; DefaultAccept when nil
	Timeout  time.Duration // bound on the whole download; DefaultTimeout when 0
}

// File is a downloaded media file.
type File struct {
	Data        []byte
	ContentType string // without parameters, e.g. "image/png"
	Name        string // the URL's last path segment, with an extension for ContentType when it had none
}

// Fetch downloads rawURL with client (built by outbound.New; outbound's
// default client, public addresses only, when nil), following up to
// outbound.MaxRedirects redirects without credentials, within opts.Timeout
// and ctx's deadline. The content type is the answer's Content-Type, or
// sniffed from the bytes when that is missing or application/octet-stream.
// Errors that wrap ErrPermanent cannot pass on retry (see ErrPermanent);
// any other error may.
func Fetch(ctx context.Context, client *http.Client, rawURL string, opts Options) (File, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return File{}, fmt.Errorf("%w: %q is not an http(s) URL", ErrPermanent, rawURL)
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.Accept == nil {
		opts.Accept = DefaultAccept
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	client = outbound.FollowRedirects(client)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return File{}, fmt.Errorf("%w: %v", ErrPermanent, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		if re := (*outbound.RefusedError)(nil); errors.As(err, &re) {
			return File{}, fmt.Errorf("%w: %s: %w", ErrPermanent, u.Host, re)
		}
		return File{}, fmt.Errorf("download failed: %w", unwrapURL(err))
	}
	defer resp.Body.Close()
	switch s := resp.StatusCode; {
	case s == http.StatusOK:
	case s >= 500 || s == http.StatusTooManyRequests || s == http.StatusRequestTimeout:
		return File{}, fmt.Errorf("download answered %d %s", s, http.StatusText(s))
	default:
		return File{}, fmt.Errorf("%w: download answered %d %s", ErrPermanent, s, http.StatusText(s))
	}
	if resp.ContentLength > opts.MaxBytes {
		return File{}, fmt.Errorf("%w: %d bytes is over the %d-byte bound", ErrPermanent, resp.ContentLength, opts.MaxBytes)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, opts.MaxBytes+1))
	if err != nil {
		return File{}, fmt.Errorf("download failed: %w", err)
	}
	if int64(len(data)) > opts.MaxBytes {
		return File{}, fmt.Errorf("%w: over the %d-byte bound", ErrPermanent, opts.MaxBytes)
	}
	ctype, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if ctype == "" || ctype == "application/octet-stream" {
		ctype, _, _ = mime.ParseMediaType(http.DetectContentType(data))
	}
	if !accepted(ctype, opts.Accept) {
		return File{}, fmt.Errorf("%w: content type %q is not one of %s", ErrPermanent, ctype, strings.Join(opts.Accept, ", "))
	}
	return File{Data: data, ContentType: ctype, Name: fileName(u, ctype)}, nil
}

func accepted(ctype string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(ctype, p) {
			return true
		}
	}
	return false
}

// unwrapURL drops the *url.Error wrapper: its text repeats the URL, which
// callers already show.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// fileName is the URL's last path segment, with an extension for ctype
// when it has none.
func fileName(u *url.URL, ctype string) string {
	name := path.Base(u.Path)
	if name == "." || name == "/" || name == "" {
		name = "media"
	}
	if path.Ext(name) == "" {
		if exts, _ := mime.ExtensionsByType(ctype); len(exts) > 0 {
			name += exts[0]
		}
	}
	return name
}
