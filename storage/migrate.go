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

//go:embed migrations/*.sql
var migrationFS embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations ordered by their number prefix
// (0001_init.sql → version 1).
func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, path := range names {
		name := strings.TrimPrefix(path, "migrations/")
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with its number, e.g. 0002_x.sql", name)
		}
		b, err := migrationFS.ReadFile(path)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: name, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("two migrations numbered %d", ms[i].version)
		}
	}
	return ms, nil
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	name       TEXT   NOT NULL,
	applied_at BIGINT NOT NULL
)`

// Migrate applies every embedded migration not yet recorded in
// schema_migrations, each in its own transaction, in number order. Two
// processes migrating at once are serialized by the write lock. It returns
// the database's error wrapped with the migration's name.
func (db *DB) Migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	if _, err := db.w.ExecContext(ctx, createMigrationsTable); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	for _, m := range ms {
		applied := false
		err := db.inTx(ctx, func(tx *sqlx.Tx) error {
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

// CheckSchema returns nil when every embedded migration has been applied and
// the database knows none newer, and an EUNAVAILABLE *herald.Error telling to
// run "herald migrate" otherwise. Errors reading the database are wrapped.
func (db *DB) CheckSchema(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	var tables int
	if err := get(ctx, db.r, &tables, sqlTableExists, "schema_migrations"); err != nil {
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
