package storage

import (
	"context"
	"strings"

	"github.com/jmoiron/sqlx"
)

// dialect is what differs between the databases Herald runs on; everything
// else (the queries, the transactions, the behaviour) is shared. One value per
// driver, as ntfy keeps message_cache_sqlite.go beside message_cache_pg.go
// and River a query set per driver: sqliteDialect (sqlite.go) and
// postgresDialect (postgres.go).
type dialect struct {
	name string // "sqlite" or "postgres": also the folder of its migrations under migrations/

	// tableExists counts the tables of the current schema named by its argument.
	tableExists string

	// isBusy reports whether err says the database is busy or unreachable
	// for now, so that trying again later may succeed (EUNAVAILABLE).
	isBusy func(error) bool
	// isUnique reports whether err is a unique-constraint violation.
	isUnique func(error) bool

	// forUpdate ends a SELECT of rows the transaction then writes on the
	// strength of what it read. SQLite needs nothing: a write transaction
	// holds the database's only write lock from BEGIN. PostgreSQL runs
	// transactions side by side (READ COMMITTED): FOR UPDATE locks the rows
	// until commit, and a concurrent writer waits.
	forUpdate string

	// lockMigrations, run first in every migration's transaction, makes
	// processes migrating at once take turns ("" on SQLite: the write lock
	// does it). A process whose turn comes finds the migration recorded by
	// the one before it, and skips it.
	lockMigrations string

	// lockTokens, run first in CreateFirstToken's transaction, makes
	// processes creating the first token take turns ("" on SQLite).
	lockTokens string

	// claimLock ends the subquery that chooses the deliveries a claim takes
	// (alias d): on PostgreSQL "FOR UPDATE OF d SKIP LOCKED", so that
	// claimers running at once (replicas) pass over the rows another is
	// taking instead of waiting for them, or taking them twice; "" on
	// SQLite, where the claim's write transaction is the only writer.
	claimLock string

	// claimGate runs first in every claim, binding now, and answers whether
	// a pause's until has come (see storage/pause.go): on PostgreSQL it also
	// takes the pause lock shared until the claim commits. lockPause, run
	// first in Pause's transaction, takes it exclusive ("" on SQLite, where
	// a claim's write transaction already excludes a pause's).
	claimGate string
	lockPause string

	// followEvents orders delivery_events for a follower (EventsAfter).
	followEvents follow

	// nextIDs reserves n ids of table (posts or deliveries) for rows the
	// caller inserts, later in the same transaction, with those ids.
	nextIDs func(ctx context.Context, tx *sqlx.Tx, table string, n int) ([]int64, error)
}

// dialects are every dialect: an error value comes from exactly one driver,
// so each of them may be asked about it.
var dialects = []*dialect{&sqliteDialect, &postgresDialect}

// isBusy reports whether err is a busy or unavailable database of any dialect.
func isBusy(err error) bool {
	for _, d := range dialects {
		if d.isBusy(err) {
			return true
		}
	}
	return false
}

// isUnique reports whether err is a unique-constraint violation of any
// dialect.
func isUnique(err error) bool {
	for _, d := range dialects {
		if d.isUnique(err) {
			return true
		}
	}
	return false
}

// isPostgresURL reports whether dsn names a PostgreSQL database.
func isPostgresURL(dsn string) bool {
	lower := strings.ToLower(dsn)
	return strings.HasPrefix(lower, "postgres://") || strings.HasPrefix(lower, "postgresql://")
}

// pgxURL is a PostgreSQL URL as pgx reads it: a scheme in lower case (a
// URL's scheme is case-insensitive; pgx knows only "postgres" and
// "postgresql").
func pgxURL(dsn string) string {
	scheme, rest, _ := strings.Cut(dsn, "://")
	return strings.ToLower(scheme) + "://" + rest
}
