// Package outbox "publishes" posts as JSON files under
// <DataDir>/outbox/<workspace>/<channel>/<delivery id>.json, so Herald is
// useful with no social account at all. A file is written atomically
// (temporary file, then rename) and a delivery always maps to the same
// file, so a retry overwrites rather than duplicates: the publisher is
// idempotent. It needs no config and no credentials.
package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/httpcall"
	"github.com/rs/zerolog"
)

// Options configure the publisher.
type Options struct {
	DataDir string           // files go under DataDir/outbox; "data" when empty
	Now     func() time.Time // stamps published_at; herald.Now when nil
	Logger  zerolog.Logger
}

// Post is the content of one outbox file.
type Post struct {
	DeliveryID     int64     `json:"delivery_id"`
	Workspace      string    `json:"workspace"`
	Channel        string    `json:"channel"`
	As             string    `json:"as,omitempty"` // the platform the channel stands in for (config "as")
	Text           string    `json:"text"`         // Message.Body(): the text with the link
	Media          []string  `json:"media"`
	Link           string    `json:"link"`
	Tags           []string  `json:"tags"`
	PublishedAt    time.Time `json:"published_at"`
	IdempotencyKey string    `json:"idempotency_key"`
	Attempt        int       `json:"attempt"`
}

// Publisher writes posts to the outbox directory. It is safe for concurrent use.
type Publisher struct {
	dir string // absolute when it could be made so
	now func() time.Time
	log zerolog.Logger
}

// New returns an outbox publisher writing under opts.DataDir/outbox.
func New(opts Options) *Publisher {
	if opts.DataDir == "" {
		opts.DataDir = "data"
	}
	if opts.Now == nil {
		opts.Now = herald.Now
	}
	dir := filepath.Join(opts.DataDir, "outbox")
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return &Publisher{dir: dir, now: opts.Now, log: opts.Logger}
}

// Dir is the outbox root directory.
func (p *Publisher) Dir() string { return p.dir }

// Idempotent reports true: a delivery always writes the same file.
func (p *Publisher) Idempotent() bool { return true }

// Endpoints reports none: the outbox calls no one.
func (p *Publisher) Endpoints() []string { return nil }

// ValidateChannel accepts every channel: the outbox needs no config or
// credentials. It always returns nil.
func (p *Publisher) ValidateChannel(*herald.Channel) error { return nil }

// Path is the file a delivery is written to.
func (p *Publisher) Path(workspace, channel string, deliveryID int64) string {
	return filepath.Join(p.dir, workspace, channel, strconv.FormatInt(deliveryID, 10)+".json")
}

// Ref is the file of a delivery as answers show it: its path relative to
// the data directory, "outbox/<workspace>/<channel>/<delivery id>.json"
// (never the server's absolute path).
func Ref(workspace, channel string, deliveryID int64) string {
	return path.Join("outbox", workspace, channel, strconv.FormatInt(deliveryID, 10)+".json")
}

// Publish writes req as a JSON file and answers published with RemoteID =
// the delivery id and URL = its Ref (the path under the data directory). Workspace or channel
// names that are not valid slugs, and permission errors, are failed; other
// file system errors (e.g. a full disk) are retry.
func (p *Publisher) Publish(_ context.Context, req herald.PublishRequest) herald.Result {
	start := time.Now()
	res := p.publish(req)
	httpcall.LogPublish(&p.log, "outbox", req, res, start)
	return res
}

func (p *Publisher) publish(req herald.PublishRequest) herald.Result {
	if !herald.ValidName(req.Workspace) || !herald.ValidName(req.Channel.Name) {
		return herald.Result{Outcome: herald.OutcomeFailed,
			Reason: fmt.Sprintf("workspace %q and channel %q must both be valid names to make an outbox path", req.Workspace, req.Channel.Name)}
	}
	post := Post{
		DeliveryID:     req.DeliveryID,
		Workspace:      req.Workspace,
		Channel:        req.Channel.Name,
		Text:           req.Message.Body(),
		Media:          nonNil(req.Message.Media),
		Link:           req.Message.Link,
		Tags:           nonNil(req.Message.Tags),
		PublishedAt:    p.now().UTC(),
		IdempotencyKey: req.IdempotencyKey,
		Attempt:        req.Attempt,
	}
	if as := req.Channel.TextPlatform(); as != herald.StandIn {
		post.As = as
	}
	b, err := json.MarshalIndent(post, "", "  ")
	if err != nil {
		return herald.Result{Outcome: herald.OutcomeFailed, Reason: "encoding the post: " + err.Error()}
	}
	file := p.Path(req.Workspace, req.Channel.Name, req.DeliveryID)
	ref := Ref(req.Workspace, req.Channel.Name, req.DeliveryID)
	res := herald.Result{Request: "write " + ref}
	if err := writeAtomic(file, append(b, '\n')); err != nil {
		res.Outcome, res.Reason = herald.OutcomeRetry, strings.ReplaceAll(err.Error(), p.dir, "outbox")
		if errors.Is(err, fs.ErrPermission) {
			res.Outcome = herald.OutcomeFailed
		}
		return res
	}
	res.Outcome = herald.OutcomePublished
	res.RemoteID = strconv.FormatInt(req.DeliveryID, 10)
	res.URL = ref
	res.Response = fmt.Sprintf("wrote %d bytes", len(b)+1)
	return res
}

// writeAtomic writes b to path through a temporary file in the same
// directory, synced, then renamed over path.
func writeAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating the outbox directory: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*.json")
	if err != nil {
		return fmt.Errorf("creating a temporary file: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("renaming into place: %w", err)
	}
	if d, err := os.Open(dir); err == nil { // make the rename durable; best effort
		d.Sync()
		d.Close()
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Check reports nil: the outbox is a local directory and has no
// credentials to verify.
func (p *Publisher) Check(ctx context.Context, ch *herald.Channel) error { return nil }
