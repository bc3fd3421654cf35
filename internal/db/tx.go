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
	db         *DB
	tx         *sql.Tx
	engine     Engine
	now        time.Time
	unprepared []string // SQLite: statements to prepare once the tx is over
}

// Engine returns the engine the transaction runs on.
func (t *Tx) Engine() Engine { return t.engine }

// Now returns the transaction's timestamp: UTC, in whole microseconds
// (what PostgreSQL stores), so both engines read back what was written.
func (t *Tx) Now() time.Time { return t.now }

// Exec runs a statement in the transaction.
func (t *Tx) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := t.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, t.rebind(query), args...)
}

// Query runs a query in the transaction.
func (t *Tx) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, t.rebind(query), args...)
}

// QueryRow runs a query in the transaction that returns at most one row.
func (t *Tx) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
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
	if d.group != nil {
		return d.group.run(ctx, fn)
	}
	sqlTx, err := d.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	tx := &Tx{db: d, tx: sqlTx, engine: d.engine, now: d.clock.Now().UTC().Truncate(time.Microsecond)}
	defer func() {
		p := recover()
		if p != nil || err != nil {
			_ = sqlTx.Rollback()
		}
		// Only now is the write connection free to prepare statements on.
		if len(tx.unprepared) > 0 {
			tx.prepareSeen(ctx)
		}
		if p != nil {
			panic(p)
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

// stmt returns the cached prepared statement for query bound to this
// transaction, or nil to run it unprepared. SQLite re-parses and re-plans
// every unprepared statement, which costs more than executing it; its one
// write connection keeps each statement prepared for good. PostgreSQL needs
// no help: pgx caches prepared statements per connection itself.
func (t *Tx) stmt(ctx context.Context, query string) *sql.Stmt {
	if t.engine != SQLite {
		return nil
	}
	if st, ok := t.db.stmts.Load(query); ok {
		return t.tx.StmtContext(ctx, st.(*sql.Stmt))
	}
	if t.db.nstmts.Load() < maxPrepared {
		t.unprepared = append(t.unprepared, query)
	}
	return nil
}

// maxPrepared bounds the statement cache; queries past it run unprepared.
const maxPrepared = 512

// prepareSeen prepares, on the now idle write connection, the statements the
// finished transaction ran unprepared. (While the transaction is open the
// write pool's one connection is busy with it.)
func (t *Tx) prepareSeen(ctx context.Context) {
	for _, q := range t.unprepared {
		if _, ok := t.db.stmts.Load(q); ok || t.db.nstmts.Load() >= maxPrepared {
			continue
		}
		st, err := t.db.write.PrepareContext(ctx, q)
		if err != nil {
			continue // the unprepared path reports errors
		}
		if _, loaded := t.db.stmts.LoadOrStore(q, st); loaded {
			st.Close()
			continue
		}
		t.db.nstmts.Add(1)
	}
}
