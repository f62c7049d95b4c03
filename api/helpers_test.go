package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/api"
	contentplans "github.com/heraldhq/herald/content-plans"
	"github.com/heraldhq/herald/storage"
	"github.com/rs/zerolog"
)

// env is one API server on a fresh SQLite file, with an admin token.
type env struct {
	t       *testing.T
	db      *storage.DB
	srv     *httptest.Server
	token   string
	applied atomic.Int64 // OnPlanApplied calls
	logs    *bytes.Buffer
}

// knownPlatforms stands in for the publishers registry in these tests.
var knownPlatforms = map[string]bool{"outbox": true, "telegram": true, "mastodon": true, "vk": true}

func validateChannel(ch *herald.Channel) error {
	if !knownPlatforms[ch.Platform] {
		return &herald.Error{Code: herald.EVALIDATION, Message: "invalid channel", Details: []herald.Problem{
			{Column: "platform", Code: "unknown_platform", Message: "unknown platform " + ch.Platform}}}
	}
	return nil
}

func newEnv(t *testing.T, tweak ...func(*api.Config)) *env {
	t.Helper()
	db, err := storage.Open(filepath.Join(t.TempDir(), "herald.db"), storage.Options{
		SecretKey: bytes.Repeat([]byte{7}, 32),
		Logger:    zerolog.Nop(),
	})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	secret, _, err := db.CreateToken(ctx, "test", herald.RoleAdmin)
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	e := &env{t: t, db: db, token: secret, logs: &bytes.Buffer{}}
	cfg := api.Config{
		Logger:          zerolog.New(e.logs),
		ValidateChannel: validateChannel,
		OnPlanApplied:   func() { e.applied.Add(1) },
		BuildPlan:       contentplans.Build,
		SniffPlan:       contentplans.Sniff,
		// The auth tests walk every route with wrong tokens; the throttle
		// has a test of its own.
		AuthFailureBurst: 1000,
		Ready: func(ctx context.Context) error {
			if err := db.Ping(ctx); err != nil {
				return err
			}
			return db.CheckSchema(ctx)
		},
	}
	for _, f := range tweak {
		f(&cfg)
	}
	e.srv = httptest.NewServer(api.New(db, cfg).Handler())
	t.Cleanup(e.srv.Close)
	return e
}

// resp is an answer read whole.
type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) String() string { return string(r.body) }

// decode decodes the body into v, failing the test when it is not JSON.
func (r resp) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// errorCode returns the envelope's error code, failing when there is none.
func (r resp) errorCode(t *testing.T) string {
	t.Helper()
	var env struct {
		Error struct {
			Code    string           `json:"code"`
			Message string           `json:"message"`
			Details []herald.Problem `json:"details"`
		} `json:"error"`
	}
	r.decode(t, &env)
	if env.Error.Code == "" || env.Error.Message == "" {
		t.Fatalf("no error envelope in %s", r.body)
	}
	return env.Error.Code
}

// do sends a request with the env's token. body may be a string, []byte,
// io.Reader or any value sent as JSON; headers are "Name: value" pairs.
func (e *env) do(method, path string, body any, headers ...string) resp {
	e.t.Helper()
	return e.doAs("Bearer "+e.token, method, path, body, headers...)
}

func (e *env) doAs(auth, method, path string, body any, headers ...string) resp {
	e.t.Helper()
	var rd io.Reader
	contentType := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	case io.Reader:
		rd = b
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
		contentType = "application/json"
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		if strings.EqualFold(k, "Host") { // the client sends req.Host, not a Host header
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

// must fails the test unless r has the wanted status.
func must(t *testing.T, r resp, status int) resp {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	return r
}

// setup makes workspace ws (time zone UTC) with an outbox channel "demo".
func (e *env) setup(ws string) {
	e.t.Helper()
	must(e.t, e.do("POST", "/api/v1/workspaces", map[string]any{"slug": ws, "name": "Brand " + ws}), 201)
	must(e.t, e.do("POST", "/api/v1/workspaces/"+ws+"/channels", map[string]any{"name": "demo", "platform": "outbox"}), 201)
}

// future is a day far enough ahead that plans are never in the past.
var future = herald.Now().UTC().AddDate(1, 0, 0).Format("2006-01-02")

// jsonPlan is a plan of n posts on channel demo.
func jsonPlan(texts ...string) map[string]any {
	var posts []map[string]any
	for i, text := range texts {
		posts = append(posts, map[string]any{
			"key":      "post-" + string(rune('a'+i)),
			"at":       future + " 1" + string(rune('0'+i)) + ":00",
			"channels": []string{"demo"},
			"text":     text,
		})
	}
	return map[string]any{"title": "Test", "timezone": "UTC", "posts": posts}
}

// planResult is the answer of PUT …/plans/{key}.
type planResult struct {
	Plan      string             `json:"plan"`
	DryRun    bool               `json:"dry_run"`
	Created   int                `json:"created"`
	Updated   int                `json:"updated"`
	Unchanged int                `json:"unchanged"`
	Cancelled int                `json:"cancelled"`
	Conflicts int                `json:"conflicts"`
	Warnings  []herald.Problem   `json:"warnings"`
	Rows      []herald.RowResult `json:"rows"`
}
