package db_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"paygate/internal/db"
	"paygate/internal/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func TestParseDSN(t *testing.T) {
	t.Parallel()
	tests := []struct {
		dsn        string
		wantEngine db.Engine
		wantTarget string
		wantErr    bool
	}{
		{"data/paygate.db", db.SQLite, "data/paygate.db", false},
		{"sqlite:data/paygate.db", db.SQLite, "data/paygate.db", false},
		{"sqlite:///var/lib/paygate.db", db.SQLite, "/var/lib/paygate.db", false},
		{"postgres://u:p@localhost/paygate", db.Postgres, "postgres://u:p@localhost/paygate", false},
		{"postgresql://localhost/paygate", db.Postgres, "postgresql://localhost/paygate", false},
		{"host=/tmp user=postgres dbname=x", db.Postgres, "host=/tmp user=postgres dbname=x", false},
		{"mysql://localhost/x", "", "", true},
		{"", "", "", true},
	}
	for _, tt := range tests {
		engine, target, err := db.ParseDSN(tt.dsn)
		if (err != nil) != tt.wantErr || engine != tt.wantEngine || target != tt.wantTarget {
			t.Errorf("ParseDSN(%q) = %q, %q, %v; want %q, %q, err=%v", tt.dsn, engine, target, err, tt.wantEngine, tt.wantTarget, tt.wantErr)
		}
	}
}

func TestOpenRejectsBadSynchronous(t *testing.T) {
	t.Parallel()
	_, err := db.Open(context.Background(), filepath.Join(t.TempDir(), "x.db"), db.Options{Synchronous: "SOMETIMES"})
	if err == nil {
		t.Fatal("Open with synchronous=SOMETIMES succeeded")
	}
}

