package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/heraldhq/herald"
	"github.com/jmoiron/sqlx"
)

// headsSQL finds, in one statement, the head of each channel that has a
// waiting delivery due and none publishing: the head is the channel's
// earliest (due_at, id) waiting delivery, taken only when its own next
// attempt is due (a later delivery never overtakes it). The queue keeps the
// planned order: a delivery retried late by an operator keeps its due_at, is
// claimable from its next_attempt_at (the retry time), and goes before the
// channel's later posts. Channels in needs_reauth are skipped: their
// deliveries are held. It starts from the free channels with something due,
// so its cost follows the due deliveries, not the backlog; each head is one
// seek in deliveries_waiting. The claim then moves the heads to publishing
// (moveDeliveries); the unique index deliveries_one_publishing keeps a
// channel to one publishing delivery whatever the number of processes.
// A channel whose platform's pace holds it (not_before, on a database shared
// by several processes) waits too, and so does what a pause holds (its
// channel, its workspace or the instance paused): each is judged once per
// channel, in the list of held channels, rather than per due delivery.
// Binds: now, now, now, limit.
var headsSQL = `SELECT d.id FROM (
		SELECT (SELECT e.id FROM deliveries e WHERE e.channel_id = q.channel_id AND e.status IN ` + waitingIn + `
			ORDER BY e.due_at, e.id LIMIT 1) AS id
		FROM (SELECT DISTINCT channel_id FROM deliveries
			WHERE status IN ` + waitingIn + ` AND next_attempt_at <= ?
			AND channel_id NOT IN (SELECT channel_id FROM deliveries WHERE status = 'publishing')
			AND channel_id NOT IN (SELECT id FROM channels WHERE status = 'needs_reauth' OR not_before > ?
				OR ` + pausedSQL("channels.workspace_id", "channels.id") + `)) q
	) h
	JOIN deliveries d ON d.id = h.id
	WHERE d.next_attempt_at <= ? AND d.status IN ` + waitingIn + `
	ORDER BY d.due_at, d.id
	LIMIT ?`

// ClaimDue first resumes the pauses whose until has come (see Resume),
// then marks missed every scheduled or retrying delivery no pause holds whose
// effective due time (retried_at after a late retry, else due_at) plus its
// workspace's lateness window is before now, and every pending_approval
// one past its window "not approved in time" (markUnapproved). Then, in the same
// transaction, it claims at most limit deliveries, at most one per channel:
// each channel's earliest (due_at, id) scheduled/retrying delivery, when its
// next_attempt_at <= now, no delivery of the channel is publishing, the
// channel is not needs_reauth (its deliveries are held) and no pause holds
// it (on PostgreSQL, no claim is made after a Pause's commit: see
// storage/pause.go). Claimed
// deliveries become publishing under owner's lease until now+lease, their
// attempt count goes up by one and an attempt row is started. Jobs come
// ordered by due time, with the channel's credentials decrypted. An empty
// owner gives EINVALID; database errors are wrapped.
func (db *DB) ClaimDue(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]herald.Job, error) {
	if owner == "" {
		return nil, herald.Errorf(herald.EINVALID, "claim owner is required")
	}
	var jobs []herald.Job
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		jobs, err = db.claimDue(ctx, tx, owner, now, lease, limit)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim: %w", err)
	}
	return jobs, nil
}

// claimDue is ClaimDue in tx.
func (db *DB) claimDue(ctx context.Context, tx *sqlx.Tx, owner string, now time.Time, lease time.Duration, limit int) ([]herald.Job, error) {
	if err := db.gateClaims(ctx, tx, now); err != nil {
		return nil, err
	}
	if err := db.markMissed(ctx, tx, ms(now)); err != nil {
		return nil, fmt.Errorf("mark missed: %w", err)
	}
	if err := db.markUnapproved(ctx, tx, ms(now)); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	var heads []int64
	if err := sel(ctx, tx, &heads, headsSQL+db.d.claimLock, ms(now), ms(now), ms(now), limit); err != nil || len(heads) == 0 {
		return nil, err
	}
	return db.claim(ctx, tx, owner, now, lease, heads)
}

