// Package db opens paygate's database — the embedded SQLite file that is the
// default, or a PostgreSQL server for running many instances — applies the
// embedded migrations, and runs transactions that retry when the engine asks
// for it (SQLITE_BUSY, serialization failures, deadlocks).
//
// SQL is written by hand with ? placeholders; [Tx] rebinds them to $n for
// PostgreSQL. On SQLite all writes go through one connection that begins
// IMMEDIATE transactions, so writers in one process queue in Go instead of
// deadlocking in the engine; reads use a separate pool and never block on it.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver

	"paygate/internal/clock"
)

// Engine names a database engine.
type Engine string

// The supported engines.
const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// Options tune [Open]. The zero value is production-safe.
type Options struct {
	// Synchronous is SQLite's synchronous pragma: FULL (default; every commit
	// is durable), NORMAL (may lose the last commits on power loss) or OFF.
	Synchronous string
	// MaxConns caps PostgreSQL connections and SQLite reader connections
	// (default 16 for PostgreSQL, 4 for SQLite readers).
	MaxConns int
	// Clock stamps transactions (default: the system clock).
	Clock clock.Clock
	// Logger receives retries and migrations (default: discard).
	Logger *slog.Logger
	// NoMigrate skips applying migrations at open.
	NoMigrate bool
}

// DB is an open database. It is safe for concurrent use.
type DB struct {
	engine Engine
	write  *sql.DB // SQLite: one connection; PostgreSQL: the pool
	read   *sql.DB // SQLite: reader pool; PostgreSQL: same as write
	clock  clock.Clock
	log    *slog.Logger
	desc   string
	stmts  sync.Map // SQLite: query → *sql.Stmt prepared on the write connection
	nstmts atomic.Int32
	group  *committer // SQLite: runs write transactions, many per commit
}

// ParseDSN tells which engine a DSN names. PostgreSQL DSNs are URLs with the
// postgres or postgresql scheme, or key=value strings with host= or dbname=.
// Anything else is a SQLite file path, optionally prefixed by "sqlite:".
func ParseDSN(dsn string) (Engine, string, error) {
	switch {
	case dsn == "":
		return "", "", errors.New("empty database DSN")
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"),
		strings.Contains(dsn, "host="), strings.Contains(dsn, "dbname="):
		return Postgres, dsn, nil
	case strings.HasPrefix(dsn, "sqlite:"):
		return SQLite, strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "//"), nil
	case strings.Contains(dsn, "://"):
		return "", "", fmt.Errorf("database DSN %q: unknown scheme (want postgres:// or a SQLite path)", redact(dsn))
	default:
		return SQLite, dsn, nil
	}
}

// Open opens the database named by dsn and, unless opts.NoMigrate, applies
// pending migrations.
func Open(ctx context.Context, dsn string, opts Options) (*DB, error) {
	engine, target, err := ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	if opts.Clock == nil {
		opts.Clock = clock.System{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	d := &DB{engine: engine, clock: opts.Clock, log: opts.Logger}
	switch engine {
	case SQLite:
		err = d.openSQLite(target, opts)
	case Postgres:
		err = d.openPostgres(target, opts)
	}
	if err != nil {
		return nil, err
	}
	if err := d.write.PingContext(ctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("open %s: %w", d.desc, err)
	}
	if !opts.NoMigrate {
		if _, err := d.Migrate(ctx); err != nil {
			d.Close()
			return nil, err
		}
	}
	return d, nil
}

func (d *DB) openSQLite(path string, opts Options) error {
	sync := strings.ToUpper(opts.Synchronous)
	switch sync {
	case "":
		sync = "FULL"
	case "FULL", "NORMAL", "OFF", "EXTRA":
	default:
		return fmt.Errorf("sqlite synchronous %q: want FULL, NORMAL, OFF or EXTRA", opts.Synchronous)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return fmt.Errorf("open sqlite: %w", err)
		}
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous("+sync+")")
	q.Set("_time_format", "sqlite")
	q.Set("_timezone", "UTC")
	base := "file:" + path + "?"
	w, err := sql.Open("sqlite", base+q.Encode()+"&_txlock=immediate")
	if err != nil {
		return fmt.Errorf("open sqlite %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	q.Add("_pragma", "query_only(1)")
	r, err := sql.Open("sqlite", base+q.Encode())
	if err != nil {
		w.Close()
		return fmt.Errorf("open sqlite %s: %w", path, err)
	}
	n := opts.MaxConns
	if n <= 0 {
		n = 4
	}
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	d.write, d.read, d.desc = w, r, "sqlite "+path
	d.group = startCommitter(d)
	return nil
}

func (d *DB) openPostgres(dsn string, opts Options) error {
	p, err := sql.Open("pgx", dsn)
	if err != nil {
		return fmt.Errorf("open postgres %s: %w", redact(dsn), err)
	}
	n := opts.MaxConns
	if n <= 0 {
		n = 16
	}
	p.SetMaxOpenConns(n)
	p.SetMaxIdleConns(n)
	p.SetConnMaxIdleTime(5 * time.Minute)
	d.write, d.read, d.desc = p, p, "postgres "+redact(dsn)
	return nil
}

// Engine returns which engine d runs on.
func (d *DB) Engine() Engine { return d.engine }

// String describes the database without secrets, e.g. "sqlite data/paygate.db".
func (d *DB) String() string { return d.desc }

// Now returns the database clock's time.
func (d *DB) Now() time.Time { return d.clock.Now() }

// Close closes every pool.
func (d *DB) Close() error {
	if d.group != nil {
		d.group.stop()
	}
	d.stmts.Range(func(_, st any) bool { st.(*sql.Stmt).Close(); return true })
	err := d.write.Close()
	if d.read != d.write {
		err = errors.Join(err, d.read.Close())
	}
	return err
}

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error { return d.read.PingContext(ctx) }

// Query runs a read-only query outside any transaction.
func (d *DB) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return d.read.QueryContext(ctx, d.rebind(query), args...)
}

// QueryRow runs a read-only query that returns at most one row.
func (d *DB) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return d.read.QueryRowContext(ctx, d.rebind(query), args...)
}

// ExecRaw runs a statement outside the write discipline, with no retry. It is
// for operators' repair tools and tests, never for business commands.
func (d *DB) ExecRaw(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return d.write.ExecContext(ctx, d.rebind(query), args...)
}

func (d *DB) rebind(q string) string {
	if d.engine != Postgres {
		return q
	}
	return rebind(q)
}

// rebind turns ? placeholders into $1, $2, …. Queries are our own constants
// and never hold a literal question mark.
func rebind(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// redact hides the password in a PostgreSQL DSN.
func redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
			return u.String()
		}
	}
	if i := strings.Index(dsn, "password="); i >= 0 {
		end := strings.IndexByte(dsn[i:], ' ')
		if end < 0 {
			return dsn[:i] + "password=xxxxx"
		}
		return dsn[:i] + "password=xxxxx" + dsn[i+end:]
	}
	return dsn
}