// TestMigrationsMatchAcrossEngines keeps the two engines' schemas in step:
// every version exists for both, under the same name.
func TestMigrationsMatchAcrossEngines(t *testing.T) {
	t.Parallel()
	names := func(e db.Engine) []string {
		ms, err := db.Migrations(e)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range ms {
			out = append(out, m.Name)
		}
		return out
	}
	if diff := cmp.Diff(names(db.SQLite), names(db.Postgres)); diff != "" {
		t.Fatalf("migration lists differ (-sqlite +postgres):\n%s", diff)
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		applied, err := d.Migrate(context.Background())
		if err != nil || len(applied) != 0 {
			t.Fatalf("second Migrate applied %v, %v; want nothing", applied, err)
		}
		ms, _ := db.Migrations(d.Engine())
		var n int
		if err := d.QueryRow(context.Background(), `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(ms) {
			t.Fatalf("schema_migrations has %d rows (%v), want %d", n, err, len(ms))
		}
	})
}

func mustExec(t *testing.T, d *db.DB, q string, args ...any) {
	t.Helper()
	if _, err := d.ExecRaw(context.Background(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func count(t *testing.T, d *db.DB, table string) int {
	t.Helper()
	var n int
	if err := d.QueryRow(context.Background(), `SELECT count(*) FROM `+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestInTx(t *testing.T) {
	t.Parallel()
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		mustExec(t, d, `CREATE TABLE things (name TEXT PRIMARY KEY, at TIMESTAMP NOT NULL)`)

		t.Run("CommitsAndFixesNow", func(t *testing.T) {
			var now time.Time
			err := d.InTx(ctx, func(tx *db.Tx) error {
				now = tx.Now()
				_, err := tx.Exec(ctx, `INSERT INTO things (name, at) VALUES (?, ?)`, "a", tx.Now())
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			var at time.Time
			if err := d.QueryRow(ctx, `SELECT at FROM things WHERE name = ?`, "a").Scan(&at); err != nil {
				t.Fatal(err)
			}
			if !at.Equal(now) || now.Location() != time.UTC {
				t.Fatalf("stored %v, tx.Now %v", at, now)
			}
		})
		t.Run("RollsBackOnError", func(t *testing.T) {
			boom := errors.New("boom")
			err := d.InTx(ctx, func(tx *db.Tx) error {
				if _, err := tx.Exec(ctx, `INSERT INTO things (name, at) VALUES (?, ?)`, "b", tx.Now()); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("InTx = %v, want boom", err)
			}
			if n := count(t, d, "things WHERE name = 'b'"); n != 0 {
				t.Fatalf("rolled-back row is there (%d)", n)
			}
		})
		t.Run("RollsBackOnPanic", func(t *testing.T) {
			func() {
				defer func() { recover() }()
				_ = d.InTx(ctx, func(tx *db.Tx) error {
					tx.Exec(ctx, `INSERT INTO things (name, at) VALUES (?, ?)`, "c", tx.Now())
					panic("mid-transaction")
				})
			}()
			if n := count(t, d, "things WHERE name = 'c'"); n != 0 {
				t.Fatalf("row from panicked tx is there (%d)", n)
			}
			// The write connection must be usable again.
			if err := d.InTx(ctx, func(tx *db.Tx) error { return nil }); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("UniqueViolation", func(t *testing.T) {
			err := d.InTx(ctx, func(tx *db.Tx) error {
				_, err := tx.Exec(ctx, `INSERT INTO things (name, at) VALUES (?, ?)`, "a", tx.Now())
				return err
			})
			if !db.IsUniqueViolation(err) || db.IsRetryable(err) {
				t.Fatalf("duplicate insert: %v; want a unique violation that is not retried", err)
			}
		})
	})
}

// TestConcurrentWritersAcrossHandles opens the same SQLite file twice, as two
// processes would, and increments one counter from many goroutines on both:
// no update is lost and no writer deadlocks.
func TestConcurrentWritersAcrossHandles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := "sqlite:" + filepath.Join(t.TempDir(), "shared.db")
	var handles []*db.DB
	for range 2 {
		d, err := db.Open(ctx, path, db.Options{Synchronous: "NORMAL"})
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		handles = append(handles, d)
	}
	mustExec(t, handles[0], `CREATE TABLE counter (n INTEGER NOT NULL)`)
	mustExec(t, handles[0], `INSERT INTO counter (n) VALUES (0)`)
	const perWorker = 150
	var wg sync.WaitGroup
	for i := range 6 {
		d := handles[i%2]
		wg.Go(func() {
			for range perWorker {
				err := d.InTx(ctx, func(tx *db.Tx) error {
					var n int
					if err := tx.QueryRow(ctx, `SELECT n FROM counter`).Scan(&n); err != nil {
						return err
					}
					_, err := tx.Exec(ctx, `UPDATE counter SET n = ?`, n+1)
					return err
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	var n int
	if err := handles[1].QueryRow(ctx, `SELECT n FROM counter`).Scan(&n); err != nil || n != 6*perWorker {
		t.Fatalf("counter = %d (%v), want %d", n, err, 6*perWorker)
	}
}

// TestInTxRetriesDeadlock makes two PostgreSQL transactions lock two rows in
// opposite orders. The server kills one with a deadlock error; InTx runs it
// again and both commit.
func TestInTxRetriesDeadlock(t *testing.T) {
	t.Parallel()
	d := dbtest.NewPostgres(t)
	ctx := context.Background()
	mustExec(t, d, `CREATE TABLE pair (id INT PRIMARY KEY, n INT NOT NULL)`)
	mustExec(t, d, `INSERT INTO pair VALUES (1, 0), (2, 0)`)
	var attempts atomic.Int32
	var firstRound sync.WaitGroup
	firstRound.Add(2)
	worker := func(a, b int) error {
		first := true
		return d.InTx(ctx, func(tx *db.Tx) error {
			attempts.Add(1)
			if _, err := tx.Exec(ctx, `UPDATE pair SET n = n + 1 WHERE id = ?`, a); err != nil {
				return err
			}
			if first {
				first = false
				firstRound.Done()
				firstRound.Wait() // both hold their first row now
			}
			_, err := tx.Exec(ctx, `UPDATE pair SET n = n + 1 WHERE id = ?`, b)
			return err
		})
	}
	errc := make(chan error, 2)
	go func() { errc <- worker(1, 2) }()
	go func() { errc <- worker(2, 1) }()
	for range 2 {
		if err := <-errc; err != nil {
			t.Fatalf("worker: %v", err)
		}
	}
	if attempts.Load() < 3 {
		t.Fatalf("attempts = %d; the deadlock should have forced a retry", attempts.Load())
	}
	var sum int
	if err := d.QueryRow(ctx, `SELECT sum(n) FROM pair`).Scan(&sum); err != nil || sum != 4 {
		t.Fatalf("sum = %d (%v), want 4", sum, err)
	}
}
