package storage

import (
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/jmoiron/sqlx"
)

// On PostgreSQL a claim statement whose snapshot predates a pause's commit
// could claim after the pause answered; pause and claim conflict on the
// pause lock instead (see storage/pause.go). Each test holds one side's
// transaction open in another session and checks that the other side
// waits for it, then sees what it did.

// A pause waits for a claim running in another process, and lists what
// that claim took as in flight.
func TestPostgresPauseWaitsForRunningClaims(t *testing.T) {
	postgresOnly(t)
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "acme")
	mustChannel(t, db, ws.ID, "tg", "telegram")
	mustApply(t, db, ws.ID, "p", []herald.Post{mkPost("a", 2, t0, "A", "tg"), mkPost("b", 3, t0, "B", "tg")})
	id := deliveryIDs(t, db, ws.ID)[[2]string{"a", "tg"}]

	var res *herald.PauseResult
	err := whileHeld(t, db, func(tx *sqlx.Tx) {
		mustExecTx(t, tx, db.d.claimGate, ms(t0)) // the claim's first statement
		claimInTx(t, tx, id)
	}, func() error {
		var err error
		res, err = db.Pause(ops, wsTarget(ws), herald.PauseRequest{Reason: "stop"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.InFlight) != 1 || res.InFlight[0].ID != id {
		t.Fatalf("in flight %+v, want the claim that was running (delivery %d)", res.InFlight, id)
	}
}

// A claim that starts while a pause is being written waits for it, and
// then claims nothing of what it holds.
func TestPostgresClaimWaitsForAPause(t *testing.T) {
	postgresOnly(t)
	db := MustOpenDB(t)
	ws := mustWorkspace(t, db, "acme")
	mustChannel(t, db, ws.ID, "tg", "telegram")
	mustApply(t, db, ws.ID, "p", []herald.Post{mkPost("a", 2, t0, "A", "tg")})

	var jobs []herald.Job
	err := whileHeld(t, db, func(tx *sqlx.Tx) {
		mustExecTx(t, tx, db.d.lockPause)
		mustExecTx(t, tx, `INSERT INTO pauses (scope, workspace_id, paused_at, reason, updated_at) VALUES ('workspace', ?, ?, 'stop', ?)`,
			ws.ID, ms(t0), ms(t0))
	}, func() error {
		var err error
		jobs, err = db.ClaimDue(ctx, "w1", t0, time.Minute, 10)
		return err
	})
	if err != nil || len(jobs) != 0 {
		t.Fatalf("a claim after the pause took %s (%v)", claimKeys(jobs), err)
	}
}
