package linkedin_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/testkit"
	"github.com/heraldhq/herald/publishers/linkedin"
	"github.com/heraldhq/herald/publishers/linkedin/linkedinfake"
	"github.com/rs/zerolog"
)

const token = "AQV-SECRET-linkedin-token-123"

type env struct {
	fake  *linkedinfake.Server
	pub   *linkedin.Publisher
	clock *testkit.Clock
	logs  *bytes.Buffer
	media *httptest.Server
}

func setup(t *testing.T, fo linkedinfake.Options, po linkedin.Options) env {
	t.Helper()
	fo.Token = token
	fake := linkedinfake.New(fo)
	t.Cleanup(fake.Close)
	c := testkit.NewClock(time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC))
	var logs bytes.Buffer
	po.Logger, po.Now, po.HTTPClient = zerolog.New(&logs).Level(zerolog.DebugLevel), c.Now, testkit.Loopback
	media := httptest.NewServer(http.HandlerFunc(serveMedia))
	t.Cleanup(media.Close)
	return env{fake: fake, pub: linkedin.New(po), clock: c, logs: &logs, media: media}
}

func pngBytes() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.RGBA{R: 200, A: 255})
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

// serveMedia serves /img/<name>.png as a PNG, /text as text, and 404 otherwise.
func serveMedia(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasPrefix(r.URL.Path, "/img/"):
		w.Header().Set("Content-Type", "image/png")
		w.Write(pngBytes())
	case r.URL.Path == "/text":
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("not an image"))
	default:
		http.NotFound(w, r)
	}
}

func (e env) channel() herald.Channel {
	return herald.Channel{ID: 7, Name: "li", Platform: "linkedin",
		Config:      map[string]any{"author": e.fake.Author, "base_url": e.fake.URL},
		Credentials: map[string]string{"access_token": token}}
}

func (e env) request(m herald.Message) herald.PublishRequest {
	return herald.PublishRequest{Workspace: "acme", DeliveryID: 1, IdempotencyKey: "herald-acme-1", Attempt: 1,
		Channel: e.channel(), Message: m}
}

func (e env) publish(t *testing.T, m herald.Message) herald.Result {
	t.Helper()
	return e.publishReq(t, e.request(m))
}

func (e env) publishReq(t *testing.T, req herald.PublishRequest) herald.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res := e.pub.Publish(ctx, req)
	for _, f := range []string{res.Reason, res.Request, res.Response, res.RemoteID, res.URL, e.logs.String()} {
		if strings.Contains(f, token) {
			t.Fatalf("the token leaked: %q", f)
		}
	}
	return res
}

func wantOutcome(t *testing.T, res herald.Result, o herald.Outcome) {
	t.Helper()
	if res.Outcome != o {
		t.Fatalf("outcome %q (reason %q, response %q), want %q", res.Outcome, res.Reason, res.Response, o)
	}
}

func onlyPost(t *testing.T, e env) linkedinfake.Post {
	t.Helper()
	posts := e.fake.Posts()
	if len(posts) != 1 {
		t.Fatalf("the fake has %d posts, want 1: %+v", len(posts), posts)
	}
	return posts[0]
}

func TestTextPost(t *testing.T) {
	e := setup(t, linkedinfake.Options{}, linkedin.Options{})
	res := e.publish(t, herald.Message{Text: "Launch day.\nSee you there."})
	wantOutcome(t, res, herald.OutcomePublished)
	p := onlyPost(t, e)
	if res.RemoteID != p.URN || !strings.HasPrefix(p.URN, "urn:li:share:") {
		t.Errorf("remote id %q, the fake answered %q", res.RemoteID, p.URN)
	}
	if want := "https://www.linkedin.com/feed/update/" + p.URN + "/"; res.URL != want || linkedin.PostURL(p.URN) != want {
		t.Errorf("url %q, want %q", res.URL, want)
	}
	if p.Text != "Launch day.\nSee you there." || p.Visibility != "PUBLIC" || p.Author != e.fake.Author ||
		p.Article != nil || len(p.Images) != 0 {
		t.Errorf("posted %+v", p)
	}
	if p.Version != linkedin.DefaultVersion {
		t.Errorf("LinkedIn-Version %q, want the default %q", p.Version, linkedin.DefaultVersion)
	}
	for _, c := range e.fake.Calls() {
		if c.Protocol != "2.0.0" {
			t.Errorf("call %s sent X-Restli-Protocol-Version %q", c.Op, c.Protocol)
		}
	}
}

func TestVersionIsConfigurable(t *testing.T) {
	e := setup(t, linkedinfake.Options{}, linkedin.Options{})
	req := e.request(herald.Message{Text: "versioned"})
	req.Channel.Config["linkedin_version"] = "202406.01"
	wantOutcome(t, e.publishReq(t, req), herald.OutcomePublished)
	if p := onlyPost(t, e); p.Version != "202406.01" {
		t.Errorf("LinkedIn-Version %q, want 202406.01", p.Version)
	}
}

func TestOrganizationAuthor(t *testing.T) {
	e := setup(t, linkedinfake.Options{Author: "urn:li:organization:5515715"}, linkedin.Options{})
	wantOutcome(t, e.publish(t, herald.Message{Text: "from the page", Media: []string{e.media.URL + "/img/a.png"}}), herald.OutcomePublished)
	if p := onlyPost(t, e); p.Author != "urn:li:organization:5515715" || len(p.Images) != 1 {
		t.Errorf("posted %+v", p)
	}
}

