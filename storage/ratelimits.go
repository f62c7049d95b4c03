package storage

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/jmoiron/sqlx"
)

// Rate limits shared through the database (migration 0009): the blocks
// platforms named, per rate-limit key, handed to every claim of the key's
// platform; and a channel's pace (Result.NotBefore), which holds the
// channel's next claim when several processes share the database. A process
// holding its database alone (Sole) paces in memory, exactly: it keeps no
// not_before, so bursts a platform allows stay possible.

// savePace keeps what an attempt's result says of the platform's limits.
func (db *DB) savePace(ctx context.Context, tx *sqlx.Tx, channelID int64, res herald.Result) error {
	for key, until := range res.Blocks {
		platform, _, ok := strings.Cut(key, ":")
		if !ok || platform == "" || len(key) > 500 {
			continue // not a publisher's key
		}
		if _, err := exec(ctx, tx, `INSERT INTO rate_blocks (key, platform, until_at) VALUES (?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET until_at = CASE WHEN rate_blocks.until_at < excluded.until_at
				THEN excluded.until_at ELSE rate_blocks.until_at END`, key, platform, ms(until)); err != nil {
			return fmt.Errorf("rate block %s: %w", key, err)
		}
	}
	if res.NotBefore.IsZero() || db.Sole() {
		return nil
	}
	nb := ms(res.NotBefore)
	if _, err := exec(ctx, tx, `UPDATE channels SET not_before = ? WHERE id = ? AND not_before < ?`, nb, channelID, nb); err != nil {
		return fmt.Errorf("channel pace: %w", err)
	}
	return nil
}

// rateBlocks returns the unexpired blocks of the channels' platforms, by
// platform.
func (db *DB) rateBlocks(ctx context.Context, q sqlx.ExtContext, channels map[int64]herald.Channel) (map[string]map[string]time.Time, error) {
	seen := map[string]bool{}
	var platforms []string
	for _, ch := range channels {
		if !seen[ch.Platform] {
			seen[ch.Platform] = true
			platforms = append(platforms, ch.Platform)
		}
	}
	if len(platforms) == 0 {
		return nil, nil
	}
	var rows []struct {
		Key      string `db:"key"`
		Platform string `db:"platform"`
		Until    int64  `db:"until_at"`
	}
	query, args, err := in(q, `SELECT key, platform, until_at FROM rate_blocks WHERE platform IN (?) AND until_at > ?`, platforms, db.nowMs())
	if err == nil {
		err = sqlx.SelectContext(ctx, q, &rows, query, args...)
	}
	if err != nil {
		return nil, fmt.Errorf("rate blocks: %w", busy(err))
	}
	out := map[string]map[string]time.Time{}
	for _, r := range rows {
		if out[r.Platform] == nil {
			out[r.Platform] = map[string]time.Time{}
		}
		out[r.Platform][r.Key] = fromMs(r.Until)
	}
	return out, nil
}

// dropEndedBlocks forgets the blocks that ended before now.
func (db *DB) dropEndedBlocks(ctx context.Context, tx *sqlx.Tx, now time.Time) error {
	_, err := exec(ctx, tx, `DELETE FROM rate_blocks WHERE until_at < ?`, ms(now))
	return err
}
