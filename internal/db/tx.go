package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// Tx is a write transaction. Its [Tx.Now] is fixed when it begins, so every
// row a business command writes carries the same timestamp.
type Tx struct {
	tx     *sql.Tx
	engine Engine
	now    time.Time
}

// Engine returns the engine the transaction runs on.
func (t *Tx) Engine() Engine { return t.engine }

// Now returns the transaction's timestamp: UTC, in whole microseconds
// (what PostgreSQL stores), so both engines read back what was written.
func (t *Tx) Now() time.Time { return t.now }

// Exec runs a statement in the transaction.
func (t *Tx) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(ctx, t.rebind(query), args...)
}

// Query runs a query in the transaction.
func (t *Tx) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(ctx, t.rebind(query), args...)
}

// QueryRow runs a query in the transaction that returns at most one row.
func (t *Tx) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(ctx, t.rebind(query), args...)
}

func (t *Tx) rebind(q string) string {
	if t.engine != Postgres {
		return q
	}
	return rebind(q)
}

// maxAttempts bounds how often [DB.InTx] retries a transaction that the
// engine rejected as busy, serialization-failed or deadlocked.
const maxAttempts = 12

// InTx runs fn in a write transaction and commits it if fn returns nil. When
// the engine reports contention (SQLite busy, PostgreSQL serialization failure
// or deadlock), the whole transaction is rolled back and fn runs again, up to a
// bound, so fn must not have effects outside the transaction.
func (d *DB) InTx(ctx context.Context, fn func(*Tx) error) error {
	var err error
	for attempt := 1; ; attempt++ {
		err = d.inTxOnce(ctx, fn)
		if err == nil || !IsRetryable(err) || attempt == maxAttempts {
			break
		}
		d.log.DebugContext(ctx, "transaction retry", "attempt", attempt, "err", err)
		backoff := time.Duration(1<<min(attempt, 7)) * time.Millisecond
		backoff += rand.N(backoff)
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(backoff):
		}
	}
	return err
}

func (d *DB) inTxOnce(ctx context.Context, fn func(*Tx) error) (err error) {
	sqlTx, err := d.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	tx := &Tx{tx: sqlTx, engine: d.engine, now: d.clock.Now().UTC().Truncate(time.Microsecond)}
	defer func() {
		if p := recover(); p != nil {
			_ = sqlTx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = sqlTx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
