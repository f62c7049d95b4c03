package storage

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	"github.com/jmoiron/sqlx"
)

// The PostgreSQL-specific part of the store (sqlite.go is its twin): one
// pool for reads and writes, through pgx's database/sql driver, so that
// sqlx rebinds "?" to "$1".

// migrationLockKey is the advisory lock Migrate takes on PostgreSQL: every
// process of every version of Herald uses this one key.
const migrationLockKey = 0x68657261_6c640001 // "herald", 1

// firstTokenLockKey is the advisory lock CreateFirstToken takes.
const firstTokenLockKey = 0x68657261_6c640002

// postgresDialect is PostgreSQL's part of the store (see dialect).
var postgresDialect = dialect{
	name:           "postgres",
	tableExists:    `SELECT COUNT(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = ?`,
	isBusy:         postgresBusy,
	isUnique:       postgresUnique,
	forUpdate:      " FOR UPDATE",
	lockMigrations: `SELECT pg_advisory_xact_lock(` + strconv.FormatInt(migrationLockKey, 10) + `)`,
	lockTokens:     `SELECT pg_advisory_xact_lock(` + strconv.FormatInt(firstTokenLockKey, 10) + `)`,
	claimLock:      " FOR UPDATE OF d SKIP LOCKED",
	// The lock is a function in FROM: taken even when no pause expired.
	claimGate: `SELECT EXISTS (SELECT 1 FROM pauses WHERE until_at <= ?) FROM pg_advisory_xact_lock_shared(` + strconv.FormatInt(pauseLockKey, 10) + `)`,
	lockPause: `SELECT pg_advisory_xact_lock(` + strconv.FormatInt(pauseLockKey, 10) + `)`,
	nextIDs:   postgresNextIDs,
	// Transactions commit side by side: only the events of transactions
	// older than every one still running are settled, and whatever commits
	// later has a later txid (migrations/postgres/0014).
	followEvents: follow{tx: "CAST(CAST(txid AS TEXT) AS BIGINT)", order: "txid, id", after: func(c eventCursor) (string, []any) {
		return "(txid, id) > (CAST(CAST(? AS TEXT) AS xid8), ?) AND txid < pg_snapshot_xmin(pg_current_snapshot())",
			[]any{strconv.FormatUint(c.tx, 10), c.id}
	}},
}

// postgresNextIDs takes n values of table's id sequence: never given to
// anyone else, ascending (consecutive unless another session takes some at
// the same time).
func postgresNextIDs(ctx context.Context, tx *sqlx.Tx, table string, n int) ([]int64, error) {
	var ids []int64
	if err := tx.SelectContext(ctx, &ids, tx.Rebind(`SELECT nextval(pg_get_serial_sequence(?, 'id')) FROM generate_series(1, ?) ORDER BY 1`),
		table, n); err != nil {
		return nil, err
	}
	return ids, nil
}

// postgresPoolSize is how many connections a process holds at most: reads
// and writes share them. Transactions are short; more of them than cores
// would only queue in the server.
func postgresPoolSize() int { return max(8, 4*runtime.GOMAXPROCS(0)) }

// openPostgres connects to a PostgreSQL database: dsn is a "postgres://" URL
// as pgx reads it (sslmode, connect_timeout, search_path and other
// run-time parameters in its query). Nothing is created.
func (db *DB) openPostgres(dsn string) error {
	db.d = &postgresDialect
	db.completer.limit = postgresPoolSize() / 2 // results are written side by side
	p, err := sqlx.Open("pgx", pgxURL(dsn))
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	n := postgresPoolSize()
	p.SetMaxOpenConns(n)
	p.SetMaxIdleConns(n)
	p.SetConnMaxIdleTime(5 * time.Minute)
	p.SetConnMaxLifetime(time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.PingContext(ctx); err != nil {
		p.Close()
		return fmt.Errorf("open database: %w", err) // pgx leaves the password out
	}
	db.w, db.r = p, p
	return nil
}

// postgresBusy reports whether err says that PostgreSQL cannot serve the
// statement now but may soon: the server refuses connections (down,
// restarting) or has too many, it is shutting down or starting up, it ended
// the session (admin shutdown, a failover), or the transaction lost a race
// (serialization failure, deadlock) or waited past lock_timeout.
func postgresBusy(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "40001", // serialization_failure
			"40P01", // deadlock_detected
			"55P03", // lock_not_available
			"53300", // too_many_connections
			"57P01", // admin_shutdown
			"57P02", // crash_shutdown
			"57P03": // cannot_connect_now
			return true
		}
		return false
	}
	// The server unreachable, or the connection cut under a statement
	// (failover, a restart, a network cut): try again once it is back.
	var ce *pgconn.ConnectError
	return errors.As(err, &ce) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, driver.ErrBadConn) ||
		pgconn.Timeout(err)
}

// postgresUnique reports whether err is PostgreSQL's unique_violation.
func postgresUnique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}
