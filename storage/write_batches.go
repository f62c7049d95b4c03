package storage

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
)

// Statements of many rows, for the write phase of ApplyPlan (plans_write.go).

// writeBatch is the number of rows a multi-row statement writes: 500 rows of
// posts bind 5,000 values, 500 ids of an UPDATE 500, within SQLite's 32,766
// and PostgreSQL's 65,535.
const writeBatch = 500

// execOne runs a prepared UPDATE of one row: ECONFLICT naming what when it
// matches none.
func execOne(ctx context.Context, stmt *sqlx.Stmt, what string, args ...any) error {
	res, err := stmt.ExecContext(ctx, args...)
	if err != nil {
		return fmt.Errorf("apply plan: %s: %w", what, busy(err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("apply plan: %s: %w", what, err)
	} else if n == 0 {
		return errChanged(what)
	}
	return nil
}

// inBatches runs the multi-row INSERT head (ending in "VALUES ") over n
// rows of the template row ("(?, ?, 0)"), writeBatch rows a statement,
// prepared once per batch size; add appends row i's binds to args, as
// int64, string or nil: the driver takes those as they are (an int it
// converts, and allocates, again).
func inBatches(ctx context.Context, tx *sqlx.Tx, head, row string, n int, add func(args []any, i int) ([]any, error)) error {
	var stmt *sqlx.Stmt
	stmtRows := 0
	defer func() {
		if stmt != nil {
			stmt.Close()
		}
	}()
	args := make([]any, 0, min(n, writeBatch)*strings.Count(row, "?"))
	for from := 0; from < n; from += writeBatch {
		rows := min(writeBatch, n-from)
		if rows != stmtRows {
			if stmt != nil {
				stmt.Close()
			}
			var err error
			if stmt, err = tx.PreparexContext(ctx, tx.Rebind(head+valuesList(row, rows))); err != nil {
				return err
			}
			stmtRows = rows
		}
		args = args[:0]
		for i := from; i < from+rows; i++ {
			var err error
			if args, err = add(args, i); err != nil {
				return err
			}
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}

// valuesList returns row rows times: "(?, ?), (?, ?)".
func valuesList(one string, rows int) string {
	var b strings.Builder
	b.Grow(rows * (len(one) + 2))
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(one)
	}
	return b.String()
}

// updateIDs runs an UPDATE whose last bind is "IN (?)" over ids, writeBatch
// ids a statement, after the binds before, and returns the rows it changed.
// Unless what is empty, fewer rows than ids is ECONFLICT (errChanged(what)).
func updateIDs(ctx context.Context, tx *sqlx.Tx, query string, before []any, ids []int64, what string) (int64, error) {
	var total int64
	for from := 0; from < len(ids); from += writeBatch {
		chunk := ids[from:min(from+writeBatch, len(ids))]
		q, args, err := in(tx, query, append(append([]any{}, before...), chunk)...)
		if err != nil {
			return total, fmt.Errorf("apply plan: %w", err)
		}
		n, err := exec(ctx, tx, q, args...)
		if err != nil {
			return total, fmt.Errorf("apply plan: %w", err)
		}
		total += n
	}
	if what != "" && total < int64(len(ids)) {
		return total, errChanged(what)
	}
	return total, nil
}
