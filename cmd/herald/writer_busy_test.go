package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"
)

// While another process holds the database's write lock (as a long plan
// upload does), a Herald process still answers reads at once, is ready, and
// a write it cannot make in time is a 503 with Retry-After, never a 500.
func TestReadsWhileAnotherProcessWrites(t *testing.T) {
	dir := t.TempDir()
	token := createToken(t, dir)
	c := startChild(t, dir, "HERALD_DATABASE_URL=file:"+filepath.Join(dir, "herald.db")+"?_busy_timeout=500")
	call(t, c.URL, token, "POST", "/api/v1/workspaces", "", map[string]any{"slug": "brand", "name": "Brand"}, 201, nil)

	other, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "herald.db")+"?_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tx, err := other.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`UPDATE workspaces SET name = name`); err != nil {
		t.Fatal(err)
	}

	client := &http.Client{Timeout: 3 * time.Second}
	get := func(path string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("GET", c.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET %s while another process writes: %v", path, err)
		}
		res.Body.Close()
		return res
	}
	if res := get("/api/v1/workspaces"); res.StatusCode != 200 {
		t.Errorf("read while another process writes: %d", res.StatusCode)
	}
	if res := get("/readyz"); res.StatusCode != 200 {
		t.Errorf("readyz while another process writes: %d", res.StatusCode)
	}
	var env struct {
		Error struct{ Code string } `json:"error"`
	}
	body := call(t, c.URL, token, "POST", "/api/v1/workspaces", "", map[string]any{"slug": "other", "name": "Other"}, 503, &env)
	if env.Error.Code != "unavailable" {
		t.Errorf("write while another process writes: %s", body)
	}
}

// While a 100,000-row plan upload is in its write transaction, the same
// process answers reads at once (from its read pool), and another process
// reads the database too: the upload holds the write lock only, never the
// readers.
func TestReadsDuringA100kUpload(t *testing.T) {
	dir := t.TempDir()
	token := createToken(t, dir)
	c := startChild(t, dir)
	call(t, c.URL, token, "POST", "/api/v1/workspaces", "", map[string]any{"slug": "brand", "name": "Brand"}, 201, nil)
	call(t, c.URL, token, "POST", "/api/v1/workspaces/brand/channels", "", map[string]any{"name": "out", "platform": "outbox"}, 201, nil)

	var plan bytes.Buffer
	plan.WriteString("key,date,time,channels,text\n")
	start := time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC) // always ahead
	for i := range 100_000 {
		at := start.Add(time.Duration(i) * 5 * time.Minute)
		fmt.Fprintf(&plan, "p%06d,%s,%s,out,Post %d of the year\n", i, at.Format("2006-01-02"), at.Format("15:04"), i)
	}
	uploaded := make(chan []byte, 1)
	go func() {
		uploaded <- call(t, c.URL, token, "PUT", "/api/v1/workspaces/brand/plans/year?timezone=UTC", "text/csv", plan.Bytes(), 200, nil)
	}()

	dbFile := filepath.Join(dir, "herald.db")
	writer, err := sql.Open("sqlite3", "file:"+dbFile+"?_txlock=immediate&_busy_timeout=0")
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	reader, err := sql.Open("sqlite3", "file:"+dbFile+"?mode=ro&_busy_timeout=0")
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for observed := false; !observed; {
		select {
		case body := <-uploaded:
			t.Fatalf("the upload ended before its write transaction was seen (%d bytes answered)", len(body))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the upload's write transaction was not seen within 60s")
		}
		// The write lock held twice 50 ms apart is the upload's (the
		// scheduler's and the API's own writes take a few milliseconds).
		if writeLockFree(writer) {
			time.Sleep(time.Millisecond)
			continue
		}
		time.Sleep(50 * time.Millisecond)
		if writeLockFree(writer) {
			continue
		}
		// The upload holds the write lock now: both reads must answer.
		observed = true
		req, _ := http.NewRequest("GET", c.URL+"/api/v1/workspaces", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := client.Do(req)
		if err != nil || res.StatusCode != 200 {
			t.Errorf("GET /api/v1/workspaces during the upload: %v %v", res, err)
		}
		if res != nil {
			res.Body.Close()
		}
		var n int
		if err := reader.QueryRow(`SELECT COUNT(*) FROM workspaces`).Scan(&n); err != nil || n != 1 {
			t.Errorf("another process's read during the upload: %d %v", n, err)
		}
		// The write lock is still the upload's: the reads did not wait for it
		// (a read queued behind the writer would answer only once it ended).
		if writeLockFree(writer) {
			t.Error("the reads answered only after the upload's write transaction ended")
		}
	}
	var res struct{ Created int }
	if err := json.Unmarshal(<-uploaded, &res); err != nil || res.Created != 100_000 {
		t.Fatalf("upload: %+v %v", res, err)
	}
}

// writeLockFree takes and gives back SQLite's write lock through db (a
// connection with _txlock=immediate and no busy wait), and reports whether
// it could.
func writeLockFree(db *sql.DB) bool {
	tx, err := db.Begin()
	if err != nil {
		return false
	}
	tx.Rollback()
	return true
}
