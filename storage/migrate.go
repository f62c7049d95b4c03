package storage

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/heraldhq/herald"
	"github.com/jmoiron/sqlx"
)

// migrationFS holds every dialect's migrations, migrations/<dialect>/NNNN_name.sql,
// the same numbers and names in each.
//
//go:embed migrations
var migrationFS embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the dialect's embedded migrations ordered by their
// number prefix (0001_init.sql → version 1). A .sql file directly under
// migrations/ is an error: each belongs in a dialect's folder, with its twin
// in the other.
func (d *dialect) migrations() ([]migration, error) { return d.migrationsIn(migrationFS) }

// migrationsIn is migrations read from fsys, laid out as migrationFS.
func (d *dialect) migrationsIn(fsys fs.FS) ([]migration, error) {
	stray, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	if len(stray) > 0 {
		return nil, fmt.Errorf("migration %s: move it to migrations/sqlite/ and write its PostgreSQL twin in migrations/postgres/", stray[0])
	}
	dir := "migrations/" + d.name + "/"
	names, err := fs.Glob(fsys, dir+"*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, path := range names {
		name := strings.TrimPrefix(path, dir)
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with its number, e.g. 0002_x.sql", path)
		}
		b, err := fs.ReadFile(fsys, path)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: name, sql: string(b)})
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("no migrations in %s", dir)
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("two migrations numbered %d in %s", ms[i].version, dir)
		}
	}
	return ms, nil
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	name       TEXT   NOT NULL,
	applied_at BIGINT NOT NULL
)`

// Migrate applies every embedded migration of the database's dialect not yet
// recorded in schema_migrations, each in its own transaction, in number
// order. Processes migrating at once (replicas starting together) take
// turns, each migration applied once: on SQLite the write lock serializes
// them, on PostgreSQL an advisory lock held by each migration's transaction,
// which then finds whether the one before it applied the migration. It
// returns the database's error wrapped with the migration's name.
func (db *DB) Migrate(ctx context.Context) error {
	ms, err := db.d.migrations()
	if err != nil {
		return err
	}
	if err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := db.lockMigrations(ctx, tx); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, createMigrationsTable)
		return busy(err)
	}); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	for _, m := range ms {
		applied := false
		err := db.inTx(ctx, func(tx *sqlx.Tx) error {
			if err := db.lockMigrations(ctx, tx); err != nil {
				return err
			}
			var n int
			if err := get(ctx, tx, &n, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, m.version); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			applied = true
			_, err := exec(ctx, tx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				m.version, m.name, db.nowMs())
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		if applied {
			db.log.Info().Int("version", m.version).Str("migration", m.name).Msg("applied migration")
		}
	}
	return nil
}

// lockMigrations waits for this process's turn to migrate (see Migrate).
func (db *DB) lockMigrations(ctx context.Context, tx *sqlx.Tx) error {
	if db.d.lockMigrations == "" {
		return nil
	}
	if _, err := tx.ExecContext(ctx, db.d.lockMigrations); err != nil {
		return fmt.Errorf("wait for other migrations: %w", busy(err))
	}
	return nil
}

// CheckSchema returns nil when every embedded migration has been applied and
// the database knows none newer, and an EUNAVAILABLE *herald.Error telling to
// run "herald migrate" otherwise. Errors reading the database are wrapped.
func (db *DB) CheckSchema(ctx context.Context) error {
	ms, err := db.d.migrations()
	if err != nil {
		return err
	}
	var tables int
	if err := get(ctx, db.r, &tables, db.d.tableExists, "schema_migrations"); err != nil {
		return fmt.Errorf("check schema: %w", err)
	}
	want := ms[len(ms)-1].version
	if tables == 0 {
		return herald.Errorf(herald.EUNAVAILABLE, "database schema is not initialised (need version %d); run herald migrate", want)
	}
	var versions []int
	if err := sel(ctx, db.r, &versions, `SELECT version FROM schema_migrations ORDER BY version`); err != nil {
		return fmt.Errorf("check schema: %w", err)
	}
	have := make(map[int]bool, len(versions))
	for _, v := range versions {
		have[v] = true
		if v > want {
			return herald.Errorf(herald.EUNAVAILABLE, "database schema is at version %d, newer than this binary knows (%d); run a newer herald", v, want)
		}
	}
	for _, m := range ms {
		if !have[m.version] {
			return herald.Errorf(herald.EUNAVAILABLE, "database schema is missing migration %s; run herald migrate", m.name)
		}
	}
	return nil
}
