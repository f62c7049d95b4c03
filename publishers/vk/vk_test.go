package vk_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/internal/testkit"
	"github.com/heraldhq/herald/publishers/vk"
	"github.com/heraldhq/herald/publishers/vk/vkfake"
	"github.com/rs/zerolog"
)

const (
	token = "vk1.a.SECRET-user-token-123"
	owner = -4242 // a community
)

type env struct {
	fake  *vkfake.Server
	pub   *vk.Publisher
	clock *testkit.Clock
	logs  *bytes.Buffer
	media *httptest.Server
}

func setup(t *testing.T, fo vkfake.Options, po vk.Options) env {
	t.Helper()
	c := testkit.NewClock(time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC))
	fo.Token, fo.Now = token, c.Now
	fake := vkfake.New(fo)
	t.Cleanup(fake.Close)
	var logs bytes.Buffer
	po.Logger, po.Now, po.Wait, po.HTTPClient = zerolog.New(&logs).Level(zerolog.DebugLevel), c.Now, c.Wait, testkit.Loopback
	media := httptest.NewServer(http.HandlerFunc(serveMedia))
	t.Cleanup(media.Close)
	return env{fake: fake, pub: vk.New(po), clock: c, logs: &logs, media: media}
}

func encoded(enc func(*bytes.Buffer, image.Image)) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.RGBA{R: 200, A: 255})
	var b bytes.Buffer
	enc(&b, img)
	return b.Bytes()
}

var (
	pngData  = encoded(func(b *bytes.Buffer, i image.Image) { png.Encode(b, i) })
	jpegData = encoded(func(b *bytes.Buffer, i image.Image) { jpeg.Encode(b, i, nil) })
	gifData  = encoded(func(b *bytes.Buffer, i image.Image) { gif.Encode(b, i, nil) })
)

func serveMedia(w http.ResponseWriter, r *http.Request) {
	serve := func(ctype string, data []byte) {
		w.Header().Set("Content-Type", ctype)
		w.Write(data)
	}
	switch r.URL.Path {
	case "/cat.png":
		serve("image/png", pngData)
	case "/dog.jpg":
		serve("image/jpeg", jpegData)
	case "/anim.gif":
		serve("image/gif", gifData)
	case "/sniffed":
		serve("application/octet-stream", pngData)
	case "/lying.png": // labelled PNG, not an image at all
		serve("image/png", []byte("this is not an image, whatever the header says"))
	case "/page.html":
		serve("text/html", []byte("<html></html>"))
	case "/clip.mp4":
		serve("video/mp4", []byte("\x00\x00\x00\x18ftypmp42"))
	case "/big.png":
		serve("image/png", bytes.Repeat(pngData, 100))
	case "/flaky.png":
		w.WriteHeader(http.StatusServiceUnavailable)
	default:
		http.NotFound(w, r)
	}
}

func (e env) request(key string, m herald.Message) herald.PublishRequest {
	return herald.PublishRequest{
		Workspace: "acme", DeliveryID: 9, IdempotencyKey: key, Attempt: 1,
		Channel: herald.Channel{ID: 3, Name: "club", Platform: "vk",
			Config:      map[string]any{"base_url": e.fake.URL, "owner_id": float64(owner)},
			Credentials: map[string]string{"access_token": token}},
		Message: m,
	}
}

func (e env) photos(names ...string) []string {
	var urls []string
	for _, n := range names {
		urls = append(urls, e.media.URL+"/"+n)
	}
	return urls
}

// noToken fails t when the token shows in a Result field or the logs.
func (e env) noToken(t *testing.T, res herald.Result) {
	t.Helper()
	for name, s := range map[string]string{"Request": res.Request, "Response": res.Response, "Reason": res.Reason, "logs": e.logs.String()} {
		if strings.Contains(s, token) {
			t.Errorf("%s contains the access token: %q", name, s)
		}
	}
}

// methods lists the fake's calls by method name, with the code answered when not 0.
func (e env) methods() string {
	var out []string
	for _, c := range e.fake.Calls() {
		if c.Code != 0 {
			out = append(out, c.Method+"="+strconv.Itoa(c.Code))
		} else {
			out = append(out, c.Method)
		}
	}
	return strings.Join(out, " ")
}

