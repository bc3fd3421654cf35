package db

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Migrations are numbered SQL files, one directory per engine, with the same
// numbers in both. They are applied forward-only, all pending ones in one
// transaction, so a failed migration leaves the schema as it was.
//
// We run them ourselves rather than through goose: goose v3.30.0 requires a
// newer modernc.org/libc than the one modernc.org/sqlite v1.62.0 is built
// against, and the whole runner is the forty lines below.
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFS embed.FS

// Migration is one versioned schema change.
type Migration struct {
	Version int    // from the file name's leading number
	Name    string // the file name
	SQL     string
}

// Migrations returns the engine's migrations in version order.
func Migrations(engine Engine) ([]Migration, error) {
	dir := "migrations/" + string(engine)
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, fmt.Errorf("migrations for %s: %w", engine, err)
	}
	var ms []Migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s/%s: name must be NNNN_what.sql", dir, e.Name())
		}
		b, err := fs.ReadFile(migrationFS, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: e.Name(), SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i := 1; i < len(ms); i++ {
		if ms[i].Version == ms[i-1].Version {
			return nil, fmt.Errorf("migrations %s and %s share version %d", ms[i-1].Name, ms[i].Name, ms[i].Version)
		}
	}
	return ms, nil
}

const (
	createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,
	applied_at TIMESTAMP NOT NULL
)`
	// migrationLockPG serializes instances that start at once on one server.
	migrationLockPG = `SELECT pg_advisory_xact_lock(727465)`
)

// Migrate applies the pending migrations and returns the names it applied.
func (d *DB) Migrate(ctx context.Context) ([]string, error) {
	ms, err := Migrations(d.engine)
	if err != nil {
		return nil, err
	}
	var applied []string
	err = d.InTx(ctx, func(tx *Tx) error {
		applied = applied[:0]
		if d.engine == Postgres {
			if _, err := tx.Exec(ctx, migrationLockPG); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, createMigrationsTable); err != nil {
			return err
		}
		done := map[int]bool{}
		rows, err := tx.Query(ctx, `SELECT version FROM schema_migrations`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var v int
			if err := rows.Scan(&v); err != nil {
				rows.Close()
				return err
			}
			done[v] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, m := range ms {
			if done[m.Version] {
				continue
			}
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				m.Version, m.Name, tx.Now()); err != nil {
				return fmt.Errorf("record migration %s: %w", m.Name, err)
			}
			applied = append(applied, m.Name)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("migrate %s: %w", d.desc, err)
	}
	for _, name := range applied {
		d.log.InfoContext(ctx, "migration applied", "name", name, "db", d.desc)
	}
	return applied, nil
}
