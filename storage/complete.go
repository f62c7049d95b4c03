package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/heraldhq/herald"
	"github.com/jmoiron/sqlx"
)

// Complete records the result of a claimed job's attempt, in one
// transaction, only while the delivery is still publishing under owner's
// lease for that attempt (job.Attempt). published → published with remote id,
// URL and published_at = finished; retry → retrying with next_attempt_at =
// retryAt (finished when zero; cancelled instead when the row was removed
// from its plan while publishing); failed and unknown → that status; reauth →
// scheduled again, held: the channel becomes needs_reauth with res.Reason,
// and the claim skips it until new credentials (UpdateChannel) make it
// active (cancelled instead when the row was removed). The error is
// res.Reason (cleared when published). The attempt row gets finished_at,
// outcome, request, response, error, remote id, URL, retry_at and whether
// the retry was throttled (res.Throttled);
// res.ConfigUpdate is merged into the channel's config; the lease is cleared.
// Calls made at the same time share a transaction (group commit); each
// still succeeds or fails alone. It gives ECONFLICT (nothing written) when
// the delivery is no longer publishing under that lease, EINVALID for an
// unknown outcome, ctx's error when ctx is done before it starts, and wraps
// database errors.
func (db *DB) Complete(ctx context.Context, owner string, job herald.Job, res herald.Result, finished, retryAt time.Time) error {
	c, err := prepareCompletion(owner, job, res, finished, retryAt)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	c.actor = herald.ActorOf(ctx)
	db.completer.submit(db, c)
	return c.err
}

// CompleteAndClaimNext is Complete, then, in the same transaction, a claim
// for the freed worker: the earliest due delivery that may go at once, by
// ClaimDue's rules (the channel's own next post when it is that one,
// another channel's otherwise). It comes back as a job under owner's lease
// for lease, ready to publish, so a worker goes on without a round through
// the claim loop; nil when nothing is due. The claim is made only when the
// completion was written.
func (db *DB) CompleteAndClaimNext(ctx context.Context, owner string, job herald.Job, res herald.Result, finished, retryAt time.Time,
	lease time.Duration) (*herald.Job, error) {
	c, err := prepareCompletion(owner, job, res, finished, retryAt)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.actor, c.lease = herald.ActorOf(ctx), lease
	db.completer.submit(db, c)
	return c.next, c.err
}

func prepareCompletion(owner string, job herald.Job, res herald.Result, finished, retryAt time.Time) (*completion, error) {
	c := &completion{owner: owner, job: job, res: res, fin: ms(finished), done: make(chan struct{}), lead: make(chan struct{})}
	switch res.Outcome {
	case herald.OutcomePublished:
		c.fixed = herald.StatusPublished
		c.set, c.args = `remote_id = ?, url = ?, published_at = ?, error = '', platform_state = '{}'`, []any{res.RemoteID, res.URL, c.fin}
	case herald.OutcomeRetry:
		if retryAt.IsZero() {
			retryAt = finished
		}
		c.retry = sql.NullInt64{Int64: ms(retryAt), Valid: true}
		c.to = unlessRemoved(herald.StatusRetrying)
		c.set, c.args = `next_attempt_at = ?, error = ?`, []any{c.retry.Int64, res.Reason}
	case herald.OutcomeFailed:
		c.fixed, c.set, c.args = herald.StatusFailed, `error = ?`, []any{res.Reason}
	case herald.OutcomeUnknown:
		c.fixed, c.set, c.args = herald.StatusUnknown, `error = ?`, []any{res.Reason}
	case herald.OutcomeReauth:
		if c.res.Reason == "" {
			c.res.Reason = "the platform rejected the channel's credentials"
		}
		// Held: waiting again, on a channel the claim skips until new credentials.
		c.to, c.set, c.args = unlessRemoved(herald.StatusScheduled), `error = ?`, []any{c.res.Reason}
	default:
		return nil, herald.Errorf(herald.EINVALID, "unknown outcome %q", res.Outcome)
	}
	return c, nil
}

// completion is one prepared Complete call.
type completion struct {
	owner string
	job   herald.Job
	res   herald.Result
	fin   int64
	to    func(moveRow) herald.DeliveryStatus // the status moved to, when it depends on the delivery
	fixed herald.DeliveryStatus               // else the one status moved to
	set   string                              // assignments besides the status and the lease
	args  []any
	retry sql.NullInt64
	actor herald.Actor  // the caller's, for the event (the batch runs on its own context)
	lease time.Duration // > 0: claim the channel's next delivery under a lease this long
	next  *herald.Job   // that claim

	err     error
	done    chan struct{} // closed when err is final
	lead    chan struct{} // closed when this caller is to run the next batch
	leading bool          // lead was closed (under the completer's lock)
}

