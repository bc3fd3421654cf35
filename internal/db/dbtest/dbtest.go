// Package dbtest gives tests real databases: a fresh SQLite file, and a fresh
// database on a throwaway PostgreSQL server started from the machine's own
// initdb and pg_ctl (as the unprivileged postgres user when run as root).
//
// A package that uses PostgreSQL calls [Main] from its TestMain so the server
// is stopped when its tests end. When PostgreSQL is not installed the
// PostgreSQL halves of tests skip with a loud message, unless the environment
// variable PAYGATE_TEST_REQUIRE lists "postgres", in which case they fail.
package dbtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"paygate/internal/db"
)

// RequireEnv names the environment variable that lists the test dependencies
// (postgres, browser) that must be present: a missing one fails the test
// instead of skipping it.
const RequireEnv = "PAYGATE_TEST_REQUIRE"

// Required reports whether PAYGATE_TEST_REQUIRE lists what.
func Required(what string) bool {
	return slices.Contains(strings.Split(os.Getenv(RequireEnv), ","), what)
}

var (
	shared     *Server
	sharedErr  error
	sharedOnce sync.Once
	dbCounter  atomic.Int64
)

// Main runs the package's tests, then stops the shared PostgreSQL server if a
// test started it. Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if shared != nil {
		if err := shared.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "dbtest: stop postgres: %v\n", err)
		}
	}
	os.Exit(code)
}

// Engines runs fn once per engine as the subtests "sqlite" and "postgres",
// each with a fresh, migrated database.
func Engines(t *testing.T, fn func(t *testing.T, d *db.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, NewSQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, NewPostgres(t)) })
}

// NewSQLite returns a fresh, migrated SQLite database in a temporary
// directory. It trades durability for speed (synchronous=NORMAL); everything
// else is as in production.
func NewSQLite(t testing.TB) *db.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "paygate.db")
	d, err := db.Open(context.Background(), "sqlite:"+path, db.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// NewPostgres returns a fresh, migrated database on the package's shared
// throwaway PostgreSQL server, or skips (fails, if required) without one.
func NewPostgres(t testing.TB) *db.DB {
	t.Helper()
	dsn := PostgresDSN(t)
	d, err := db.Open(context.Background(), dsn, db.Options{})
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// PostgresDSN creates a fresh, empty database on the shared server and
// returns its DSN, for tests that open it themselves (or from other
// processes). The database is dropped when the test ends.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	s := SharedServer(t)
	name := fmt.Sprintf("t_%d_%d", os.Getpid(), dbCounter.Add(1))
	dsn, err := s.CreateDatabase(name)
	if err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		if err := s.DropDatabase(name); err != nil {
			t.Logf("drop database %s: %v", name, err)
		}
	})
	return dsn
}

// SharedServer returns the package's throwaway PostgreSQL server, starting it
// on first use; it skips or fails t when PostgreSQL is not available.
func SharedServer(t testing.TB) *Server {
	t.Helper()
	sharedOnce.Do(func() { shared, sharedErr = StartServer(ServerOptions{}) })
	if sharedErr != nil {
		Unavailable(t, "postgres", sharedErr)
	}
	return shared
}

// Unavailable skips t loudly because the dependency what (postgres, browser)
// is missing, or fails it when PAYGATE_TEST_REQUIRE lists what.
func Unavailable(t testing.TB, what string, why error) {
	t.Helper()
	if Required(what) {
		t.Fatalf("%s is required (%s=%s) but unavailable: %v", what, RequireEnv, os.Getenv(RequireEnv), why)
	}
	msg := fmt.Sprintf("SKIPPED: %s unavailable (%v); install it or set %s=%s to make this a failure", what, why, RequireEnv, what)
	fmt.Fprintln(os.Stderr, "dbtest: "+msg)
	t.Skip(msg)
}

// EngineDSNs runs fn once per engine, as the parallel subtests "sqlite" and
// "postgres", each with the DSN of a fresh, empty database, for tests that
// open it themselves — with their own clock, or several times, as several
// processes or a restart would.
func EngineDSNs(t *testing.T, fn func(t *testing.T, engine db.Engine, dsn string)) {
	t.Helper()
	for _, engine := range []db.Engine{db.SQLite, db.Postgres} {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			dsn := "sqlite:" + filepath.Join(t.TempDir(), "paygate.db")
			if engine == db.Postgres {
				dsn = PostgresDSN(t)
			}
			fn(t, engine, dsn)
		})
	}
}

// Open opens (and migrates) dsn with opts, closing it when t ends. SQLite
// runs with synchronous=NORMAL unless opts says otherwise.
func Open(t testing.TB, dsn string, opts db.Options) *db.DB {
	t.Helper()
	if opts.Synchronous == "" {
		opts.Synchronous = "NORMAL"
	}
	d, err := db.Open(context.Background(), dsn, opts)
	if err != nil {
		t.Fatalf("open %s: %v", dsn, err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}
