package storage

import (
	"testing"

	"github.com/heraldhq/herald"
	"github.com/jmoiron/sqlx"
)

// On PostgreSQL transactions run side by side (READ COMMITTED): the ones
// that write on the strength of what they read lock it first. Each test
// here holds another session's transaction open over the rows, checks that
// the operation waits for it, then commits it, and checks that the
// operation took the other's change into account.

// whileHeld runs op while another session's transaction, which hold
// began, is open: op must wait for that transaction's locks; it is
// committed once op waits, and op's error is returned.
func whileHeld(t *testing.T, db *DB, hold func(tx *sqlx.Tx), op func() error) error {
	t.Helper()
	tx, err := db.w.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	hold(tx)
	done := make(chan struct{})
	var opErr error
	go func() {
		defer close(done)
		opErr = op()
	}()
	waited := waitLockWait(t, db, done)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	<-done
	if !waited {
		t.Errorf("it did not wait for the other transaction (its result: %v)", opErr)
	}
	return opErr
}

func mustExecTx(t *testing.T, tx *sqlx.Tx, q string, args ...any) {
	t.Helper()
	if _, err := exec(ctx, tx, q, args...); err != nil {
		t.Fatal(err)
	}
}

// Read, then written: a channel's credentials refreshed by another
// transaction while UpdateChannel (no new credentials) runs are kept, not
// overwritten with the ones it read first.
func TestPostgresUpdateChannelKeepsConcurrentChanges(t *testing.T) {
	postgresOnly(t)
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "acme")
	ch := mustChannel(t, db, ws.ID, "tg", "telegram")
	refreshed, err := db.seal(map[string]string{"bot_token": "refreshed"})
	if err != nil {
		t.Fatal(err)
	}
	upd := *ch
	upd.Credentials, upd.Config = nil, map[string]any{"chat_id": "@new"}
	err = whileHeld(t, db, func(tx *sqlx.Tx) {
		mustExecTx(t, tx, `UPDATE channels SET credentials = ?, version = version + 1 WHERE id = ?`, refreshed, ch.ID)
	}, func() error { return db.UpdateChannel(ctx, &upd) })
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.Channel(ctx, ws.ID, "tg")
	if err != nil || got.Credentials["bot_token"] != "refreshed" || got.ConfigString("chat_id") != "@new" {
		t.Fatalf("after concurrent refresh and update: %+v %v", got, err)
	}

	// Two merges at once keep both (credentials, then config).
	other, _ := db.seal(map[string]string{"bot_token": "refreshed", "a": "1"})
	err = whileHeld(t, db, func(tx *sqlx.Tx) {
		mustExecTx(t, tx, `UPDATE channels SET credentials = ?, config = '{"chat_id":"@new","x":"1"}' WHERE id = ?`, other, ch.ID)
	}, func() error { return db.UpdateChannelCredentials(ctx, ch.ID, map[string]string{"b": "2"}) })
	if err != nil {
		t.Fatal(err)
	}
	err = whileHeld(t, db, func(tx *sqlx.Tx) {
		mustExecTx(t, tx, `UPDATE channels SET config = '{"chat_id":"@new","x":"1","y":"2"}' WHERE id = ?`, ch.ID)
	}, func() error { return db.UpdateChannelConfig(ctx, ch.ID, map[string]any{"z": "3"}) })
	if err != nil {
		t.Fatal(err)
	}
	got, _ = db.Channel(ctx, ws.ID, "tg")
	if got.Credentials["a"] != "1" || got.Credentials["b"] != "2" || got.ConfigString("y") != "2" || got.ConfigString("z") != "3" {
		t.Fatalf("a concurrent change was lost: credentials %v config %v", got.Credentials, got.Config)
	}
}

// claimInTx makes the channel's first delivery publishing in tx, as a
// claim of another process that has not committed yet.
func claimInTx(t *testing.T, tx *sqlx.Tx, deliveryID int64) {
	mustExecTx(t, tx, `UPDATE deliveries SET status = 'publishing', lease_owner = 'other', attempts = attempts + 1 WHERE id = ?`, deliveryID)
}

// Deleting a channel or a workspace while another process claims one of
// its deliveries waits for that claim, then refuses (ECONFLICT: publishing)
// rather than deleting under a publish.
func TestPostgresDeletesWaitForClaims(t *testing.T) {
	postgresOnly(t)
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "acme")
	mustChannel(t, db, ws.ID, "tg", "telegram")
	mustApply(t, db, ws.ID, "p", []herald.Post{mkPost("a", 2, t0, "A", "tg")})
	id := deliveryIDs(t, db, ws.ID)[[2]string{"a", "tg"}]

	err := whileHeld(t, db, func(tx *sqlx.Tx) { claimInTx(t, tx, id) }, func() error { return db.DeleteChannel(ctx, ws.ID, "tg") })
	wantCode(t, err, herald.ECONFLICT)
	mustExec(t, db, `UPDATE deliveries SET status = 'scheduled' WHERE id = ?`, id)
	err = whileHeld(t, db, func(tx *sqlx.Tx) { claimInTx(t, tx, id) }, func() error { return db.DeleteWorkspace(ctx, ws.ID) })
	wantCode(t, err, herald.ECONFLICT)
	if s := statusOf(t, db, id); s != herald.StatusPublishing {
		t.Fatalf("status %s, want publishing (nothing deleted)", s)
	}
}

// Deleting a plan takes the workspace's lock (ApplyPlan is to take it too,
// so that the two never interleave).
func TestPostgresDeletePlanLocksTheWorkspace(t *testing.T) {
	postgresOnly(t)
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "acme")
	mustChannel(t, db, ws.ID, "tg", "telegram")
	mustApply(t, db, ws.ID, "p", []herald.Post{mkPost("a", 2, t0, "A", "tg")})
	err := whileHeld(t, db, func(tx *sqlx.Tx) {
		var id int64
		if err := get(ctx, tx, &id, `SELECT id FROM workspaces WHERE id = ? FOR UPDATE`, ws.ID); err != nil {
			t.Fatal(err)
		}
	}, func() error { _, err := db.DeletePlan(ctx, ws.ID, "p"); return err })
	if err != nil {
		t.Fatal(err)
	}
}

// The first token: another process creating it at the same moment makes
// this one wait, then find it, so that one is made between them.
func TestPostgresFirstTokenWaitsForAnother(t *testing.T) {
	postgresOnly(t)
	db := MustOpenDB(t)
	var secret string
	err := whileHeld(t, db, func(tx *sqlx.Tx) {
		mustExecTx(t, tx, postgresDialect.lockTokens)
		mustExecTx(t, tx, `INSERT INTO api_tokens (name, role, hash, created_at) VALUES ('other', 'admin', 'x', 0)`)
	}, func() error {
		var err error
		secret, _, err = db.CreateFirstToken(ctx, "first-admin")
		return err
	})
	if n, _ := db.CountTokens(ctx); err != nil || secret != "" || n != 1 {
		t.Fatalf("first token made while another process made one: secret %q, %d tokens, %v", secret, n, err)
	}
}

func mustExec(t *testing.T, db *DB, q string, args ...any) {
	t.Helper()
	if _, err := exec(ctx, db.w, q, args...); err != nil {
		t.Fatal(err)
	}
}