// apply writes c in tx. conflict is c's own refusal (nothing written);
// err is a database error after which tx must be rolled back.
func (c *completion) apply(ctx context.Context, db *DB, tx *sqlx.Tx) (conflict, err error) {
	id := c.job.Delivery.ID
	_, err = db.moveDeliveries(herald.WithActor(ctx, c.actor), tx, []int64{id}, move{from: herald.StatusSet{herald.StatusPublishing}, to: c.to, fixed: c.fixed,
		set: c.set + `, lease_owner = '', lease_until = NULL`, args: c.args,
		guard: "d.lease_owner = ? AND d.attempts = ?", gargs: []any{c.owner, c.job.Attempt},
		reason: c.reason(), strict: true})
	if herald.ErrorCode(err) == herald.ECONFLICT {
		return c.conflict(), nil
	} else if err != nil {
		return nil, fmt.Errorf("complete delivery %d: %w", id, err)
	}
	if _, err := exec(ctx, tx, `UPDATE attempts SET finished_at = ?, outcome = ?, request = ?, response = ?, error = ?,
		remote_id = ?, url = ?, retry_at = ?, throttled = ? WHERE delivery_id = ? AND number = ?`,
		append(c.attemptValues(), id, c.job.Attempt)...); err != nil {
		return nil, fmt.Errorf("complete delivery %d: attempt: %w", id, err)
	}
	return nil, c.after(ctx, db, tx)
}

// conflict is c's refusal when its delivery is no longer its to complete.
func (c *completion) conflict() error {
	return herald.Errorf(herald.ECONFLICT, "delivery %d is no longer publishing under this lease (attempt %d)", c.job.Delivery.ID, c.job.Attempt)
}

// reason is the reason of c's delivery event.
func (c *completion) reason() string {
	reason := "attempt " + strconv.Itoa(c.job.Attempt) + ": " + string(c.res.Outcome)
	if c.res.Reason != "" && c.res.Outcome != herald.OutcomePublished {
		reason += ": " + c.res.Reason
	}
	return truncateReason(reason)
}

// attemptValues are what c writes on its attempt row: finished_at,
// outcome, request, response, error, remote_id, url, retry_at, throttled.
func (c *completion) attemptValues() []any {
	remoteID, url := "", ""
	if c.res.Outcome == herald.OutcomePublished {
		remoteID, url = c.res.RemoteID, c.res.URL
	}
	throttled := c.res.Outcome == herald.OutcomeRetry && c.res.Throttled
	return []any{c.fin, string(c.res.Outcome), c.res.Request, c.res.Response, c.res.Reason, remoteID, url, c.retry, boolInt(throttled)}
}

// completeEach is a batch of results as one moveEach: published sets the
// remote id, URL and published_at and clears the error and the platform
// state; a retry sets next_attempt_at; each sets its error and clears the
// lease, under the precondition that the delivery is still publishing under
// its completion's lease and attempt.
var completeEach = each{from: herald.StatusPublishing,
	cols: []string{"owner TEXT", "attempt BIGINT", "published INTEGER", "remote_id TEXT", "url TEXT", "fin BIGINT",
		"error TEXT", "next_attempt_at BIGINT"},
	set: `remote_id = CASE WHEN v.published = 1 THEN v.remote_id ELSE d.remote_id END,
		url = CASE WHEN v.published = 1 THEN v.url ELSE d.url END,
		published_at = CASE WHEN v.published = 1 THEN v.fin ELSE d.published_at END,
		platform_state = CASE WHEN v.published = 1 THEN '{}' ELSE d.platform_state END,
		error = v.error, next_attempt_at = COALESCE(v.next_attempt_at, d.next_attempt_at),
		lease_owner = '', lease_until = NULL`,
	guard: "d.lease_owner = v.owner AND d.attempts = v.attempt"}

