package main

import (
	"database/sql"
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