// claim moves the waiting deliveries heads to publishing under owner's
// lease, starts their attempts and returns them as jobs, in due order; heads
// no longer waiting are left out.
func (db *DB) claim(ctx context.Context, tx *sqlx.Tx, owner string, now time.Time, lease time.Duration, heads []int64) ([]herald.Job, error) {
	ids, err := db.moveDeliveries(ctx, tx, heads, move{from: herald.Waiting, to: to(herald.StatusPublishing),
		set:  "attempts = attempts + 1, lease_owner = ?, lease_until = ?",
		args: []any{owner, ms(now.Add(lease))}, reason: "claimed by " + owner})
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	q, args, err := in(tx, `INSERT INTO attempts (delivery_id, number, started_at, node)
		SELECT id, attempts, CAST(? AS BIGINT), CAST(? AS TEXT) FROM deliveries WHERE id IN (?)`, ms(now), db.node, ids)
	if err == nil {
		_, err = tx.ExecContext(ctx, q, args...)
	}
	if err != nil {
		return nil, fmt.Errorf("start attempts: %w", busy(err))
	}
	var ds []deliveryRow
	if q, args, err = in(tx, `SELECT `+deliveryCols+` FROM deliveries WHERE id IN (?)`, ids); err == nil {
		err = sqlx.SelectContext(ctx, tx, &ds, q, args...)
	}
	if err != nil {
		return nil, fmt.Errorf("read claimed deliveries: %w", busy(err))
	}
	return db.loadJobs(ctx, tx, ds)
}

// markMissed moves past their lateness window the deliveries still waiting,
// logging each. The window starts at the delivery's effective due time:
// retried_at when an operator retried it late, else due_at. What a pause
// holds is left for its resume to judge (release).
func (db *DB) markMissed(ctx context.Context, tx *sqlx.Tx, now int64) error {
	def := herald.DefaultMaxLateness.Milliseconds()
	var late []struct {
		ID       int64         `db:"id"`
		DueAt    int64         `db:"due_at"`
		Retried  sql.NullInt64 `db:"retried_at"`
		Lateness int64         `db:"lateness"`
		Channel  string        `db:"channel"`
		Slug     string        `db:"slug"`
	}
	// due_at < now - (the least window of any workspace) narrows the index
	// range before the per-workspace window (retried_at, when set, is later
	// than due_at); with no workspace it is NULL and nothing matches.
	if err := sel(ctx, tx, &late, `SELECT d.id, d.due_at, d.retried_at, c.name AS channel, w.slug,
		CASE WHEN w.max_lateness_ms > 0 THEN w.max_lateness_ms ELSE CAST(? AS BIGINT) END AS lateness
		FROM deliveries d JOIN workspaces w ON w.id = d.workspace_id JOIN channels c ON c.id = d.channel_id
		WHERE d.status IN `+waitingIn+` AND `+notPausedSQL("d.workspace_id", "d.channel_id")+`
		AND d.due_at < CAST(? AS BIGINT) - (SELECT MIN(CASE WHEN max_lateness_ms > 0 THEN max_lateness_ms ELSE CAST(? AS BIGINT) END) FROM workspaces)
		AND COALESCE(d.retried_at, d.due_at) + CASE WHEN w.max_lateness_ms > 0 THEN w.max_lateness_ms ELSE CAST(? AS BIGINT) END < ?
		ORDER BY d.id`, def, now, def, def, now); err != nil {
		return err
	}
	for _, d := range late {
		window := time.Duration(d.Lateness) * time.Millisecond
		msg := fmt.Sprintf("missed: due at %s and not published within the lateness window (%s)",
			fromMs(d.DueAt).Format(time.RFC3339), window)
		if d.Retried.Valid {
			msg = fmt.Sprintf("missed: due at %s, retried at %s and not published within the lateness window (%s) of the retry",
				fromMs(d.DueAt).Format(time.RFC3339), fromMs(d.Retried.Int64).Format(time.RFC3339), window)
		}
		moved, err := db.moveDeliveries(ctx, tx, []int64{d.ID}, move{from: herald.Waiting, to: to(herald.StatusMissed),
			set: "error = ?", args: []any{msg}, reason: "not published within the lateness window"})
		if err != nil {
			return err
		}
		if len(moved) > 0 {
			db.missed.Add(1)
			db.log.Warn().Int64("delivery", d.ID).Str("workspace", d.Slug).Str("channel", d.Channel).
				Time("due_at", fromMs(d.DueAt)).Dur("lateness", window).Msg("delivery missed: not published within its lateness window")
		}
	}
	return nil
}