// applyBatch writes the completions of batch in tx as apply does each, in a
// few statements for the whole batch: the deliveries moved by one
// moveEach, the attempts in one UPDATE. A completion whose delivery is no
// longer its own gets its conflict (nothing of it written); err is a
// database error after which tx must be rolled back.
func (db *DB) applyBatch(ctx context.Context, tx *sqlx.Tx, batch []*completion) error {
	// Where the status depends on the delivery (a retry or a reauth of a
	// row removed from its plan is cancelled), read that first.
	removed := map[int64]bool{}
	var depends []int64
	for _, c := range batch {
		if c.to != nil {
			depends = append(depends, c.job.Delivery.ID)
		}
	}
	if len(depends) > 0 {
		var rows []moveRow
		// Locked as moveDeliveries locks what it reads: the removal a plan
		// apply makes meanwhile is judged as it would be one by one.
		q, args, err := in(tx, `SELECT d.id, d.status, d.attempts, p.removed FROM deliveries d JOIN posts p ON p.id = d.post_id
			WHERE d.id IN (?)`+db.lockRows("d"), depends)
		if err == nil {
			err = sqlx.SelectContext(ctx, tx, &rows, q, args...)
		}
		if err != nil {
			return fmt.Errorf("complete: read deliveries: %w", busy(err))
		}
		for _, r := range rows {
			removed[r.ID] = r.Removed
		}
	}
	rows := make([]eachRow, len(batch))
	for i, c := range batch {
		status := c.fixed
		if c.to != nil {
			status = c.to(moveRow{ID: c.job.Delivery.ID, Removed: removed[c.job.Delivery.ID]})
		}
		published := c.res.Outcome == herald.OutcomePublished
		errText := c.res.Reason
		if published {
			errText = ""
		}
		rows[i] = eachRow{id: c.job.Delivery.ID, to: status, actor: c.actor.String(), reason: c.reason(),
			vals: []any{c.owner, c.job.Attempt, boolInt(published), c.res.RemoteID, c.res.URL, c.fin, errText, c.retry}}
	}
	ids, err := db.moveEach(ctx, tx, completeEach, rows)
	if err != nil {
		return fmt.Errorf("complete: %w", err)
	}
	done := make(map[int64]bool, len(ids))
	for _, id := range ids {
		done[id] = true
	}
	var written []*completion
	var tuples []string
	var args []any
	for _, c := range batch {
		if !done[c.job.Delivery.ID] {
			c.err = c.conflict()
			continue
		}
		written = append(written, c)
		tuples = append(tuples, `(CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT),
			CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS INTEGER))`)
		args = append(append(args, c.job.Delivery.ID, c.job.Attempt), c.attemptValues()...)
	}
	if len(written) == 0 {
		return nil
	}
	// One statement for the batch's attempts: maxBatch × 11 binds stay far
	// below both databases' limits.
	if _, err := exec(ctx, tx, `WITH v(id, number, fin, outcome, request, response, error, remote_id, url, retry_at, throttled)
		AS (VALUES `+strings.Join(tuples, ", ")+`)
		UPDATE attempts AS a SET finished_at = v.fin, outcome = v.outcome, request = v.request, response = v.response,
			error = v.error, remote_id = v.remote_id, url = v.url, retry_at = v.retry_at, throttled = v.throttled
		FROM v WHERE a.delivery_id = v.id AND a.number = v.number`, args...); err != nil {
		return fmt.Errorf("complete: attempts: %w", err)
	}
	for _, c := range written {
		if err := c.after(ctx, db, tx); err != nil {
			return err
		}
	}
	return nil
}

// after writes what a completion changes besides its delivery and attempt:
// the platform's pace, the channel's config update and, on reauth, the
// channel's status.
func (c *completion) after(ctx context.Context, db *DB, tx *sqlx.Tx) error {
	id := c.job.Delivery.ID
	chID := c.job.Delivery.ChannelID // a delivery never changes channel
	if err := db.savePace(ctx, tx, chID, c.res); err != nil {
		return fmt.Errorf("complete delivery %d: %w", id, err)
	}
	if len(c.res.ConfigUpdate) == 0 && c.res.Outcome != herald.OutcomeReauth {
		return nil
	}
	if len(c.res.ConfigUpdate) > 0 {
		// The audit entry names the caller (the scheduler), not the batch.
		if err := db.mergeConfig(herald.WithActor(ctx, c.actor), tx, chID, c.res.ConfigUpdate); err != nil {
			return fmt.Errorf("complete delivery %d: %w", id, err)
		}
	}
	if c.res.Outcome == herald.OutcomeReauth {
		if _, err := exec(ctx, tx, `UPDATE channels SET status = ?, status_reason = ?, version = version + 1, updated_at = ? WHERE id = ?`,
			herald.ChannelNeedsReauth, c.res.Reason, c.fin, chID); err != nil {
			return fmt.Errorf("complete delivery %d: channel status: %w", id, err)
		}
	}
	return nil
}

