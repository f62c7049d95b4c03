package storage

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/heraldhq/herald"
	"github.com/jmoiron/sqlx"
)

// Node is a process sharing the database, as its heartbeats show it.
type Node struct {
	Name        string    `json:"name"`
	Host        string    `json:"host"`
	PID         int       `json:"pid"`
	StartedAt   time.Time `json:"started_at"`
	HeartbeatAt time.Time `json:"heartbeat_at"`
}

// Heartbeat records that this process (Options.Node) is alive at now,
// registering it on its first beat. Database errors are wrapped.
func (db *DB) Heartbeat(ctx context.Context, now time.Time) error {
	if _, err := exec(ctx, db.w, `INSERT INTO nodes (name, host, pid, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, host = excluded.host, pid = excluded.pid`,
		db.node, hostname(), os.Getpid(), ms(now), ms(now)); err != nil {
		return fmt.Errorf("heartbeat: %w", err)
	}
	return nil
}

// hostname is the machine's name, read once.
var hostname = sync.OnceValue(func() string {
	h, _ := os.Hostname()
	return h
})

// Nodes lists the processes that heartbeated since since, by name.
func (db *DB) Nodes(ctx context.Context, since time.Time) ([]Node, error) {
	var rows []struct {
		Name        string `db:"name"`
		Host        string `db:"host"`
		PID         int    `db:"pid"`
		StartedAt   int64  `db:"started_at"`
		HeartbeatAt int64  `db:"heartbeat_at"`
	}
	if err := sel(ctx, db.r, &rows, `SELECT name, host, pid, started_at, heartbeat_at FROM nodes WHERE heartbeat_at >= ? ORDER BY name`,
		ms(since)); err != nil {
		return nil, fmt.Errorf("nodes: %w", err)
	}
	out := make([]Node, len(rows))
	for i, r := range rows {
		out[i] = Node{Name: r.Name, Host: r.Host, PID: r.PID, StartedAt: fromMs(r.StartedAt), HeartbeatAt: fromMs(r.HeartbeatAt)}
	}
	return out, nil
}

// Elect makes this process (Options.Node) the holder of duty until now+term
// when nobody holds it or its term has ended, or extends the term when it
// already holds it, and reports whether it holds it now. Two processes
// electing at once: one wins. Database errors are wrapped.
func (db *DB) Elect(ctx context.Context, duty string, now time.Time, term time.Duration) (bool, error) {
	if duty == "" || term <= 0 {
		return false, herald.Errorf(herald.EINVALID, "elect: a duty and a positive term are required")
	}
	var holder string
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := exec(ctx, tx, `INSERT INTO leaders (name, node, elected_at, expires_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET node = excluded.node, expires_at = excluded.expires_at,
				elected_at = CASE WHEN leaders.node = excluded.node THEN leaders.elected_at ELSE excluded.elected_at END
			WHERE leaders.node = excluded.node OR leaders.expires_at < ?`,
			duty, db.node, ms(now), ms(now.Add(term)), ms(now)); err != nil {
			return err
		}
		return get(ctx, tx, &holder, `SELECT node FROM leaders WHERE name = ?`, duty)
	})
	if err != nil {
		return false, fmt.Errorf("elect %s: %w", duty, err)
	}
	return holder == db.node, nil
}

// Resign gives up duty if this process holds it, so that another may take it
// at once. Database errors are wrapped.
func (db *DB) Resign(ctx context.Context, duty string) error {
	if _, err := exec(ctx, db.w, `DELETE FROM leaders WHERE name = ? AND node = ?`, duty, db.node); err != nil {
		return fmt.Errorf("resign %s: %w", duty, err)
	}
	return nil
}

// Leader returns who holds duty at now ("" when nobody does).
func (db *DB) Leader(ctx context.Context, duty string, now time.Time) (string, error) {
	var node sql.NullString
	err := get(ctx, db.r, &node, `SELECT node FROM leaders WHERE name = ? AND expires_at >= ?`, duty, ms(now))
	if notFound(err) {
		return "", nil
	} else if err != nil {
		return "", fmt.Errorf("leader %s: %w", duty, err)
	}
	return node.String, nil
}