func TestPublishShapes(t *testing.T) {
	ten := []string{"cat.png", "dog.jpg", "anim.gif", "sniffed", "cat.png", "dog.jpg", "anim.gif", "cat.png", "dog.jpg", "cat.png"}
	tests := []struct {
		name   string
		owner  float64
		msg    func(e env) herald.Message
		photos int
		link   string
		calls  string
	}{
		{name: "text", msg: func(env) herald.Message { return herald.Message{Text: "Привет, VK"} }, calls: "wall.post"},
		{name: "text and link", msg: func(env) herald.Message {
			return herald.Message{Text: "Read this", Link: "https://brand.example/a"}
		}, link: "https://brand.example/a", calls: "wall.post"},
		{name: "link only", msg: func(env) herald.Message { return herald.Message{Link: "https://brand.example/b"} },
			link: "https://brand.example/b", calls: "wall.post"},
		{name: "one image", msg: func(e env) herald.Message { return herald.Message{Text: "Cat", Media: e.photos("cat.png")} },
			photos: 1, calls: "photos.getWallUploadServer upload photos.saveWallPhoto wall.post"},
		{name: "user wall, image", owner: 1000, msg: func(e env) herald.Message {
			return herald.Message{Text: "Mine", Media: e.photos("dog.jpg")}
		}, photos: 1, calls: "photos.getWallUploadServer upload photos.saveWallPhoto wall.post"},
		{name: "ten images and a link", msg: func(e env) herald.Message {
			return herald.Message{Text: "Album", Media: e.photos(ten...), Link: "https://brand.example/c"}
		}, photos: 10, link: "https://brand.example/c",
			calls: "photos.getWallUploadServer" + strings.Repeat(" upload photos.saveWallPhoto", 10) + " wall.post"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, vkfake.Options{}, vk.Options{})
			req := e.request("herald-9-abc", tc.msg(e))
			if tc.owner != 0 {
				req.Channel.Config["owner_id"] = tc.owner
			}
			res := e.pub.Publish(context.Background(), req)
			if res.Outcome != herald.OutcomePublished {
				t.Fatalf("outcome %s: %s\n%s", res.Outcome, res.Reason, res.Request)
			}
			posts := e.fake.Posts()
			if len(posts) != 1 {
				t.Fatalf("%d posts", len(posts))
			}
			p := posts[0]
			wantOwner := int64(owner)
			if tc.owner != 0 {
				wantOwner = int64(tc.owner)
			}
			if p.OwnerID != wantOwner || p.FromGroup != (wantOwner < 0) || p.Text != req.Message.Text ||
				p.Photos != tc.photos || p.Link != tc.link || p.GUID != "herald-9-abc" {
				t.Errorf("post %+v", p)
			}
			for _, a := range p.Attachments[:p.Photos] {
				if !strings.HasPrefix(a, "photo"+strconv.FormatInt(wantOwner, 10)+"_") {
					t.Errorf("attachment %q is not a photo on the wall's owner", a)
				}
			}
			if res.RemoteID != strconv.FormatInt(p.ID, 10) || res.URL != p.URL || res.URL != "https://vk.com/wall"+strconv.FormatInt(wantOwner, 10)+"_"+res.RemoteID {
				t.Errorf("remote id %q url %q, post %+v", res.RemoteID, res.URL, p)
			}
			if got := e.methods(); got != tc.calls {
				t.Errorf("calls %s\nwant %s", got, tc.calls)
			}
			e.noToken(t, res)
		})
	}
}

func TestTooManyImages(t *testing.T) {
	e := setup(t, vkfake.Options{}, vk.Options{})
	media := e.photos(strings.Split(strings.Repeat("cat.png ", 11), " ")[:11]...)
	res := e.pub.Publish(context.Background(), e.request("k", herald.Message{Text: "x", Media: media}))
	if res.Outcome != herald.OutcomeFailed || !strings.Contains(res.Reason, "at most 10") || len(e.fake.Calls()) != 0 {
		t.Errorf("got %s %q after %d calls; want failed before any call", res.Outcome, res.Reason, len(e.fake.Calls()))
	}
}

func TestLostAnswerRetriedWithSameGUID(t *testing.T) {
	e := setup(t, vkfake.Options{}, vk.Options{})
	if !e.pub.Idempotent() {
		t.Error("Idempotent must be true")
	}
	e.fake.Script(vkfake.DropAfterPost().On("wall.post"))
	req := e.request("herald-9-lost", herald.Message{Text: "Lost answer", Media: e.photos("cat.png")})
	res := e.pub.Publish(context.Background(), req)
	if res.Outcome != herald.OutcomeRetry || !strings.Contains(res.Reason, "same guid") {
		t.Fatalf("outcome %s (%s), want retry with the same guid", res.Outcome, res.Reason)
	}
	e.noToken(t, res)
	e.clock.Add(10 * time.Minute)
	req.Attempt++
	res = e.pub.Publish(context.Background(), req)
	posts := e.fake.Posts()
	if res.Outcome != herald.OutcomePublished || len(posts) != 1 || res.RemoteID != strconv.FormatInt(posts[0].ID, 10) || res.URL != posts[0].URL {
		t.Errorf("retry: %s %s %s, posts %+v; want the original post, posted once", res.Outcome, res.RemoteID, res.Reason, posts)
	}
	var guids []string
	for _, c := range e.fake.Calls() {
		if c.Method == "wall.post" {
			guids = append(guids, c.Params.Get("guid"))
		}
	}
	if len(guids) != 2 || guids[0] != "herald-9-lost" || guids[1] != guids[0] {
		t.Errorf("wall.post guids %v, want the delivery's key twice", guids)
	}
}

func TestGUID(t *testing.T) {
	plain := vk.GUID(herald.PublishRequest{IdempotencyKey: "herald-42-0123456789ab"})
	none := vk.GUID(herald.PublishRequest{Workspace: "acme", DeliveryID: 7})
	long := herald.PublishRequest{IdempotencyKey: strings.Repeat("ключ ", 30)}
	if plain != "herald-42-0123456789ab" || none != "herald-acme-7" {
		t.Errorf("guids %q %q", plain, none)
	}
	if g := vk.GUID(long); g != vk.GUID(long) || len(g) > 64 || !strings.HasPrefix(g, "herald-") || strings.Contains(g, " ") {
		t.Errorf("hashed guid %q", g)
	}
}