// Release hands back claimed deliveries that were never started (shutdown):
// each one still publishing under owner's lease goes back to scheduled, or to
// retrying when it had attempts before this claim (cancelled when its row was
// removed from the plan meanwhile), with its attempt count lowered by one,
// the claim's attempt row deleted and the lease cleared. Other ids are left
// alone. Database errors are wrapped.
func (db *DB) Release(ctx context.Context, owner string, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	return db.inTx(ctx, func(tx *sqlx.Tx) error {
		for _, id := range ids {
			var attempts int
			err := get(ctx, tx, &attempts, `SELECT attempts FROM deliveries WHERE id = ? AND status = 'publishing' AND lease_owner = ?`, id, owner)
			if notFound(err) {
				continue
			} else if err != nil {
				return fmt.Errorf("release %d: %w", id, err)
			}
			if _, err := exec(ctx, tx, `DELETE FROM attempts WHERE delivery_id = ? AND number = ?`, id, attempts); err != nil {
				return fmt.Errorf("release %d: %w", id, err)
			}
			if _, err := db.moveDeliveries(ctx, tx, []int64{id}, move{from: herald.StatusSet{herald.StatusPublishing},
				to: func(r moveRow) herald.DeliveryStatus {
					switch {
					case r.Removed:
						return herald.StatusCancelled
					case r.Attempts > 1:
						return herald.StatusRetrying
					}
					return herald.StatusScheduled
				},
				set: "attempts = attempts - 1, lease_owner = '', lease_until = NULL", guard: "d.lease_owner = ?", gargs: []any{owner},
				reason: "released unstarted: the process stopped", strict: true}); err != nil {
				return fmt.Errorf("release %d: %w", id, err)
			}
		}
		return nil
	})
}

// Errors RecoverExpired records.
const (
	errLeaseRetried = "lease expired; retried with the same idempotency key"
	errLeaseUnknown = "the process stopped while publishing; the post may or may not be on the platform — check it, then retry or resolve"
)

// RecoverExpired resolves publishing deliveries whose lease ended before now
// (their process died mid-call): on a channel where idempotent says a retry
// with the same idempotency key cannot post twice (it is given the channel's
// id, name, platform and config, not its credentials), the delivery is
// retrying with next_attempt_at = now; elsewhere — or when its row was
// removed from the plan meanwhile — it becomes unknown. Either way its open
// attempt is finished with outcome unknown. It also forgets the rate-limit blocks that
// ended. It returns how many deliveries it resolved; database errors are
// wrapped.
func (db *DB) RecoverExpired(ctx context.Context, now time.Time, idempotent func(ch herald.Channel) bool) (int, error) {
	n, err := db.recoverClaims(ctx, now, "lease expired", "d.lease_until < ?", []any{ms(now)}, idempotent)
	if err != nil {
		return 0, err
	}
	if err := db.inTx(ctx, func(tx *sqlx.Tx) error { return db.dropEndedBlocks(ctx, tx, now) }); err != nil {
		return n, fmt.Errorf("forget ended rate blocks: %w", err)
	}
	return n, nil
}

// RecoverAbandoned resolves, as RecoverExpired does, every delivery left
// publishing under another owner than owner, whatever its lease — when this
// process holds the database alone (Sole) and has just started, those are
// its dead predecessor's. On a database that is not Sole it is
// RecoverExpired: other processes' claims may be alive.
func (db *DB) RecoverAbandoned(ctx context.Context, owner string, now time.Time, idempotent func(ch herald.Channel) bool) (int, error) {
	if !db.Sole() {
		return db.RecoverExpired(ctx, now, idempotent)
	}
	return db.recoverClaims(ctx, now, "the process that claimed it stopped", "d.lease_owner <> ?", []any{owner}, idempotent)
}

