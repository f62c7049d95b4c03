package storage

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// sqliteNextIDs is the dialect's nextIDs: it reserves n ids of table (posts or deliveries) for rows the caller
// inserts with those ids, later in the same write transaction, so that a row
// can carry what derives from its id (a delivery's idempotency key) in the
// INSERT itself.
//
// SQLite: the write transaction holds the database's only write lock, so
// nothing else inserts meanwhile, and the next ids are those after the
// table's AUTOINCREMENT sequence (or its largest id, whichever is greater);
// inserting them advances the sequence, so they are never given again.
// PostgreSQL's version takes nextval of the table's sequence n times.
func sqliteNextIDs(ctx context.Context, tx *sqlx.Tx, table string, n int) ([]int64, error) {
	var last int64
	if err := tx.GetContext(ctx, &last, `SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = ?), 0),
		COALESCE((SELECT MAX(id) FROM `+table+`), 0))`, table); err != nil {
		return nil, err
	}
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = last + 1 + int64(i)
	}
	return ids, nil
}