func TestArticleLink(t *testing.T) {
	e := setup(t, linkedinfake.Options{}, linkedin.Options{})
	res := e.publish(t, herald.Message{Text: "Our new release notes\nRead them all.", Link: "https://example.com/notes"})
	wantOutcome(t, res, herald.OutcomePublished)
	p := onlyPost(t, e)
	if p.Article == nil || p.Article.Source != "https://example.com/notes" || p.Article.Title != "Our new release notes" {
		t.Fatalf("article %+v, want source https://example.com/notes titled by the first line", p.Article)
	}
	if p.Text != "Our new release notes\nRead them all." {
		t.Errorf("commentary shows %q: the link belongs in the article, not the text", p.Text)
	}
}

func TestArticleLinkWithoutText(t *testing.T) {
	e := setup(t, linkedinfake.Options{}, linkedin.Options{})
	wantOutcome(t, e.publish(t, herald.Message{Link: "https://example.com/notes"}), herald.OutcomePublished)
	if p := onlyPost(t, e); p.Article == nil || p.Article.Title != "example.com" {
		t.Errorf("article %+v, want titled by the host", p.Article)
	}
}

func TestOneImage(t *testing.T) {
	e := setup(t, linkedinfake.Options{}, linkedin.Options{})
	res := e.publish(t, herald.Message{Text: "a picture", Media: []string{e.media.URL + "/img/a.png"}})
	wantOutcome(t, res, herald.OutcomePublished)
	p := onlyPost(t, e)
	if len(p.Images) != 1 || !strings.HasPrefix(p.Images[0], "urn:li:image:") {
		t.Fatalf("images %v, want one uploaded image", p.Images)
	}
	var ops []string
	for _, c := range e.fake.Calls() {
		ops = append(ops, c.Op)
	}
	if got := strings.Join(ops, ","); got != "images,upload,posts" {
		t.Errorf("calls %s, want initializeUpload, the PUT, then the post", got)
	}
}

func TestSeveralImages(t *testing.T) {
	e := setup(t, linkedinfake.Options{}, linkedin.Options{})
	m := herald.Message{Text: "three pictures", Link: "https://example.com/x",
		Media: []string{e.media.URL + "/img/a.png", e.media.URL + "/img/b.png", e.media.URL + "/img/c.png"}}
	wantOutcome(t, e.publish(t, m), herald.OutcomePublished)
	p := onlyPost(t, e)
	if len(p.Images) != 3 || p.Images[0] == p.Images[1] {
		t.Fatalf("images %v, want three distinct uploaded images (multiImage)", p.Images)
	}
	if p.Article != nil || p.Text != m.Body() {
		t.Errorf("with images, the link goes in the text: shows %q, article %+v", p.Text, p.Article)
	}
}

func TestTooManyImagesFailBeforeSending(t *testing.T) {
	e := setup(t, linkedinfake.Options{}, linkedin.Options{})
	m := herald.Message{Text: "many"}
	for range linkedin.MaxImages + 1 {
		m.Media = append(m.Media, e.media.URL+"/img/x.png")
	}
	res := e.publish(t, m)
	wantOutcome(t, res, herald.OutcomeFailed)
	if len(e.fake.Calls()) != 0 {
		t.Errorf("%d calls made, want none", len(e.fake.Calls()))
	}
}

func TestUnusableImageFails(t *testing.T) {
	e := setup(t, linkedinfake.Options{}, linkedin.Options{})
	for _, src := range []string{e.media.URL + "/text", e.media.URL + "/missing.png"} {
		res := e.publish(t, herald.Message{Text: "bad image", Media: []string{src}})
		wantOutcome(t, res, herald.OutcomeFailed)
		if !strings.Contains(res.Reason, src) {
			t.Errorf("reason %q does not name %s", res.Reason, src)
		}
	}
	if len(e.fake.Calls()) != 0 {
		t.Errorf("%d calls made, want none", len(e.fake.Calls()))
	}
}

func TestValidateChannel(t *testing.T) {
	pub := linkedin.New(linkedin.Options{HTTPClient: testkit.Loopback})
	ok := &herald.Channel{Platform: "linkedin", Config: map[string]any{"author": "urn:li:organization:42", "linkedin_version": "202511"},
		Credentials: map[string]string{"access_token": "t"}}
	if err := pub.ValidateChannel(ok); err != nil {
		t.Fatalf("valid channel refused: %v", err)
	}
	bad := &herald.Channel{Platform: "linkedin", Config: map[string]any{"author": "person:42", "linkedin_version": "2025-11", "base_url": "ftp://x"}}
	cols := map[string]bool{}
	for _, p := range herald.ErrorDetails(pub.ValidateChannel(bad)) {
		cols[p.Column] = true
	}
	for _, c := range []string{"config.author", "config.linkedin_version", "config.base_url", "credentials.access_token"} {
		if !cols[c] {
			t.Errorf("no problem on %s (got %v)", c, cols)
		}
	}
	if herald.ErrorCode(pub.ValidateChannel(&herald.Channel{})) != herald.EVALIDATION {
		t.Error("an empty channel is not an EVALIDATION error")
	}
}
