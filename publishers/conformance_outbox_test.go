package publishers

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/conformance"
	"github.com/heraldhq/herald/publishers/outbox"
)

func init() {
	// The outbox calls nothing: no pace, no waits, no Replica.
	platforms = append(platforms, conformance.Entry{Name: "outbox", Start: startOutbox})
}

func startOutbox(t *testing.T, client *http.Client, clock conformance.Clock) (conformance.Platform, conformance.Publisher) {
	pub := outbox.New(outbox.Options{DataDir: t.TempDir(), Now: clock.Now})
	return outboxPlatform{t: t, pub: pub}, pub
}

// outboxPlatform reads the outbox directory back for the conformance
// scenarios. A local directory has no throttling, servers or credentials
// to fault, so it scripts no fault.
type outboxPlatform struct {
	t   *testing.T
	pub *outbox.Publisher
}

func (p outboxPlatform) Name() string                { return "outbox" }
func (p outboxPlatform) Close()                      {}
func (p outboxPlatform) Faults() []conformance.Fault { return nil }
func (p outboxPlatform) Script(f conformance.Fault) {
	p.t.Fatalf("the outbox scripts no fault (%s)", f)
}
func (p outboxPlatform) Channel() *herald.Channel {
	return &herald.Channel{ID: 1, Name: "files", Platform: "outbox", Config: map[string]any{}}
}

// Posted lists the files written, by delivery id.
func (p outboxPlatform) Posted() []conformance.Posted {
	paths, _ := filepath.Glob(filepath.Join(p.pub.Dir(), "*", "*", "*.json"))
	var posts []outbox.Post
	for _, path := range paths {
		b, err := os.ReadFile(path)
		if err != nil {
			p.t.Fatal(err)
		}
		var post outbox.Post
		if err := json.Unmarshal(b, &post); err != nil {
			p.t.Fatalf("%s: %v", path, err)
		}
		posts = append(posts, post)
	}
	sort.Slice(posts, func(i, j int) bool { return posts[i].DeliveryID < posts[j].DeliveryID })
	var out []conformance.Posted
	for _, post := range posts {
		out = append(out, conformance.Posted{ID: strconv.FormatInt(post.DeliveryID, 10),
			URL:  outbox.Ref(post.Workspace, post.Channel, post.DeliveryID),
			Text: post.Text, Media: len(post.Media)})
	}
	return out
}
