package storage

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/heraldhq/herald"
	"github.com/jmoiron/sqlx"
)

// SaveDeliveryState merges state into the platform state of delivery
// deliveryID (keys given replace the stored ones, others are kept), so that a
// retry after a crash can resume a multi-step publish (an Instagram
// container id, …). It writes only while the delivery is publishing: it gives
// ECONFLICT when the delivery is in any other status, ENOTFOUND for an
// unknown id, and wraps database errors. An empty state writes nothing.
// The state is cleared when the delivery is published or its content changes.
func (db *DB) SaveDeliveryState(ctx context.Context, deliveryID int64, state map[string]string) error {
	return db.inTx(ctx, func(tx *sqlx.Tx) error {
		var row struct {
			Status string `db:"status"`
			State  string `db:"platform_state"`
		}
		if err := get(ctx, tx, &row, `SELECT status, platform_state FROM deliveries WHERE id = ?`, deliveryID); notFound(err) {
			return herald.Errorf(herald.ENOTFOUND, "delivery %d not found", deliveryID)
		} else if err != nil {
			return fmt.Errorf("save delivery state %d: %w", deliveryID, err)
		}
		if row.Status != string(herald.StatusPublishing) {
			return herald.Errorf(herald.ECONFLICT, "delivery %d is %s, not publishing", deliveryID, row.Status)
		}
		if len(state) == 0 {
			return nil
		}
		merged := platformState(row.State)
		if merged == nil {
			merged = make(map[string]string, len(state))
		}
		for k, v := range state {
			merged[k] = v
		}
		b, err := json.Marshal(merged)
		if err != nil {
			return fmt.Errorf("save delivery state %d: %w", deliveryID, err)
		}
		if n, err := exec(ctx, tx, `UPDATE deliveries SET platform_state = ?, updated_at = ? WHERE id = ? AND status = 'publishing'`,
			string(b), db.nowMs(), deliveryID); err != nil {
			return fmt.Errorf("save delivery state %d: %w", deliveryID, err)
		} else if n == 0 {
			return herald.Errorf(herald.ECONFLICT, "delivery %d is no longer publishing", deliveryID)
		}
		return nil
	})
}

// platformState decodes a platform_state column: nil when empty, "{}" or
// unreadable (a state that can't be read is no state to resume from).
func platformState(s string) map[string]string {
	if s == "" || s == "{}" {
		return nil
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(s), &m); err != nil || len(m) == 0 {
		return nil
	}
	return m
}
