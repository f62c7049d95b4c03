package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/publishers/webhook/webhookfake"
)

// Helpers of the replica fault tests (replicas_test.go): herald serve
// processes sharing one PostgreSQL schema, a TCP proxy that can cut them off
// it, a webhook burst, and checks of its outcome.

// cluster is several `herald serve` processes (replicas) on one database,
// sharing a secret key, each with its own data directory and node name.
type cluster struct {
	t     *testing.T
	env   []string // every replica's environment
	Token string
	nodes map[string]*child
}

// newCluster creates an API token in the database setup names (migrating
// it) for replicas that will connect to replicaDSN with env added to their
// environment.
func newCluster(t *testing.T, setup, replicaDSN string, env ...string) *cluster {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	secret := base64.StdEncoding.EncodeToString(key)
	t.Setenv("HERALD_SECRET_KEY", secret) // for token create below
	var out, errb syncBuffer
	if code := run(context.Background(), []string{"token", "create", "--name", "replicas", "--db", setup, "--data-dir", t.TempDir()},
		&out, &errb); code != 0 {
		t.Fatalf("token create exited %d: %s", code, errb.String())
	}
	return &cluster{t: t, Token: strings.TrimSpace(out.String()), nodes: map[string]*child{},
		env: append([]string{"HERALD_DATABASE_URL=" + replicaDSN, "HERALD_SECRET_KEY=" + secret}, env...)}
}

// start runs a replica named node (HERALD_NODE) and waits until it serves.
func (c *cluster) start(node string) *child {
	c.t.Helper()
	ch := startChild(c.t, c.t.TempDir(), append(slices.Clone(c.env), "HERALD_NODE="+node)...)
	c.nodes[node] = ch
	return ch
}

// api calls the API of replica via.
func (c *cluster) api(via *child, method, path string, body any, want int, out any) {
	c.t.Helper()
	call(c.t, via.URL, c.Token, method, path, "", body, want, out)
}

// deliveryDetail is GET …/deliveries/{id}: the delivery, its attempts and
// its events.
type deliveryDetail struct {
	ID             int64  `json:"id"`
	Key            string `json:"key"`
	Channel        string `json:"channel"`
	Status         string `json:"status"`
	IdempotencyKey string `json:"idempotency_key"`
	RemoteID       string `json:"remote_id"`
	Attempts       []struct {
		Number   int    `json:"number"`
		Outcome  string `json:"outcome"` // "" while it runs
		Node     string `json:"node"`
		RemoteID string `json:"remote_id"`
		Error    string `json:"error"`
	} `json:"attempts"`
	Events []struct {
		From    string    `json:"from"`
		To      string    `json:"to"`
		At      time.Time `json:"at"`
		Node    string    `json:"node"`
		Reason  string    `json:"reason"`
		Attempt int       `json:"attempt"`
	} `json:"events"`
}

func (c *cluster) delivery(via *child, ws string, id int64) deliveryDetail {
	c.t.Helper()
	var d deliveryDetail
	c.api(via, "GET", fmt.Sprintf("/api/v1/workspaces/%s/deliveries/%d", ws, id), nil, 200, &d)
	return d
}

// attemptNode is the node that ran attempt n of d ("" when there is none).
func (d deliveryDetail) attemptNode(n int) string {
	for _, a := range d.Attempts {
		if a.Number == n {
			return a.Node
		}
	}
	return ""
}

// running reports whether d is publishing with its last attempt, run by
// node, not finished.
func (d deliveryDetail) running(node string) bool {
	n := len(d.Attempts)
	return d.Status == "publishing" && n > 0 && d.Attempts[n-1].Node == node && d.Attempts[n-1].Outcome == ""
}