// loadJobs completes claimed deliveries with their channels, post content
// and names, ordered by (due_at, id).
func (db *DB) loadJobs(ctx context.Context, tx sqlx.ExtContext, ds []deliveryRow) ([]herald.Job, error) {
	sort.Slice(ds, func(i, j int) bool {
		if ds[i].DueAt != ds[j].DueAt {
			return ds[i].DueAt < ds[j].DueAt
		}
		return ds[i].ID < ds[j].ID
	})
	ids := make([]int64, len(ds))
	for i, d := range ds {
		ids[i] = d.ID
	}
	var rows []struct {
		ID             int64  `db:"id"`
		ChannelID      int64  `db:"channel_id"`
		ChannelVersion int64  `db:"channel_version"`
		Key            string `db:"key"`
		Row            int    `db:"row_num"`
		Content        string `db:"content"`
		PlanKey        string `db:"plan_key"`
		Workspace      string `db:"workspace"`
	}
	q, args, err := in(tx, `SELECT d.id, d.channel_id, c.version AS channel_version, p.key, p.row_num, p.content,
		pl.key AS plan_key, w.slug AS workspace
		FROM deliveries d JOIN channels c ON c.id = d.channel_id JOIN posts p ON p.id = d.post_id
		JOIN plans pl ON pl.id = p.plan_id JOIN workspaces w ON w.id = p.workspace_id WHERE d.id IN (?)`, ids)
	if err == nil {
		err = sqlx.SelectContext(ctx, tx, &rows, q, args...)
	}
	if err != nil {
		return nil, fmt.Errorf("load jobs: posts: %w", err)
	}
	versions := make(map[int64]int64, len(rows))
	for _, r := range rows {
		versions[r.ChannelID] = r.ChannelVersion
	}
	channels, err := db.channelsByID(ctx, tx, versions)
	if err != nil {
		return nil, fmt.Errorf("load jobs: %w", err)
	}
	byID := make(map[int64]int, len(rows))
	content := make([]herald.Post, len(rows))
	for i, r := range rows {
		var c postContent
		if err := json.Unmarshal([]byte(r.Content), &c); err != nil {
			return nil, fmt.Errorf("load jobs: delivery %d: %w", r.ID, err)
		}
		byID[r.ID], content[i] = i, c.post()
	}
	blocks, err := db.rateBlocks(ctx, tx, channels)
	if err != nil {
		return nil, fmt.Errorf("load jobs: %w", err)
	}
	jobs := make([]herald.Job, len(ds))
	for i, d := range ds {
		ch, ok := channels[d.ChannelID]
		pi, ok2 := byID[d.ID]
		if !ok || !ok2 {
			return nil, fmt.Errorf("load jobs: delivery %d: channel or post missing", d.ID)
		}
		p := rows[pi]
		d.Workspace, d.PlanKey, d.PostKey, d.Row = p.Workspace, p.PlanKey, p.Key, p.Row
		d.ChannelName, d.Platform = ch.Name, ch.Platform
		jobs[i] = herald.Job{Delivery: *d.delivery(), Channel: ch, Message: content[pi].Message(ch.TextPlatform()), Attempt: d.Attempts,
			Blocks: blocks[ch.Platform]}
	}
	return jobs, nil
}