func (db *DB) recoverClaims(ctx context.Context, now time.Time, why, cond string, args []any, idempotent func(ch herald.Channel) bool) (int, error) {
	var n int
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		var claims []struct {
			ID        int64  `db:"id"`
			Attempts  int    `db:"attempts"`
			ChannelID int64  `db:"channel_id"`
			Channel   string `db:"channel"`
			Platform  string `db:"platform"`
			Config    string `db:"config"`
			Removed   bool   `db:"removed"`
		}
		if err := sel(ctx, tx, &claims, `SELECT d.id, d.attempts, d.channel_id, c.name AS channel, c.platform, c.config, p.removed
			FROM deliveries d JOIN channels c ON c.id = d.channel_id JOIN posts p ON p.id = d.post_id
			WHERE d.status = 'publishing' AND `+cond, args...); err != nil {
			return err
		}
		for _, d := range claims {
			// Idempotency may be the channel's to say (a webhook receiver
			// that honours Idempotency-Key), not only its platform's.
			ch := herald.Channel{ID: d.ChannelID, Name: d.Channel, Platform: d.Platform}
			_ = json.Unmarshal([]byte(d.Config), &ch.Config) // written by CreateChannel from a map: valid JSON
			status, msg := herald.StatusUnknown, errLeaseUnknown
			if idempotent != nil && idempotent(ch) && !d.Removed {
				status, msg = herald.StatusRetrying, errLeaseRetried
			}
			moved, err := db.moveDeliveries(ctx, tx, []int64{d.ID}, move{from: herald.StatusSet{herald.StatusPublishing}, to: to(status),
				set: "error = ?, next_attempt_at = ?, lease_owner = '', lease_until = NULL", args: []any{msg, ms(now)},
				guard: cond, gargs: args, reason: why + ": " + msg})
			if err != nil {
				return err
			} else if len(moved) == 0 {
				continue
			}
			n++
			if _, err := exec(ctx, tx, `UPDATE attempts SET finished_at = ?, outcome = 'unknown', error = ?
				WHERE delivery_id = ? AND number = ?`, ms(now), msg, d.ID, d.Attempts); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("recover claims: %w", err)
	}
	return n, nil
}

// nextDueSQL is the earliest next attempt among the heads of channels with
// nothing publishing: what the scheduler can claim next. Deliveries queued
// behind a head, or on a channel that is publishing, are not claimable, so
// they must not hide a later head on an idle channel; nor must the held
// deliveries of a needs_reauth channel or of a paused scope. One seek per
// channel. The earliest until of a pause counts too: the claim then
// resumes it.
var nextDueSQL = `SELECT MIN(n.t) FROM (
	SELECT MIN(CASE WHEN h.next_attempt_at < h.not_before THEN h.not_before ELSE h.next_attempt_at END) AS t FROM (
	SELECT (SELECT e.next_attempt_at FROM deliveries e
		WHERE e.channel_id = c.id AND e.status IN ` + waitingIn + `
		ORDER BY e.due_at, e.id LIMIT 1) AS next_attempt_at, c.not_before
	FROM channels c
	WHERE c.status <> 'needs_reauth' AND ` + notPausedSQL("c.workspace_id", "c.id") + `
	AND NOT EXISTS (SELECT 1 FROM deliveries p WHERE p.channel_id = c.id AND p.status = 'publishing')
	) h
	UNION ALL SELECT MIN(until_at) AS t FROM pauses
) n`

// NextDue returns the earliest next_attempt_at among the deliveries the
// scheduler could claim next (each idle channel's earliest waiting
// delivery that no pause holds), or the earliest until of a pause when
// sooner, with ok false when there is none. Database errors are wrapped.
func (db *DB) NextDue(ctx context.Context) (time.Time, bool, error) {
	var next sql.NullInt64
	if err := get(ctx, db.r, &next, nextDueSQL); err != nil {
		return time.Time{}, false, fmt.Errorf("next due: %w", err)
	}
	if !next.Valid {
		return time.Time{}, false, nil
	}
	return fromMs(next.Int64), true, nil
}

// reasonMax bounds an event's reason (platform reasons can be long; the
// attempt row keeps the whole of it).
const reasonMax = 500

func truncateReason(s string) string {
	if len(s) <= reasonMax {
		return s
	}
	cut := reasonMax
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// RenewLeases extends to until the leases owner holds on the deliveries ids
// (publishes still running), and returns those of ids it no longer holds: a
// delivery that is not publishing under owner's lease any more (recovered by
// another process after owner stalled, or finished). Renewing changes no
// status. Database errors are wrapped.
func (db *DB) RenewLeases(ctx context.Context, owner string, ids []int64, until time.Time) (lost []int64, err error) {
	if len(ids) == 0 {
		return nil, nil
	}
	err = db.inTx(ctx, func(tx *sqlx.Tx) error {
		held := make(map[int64]bool, len(ids))
		for start := 0; start < len(ids); start += moveChunk {
			chunk := ids[start:min(start+moveChunk, len(ids))]
			q, args, err := in(tx, `UPDATE deliveries SET lease_until = ? WHERE id IN (?) AND status = 'publishing' AND lease_owner = ?
				RETURNING id`, ms(until), chunk, owner)
			if err != nil {
				return err
			}
			var got []int64
			if err := sqlx.SelectContext(ctx, tx, &got, q, args...); err != nil {
				return busy(err)
			}
			for _, id := range got {
				held[id] = true
			}
		}
		lost = lost[:0]
		for _, id := range ids {
			if !held[id] {
				lost = append(lost, id)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("renew leases: %w", err)
	}
	return lost, nil
}