// readyz returns the status of GET /readyz on replica ch (0 when it did not answer).
func readyz(ch *child) int {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", ch.URL+"/readyz", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// logged returns the JSON log lines of ch whose message starts with msg.
func logged(ch *child, msg string) []map[string]any {
	var out []map[string]any
	for _, line := range strings.Split(ch.logs.String(), "\n") {
		var entry map[string]any
		if json.Unmarshal([]byte(line), &entry) == nil {
			if m, _ := entry["message"].(string); strings.HasPrefix(m, msg) {
				out = append(out, entry)
			}
		}
	}
	return out
}

// loggedFor reports whether ch logged msg about delivery id.
func loggedFor(ch *child, msg string, id int64) bool {
	for _, e := range logged(ch, msg) {
		if n, _ := e["delivery"].(float64); int64(n) == id {
			return true
		}
	}
	return false
}

// A webhook burst: workspace "brand" with channels ch01…chNN on one
// receiver that honours Idempotency-Key (config.idempotent true: a retry
// after a crash is safe), and plan "burst" of posts rows, each on every
// channel, due a minute apart in the past (within the lateness window), so
// that all of it is due at once and only the claim keeps each channel's
// order.
type burst struct {
	fake     *webhookfake.Server
	channels []string
	posts    int
}

func (b burst) total() int { return len(b.channels) * b.posts }

func postText(i int) string { return fmt.Sprintf("post %02d", i) }

func newBurst(t *testing.T, c *cluster, via *child, fake *webhookfake.Server, channels, posts int) burst {
	t.Helper()
	b := burst{fake: fake, posts: posts}
	c.api(via, "POST", "/api/v1/workspaces", map[string]any{"slug": "brand", "name": "Brand"}, 201, nil)
	for i := 1; i <= channels; i++ {
		name := fmt.Sprintf("ch%02d", i)
		b.channels = append(b.channels, name)
		c.api(via, "POST", "/api/v1/workspaces/brand/channels", map[string]any{"name": name, "platform": "webhook",
			"config": map[string]any{"url": fake.URL, "idempotent": true}, "credentials": map[string]any{"secret": fake.Secret}}, 201, nil)
	}
	start := herald.Now().Add(-time.Duration(posts+1) * time.Minute)
	var rows []map[string]any
	for i := range posts {
		rows = append(rows, map[string]any{"key": fmt.Sprintf("p%02d", i), "at": at(start.Add(time.Duration(i) * time.Minute)),
			"channels": b.channels, "text": postText(i)})
	}
	c.api(via, "PUT", "/api/v1/workspaces/brand/plans/burst", map[string]any{"posts": rows}, 200, nil)
	return b
}

// wait waits until every delivery of the burst is published and returns
// the report with each delivery's detail.
func (b burst) wait(t *testing.T, c *cluster, via *child, timeout time.Duration) (report, map[int64]deliveryDetail) {
	t.Helper()
	tm := &testMain{Token: c.Token, URL: via.URL}
	want := map[string]string{}
	for i := range b.posts {
		for _, ch := range b.channels {
			want[fmt.Sprintf("p%02d/%s", i, ch)] = "published"
		}
	}
	defer func() {
		if t.Failed() {
			for _, row := range tm.report(t, "brand", "burst").Rows {
				if row.Status != "published" {
					t.Logf("not published: %+v", c.delivery(via, "brand", row.DeliveryID))
				}
			}
		}
	}()
	r := tm.waitReport(t, "brand", "burst", timeout, want)
	details := map[int64]deliveryDetail{}
	for _, row := range r.Rows {
		details[row.DeliveryID] = c.delivery(via, "brand", row.DeliveryID)
	}
	return r, details
}

// checkOnce fails the test unless every delivery of the burst reached the
// receiver exactly once and is recorded so: the receiver accepted one
// delivery per (channel, post) — a post sent again under another key would
// be a second one, a lost post a missing one — under the delivery's
// Idempotency-Key, the delivery's remote id is that one's (a retry was
// answered by the receiver's replay), and exactly one attempt, its last,
// is published: Herald never publishes a published delivery again.
func (b burst) checkOnce(t *testing.T, r report, details map[int64]deliveryDetail) {
	t.Helper()
	got := b.fake.Deliveries()
	byKey := map[string]webhookfake.Delivery{}
	seen := map[string]int{}
	for _, d := range got {
		byKey[d.IdempotencyKey] = d
		seen[d.Payload.Channel+"/"+d.Payload.Text]++
	}
	for post, n := range seen {
		if n != 1 {
			t.Errorf("%s reached the receiver %d times", post, n)
		}
	}
	if len(r.Rows) != b.total() || len(got) != b.total() {
		t.Errorf("%d report rows, %d deliveries at the receiver; want %d of each", len(r.Rows), len(got), b.total())
	}
	for _, row := range r.Rows {
		d := details[row.DeliveryID]
		fd, ok := byKey[d.IdempotencyKey]
		switch {
		case !ok:
			t.Errorf("%s/%s (delivery %d) is %s but never reached the receiver", row.Key, row.Channel, d.ID, row.Status)
			continue
		case fd.Payload.Channel != row.Channel || fd.Payload.Text != row.Text:
			t.Errorf("delivery %d (%s %q) reached the receiver as %s %q", d.ID, row.Channel, row.Text, fd.Payload.Channel, fd.Payload.Text)
		case row.RemoteID != fd.ID:
			t.Errorf("delivery %d records remote id %q, the receiver accepted it as %q", d.ID, row.RemoteID, fd.ID)
		}
		published := 0
		for _, a := range d.Attempts {
			if a.Outcome == string(herald.OutcomePublished) {
				published++
			}
		}
		if n := len(d.Attempts); published != 1 || n == 0 || d.Attempts[n-1].Outcome != string(herald.OutcomePublished) {
			t.Errorf("delivery %d: %d published attempts of %d, want one, the last: %+v", d.ID, published, n, d.Attempts)
		}
	}
}

// checkOrder fails the test unless each channel's posts reached the
// receiver in due order, each once.
func (b burst) checkOrder(t *testing.T) {
	t.Helper()
	order := map[string][]string{}
	for _, d := range b.fake.Deliveries() {
		order[d.Payload.Channel] = append(order[d.Payload.Channel], d.Payload.Text)
	}
	var want []string
	for i := range b.posts {
		want = append(want, postText(i))
	}
	for _, ch := range b.channels {
		if !slices.Equal(order[ch], want) {
			t.Errorf("%s's posts reached the receiver as %q, want %q (due order)", ch, order[ch], want)
		}
	}
}

// tcpProxy forwards connections from a loopback port to target (the
// PostgreSQL server): Cut resets every connection and resets each new one
// as soon as it is accepted, as a database that went away; Restore lets
// them through again.
type tcpProxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	cut   bool
	conns map[net.Conn]bool
	cuts  int // connections reset by Cut or while cut
	wg    sync.WaitGroup
}

func startTCPProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

func (p *tcpProxy) Addr() string { return p.ln.Addr().String() }

func (p *tcpProxy) accept() {
	defer p.wg.Done()
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		p.mu.Lock()
		cut := p.cut
		if cut {
			p.cuts++
		}
		p.mu.Unlock()
		if cut {
			reset(in)
			continue
		}
		out, err := net.DialTimeout("tcp", p.target, 5*time.Second)
		if err != nil {
			reset(in)
			continue
		}
		if !p.track(in, out) {
			reset(in)
			reset(out)
			continue
		}
		p.wg.Add(2)
		go p.pipe(in, out)
		go p.pipe(out, in)
	}
}

// track registers a forwarded pair unless the proxy was cut meanwhile.
func (p *tcpProxy) track(conns ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut {
		return false
	}
	for _, c := range conns {
		p.conns[c] = true
	}
	return true
}

func (p *tcpProxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	io.Copy(dst, src)
	dst.Close()
	src.Close()
	p.mu.Lock()
	delete(p.conns, dst)
	delete(p.conns, src)
	p.mu.Unlock()
}

// Cut resets every forwarded connection, and every later one until Restore.
func (p *tcpProxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for c := range p.conns {
		reset(c)
		p.cuts++
		delete(p.conns, c)
	}
}

// Restore forwards new connections again.
func (p *tcpProxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = false
}

// Cuts is how many connections were reset.
func (p *tcpProxy) Cuts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cuts
}

func (p *tcpProxy) close() {
	p.ln.Close()
	p.Cut()
	p.wg.Wait()
}

// reset closes c with a TCP reset rather than an orderly close.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}

// proxied starts a tcpProxy to the server dsn names and returns it with
// dsn through it.
func proxied(t *testing.T, dsn string) (*tcpProxy, string) {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	target := u.Host
	if u.Port() == "" {
		target = net.JoinHostPort(u.Hostname(), "5432")
	}
	p := startTCPProxy(t, target)
	u.Host = p.Addr()
	return p, u.String()
}
