package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"
)

// SQLite has one writer, and a durable commit costs an fsync. The committer
// lets concurrent write transactions share commits (group commit): it runs
// each queued transaction function in turn inside one SQLite transaction,
// each under its own SAVEPOINT so that a failing one is rolled back alone,
// then commits once and only then answers every caller. A caller sees exactly
// what a transaction of its own would give: all of its writes durable, or
// none. A lone transaction runs without savepoints.

// ErrClosed is returned by [DB.InTx] after [DB.Close].
var ErrClosed = errors.New("db: closed")

// maxGroup bounds the transactions that share one commit.
const maxGroup = 128

type txRequest struct {
	ctx  context.Context
	fn   func(*Tx) error
	done chan txResult
}

type txResult struct {
	err      error
	panicked bool
	panicVal any
}

type committer struct {
	d                  *DB
	savepoint, release *sql.Stmt // prepared once: they run for every grouped transaction
	reqs               chan *txRequest
	quit               chan struct{}
	stopOnce           sync.Once
	wg                 sync.WaitGroup
}

func startCommitter(d *DB) *committer {
	c := &committer{d: d, reqs: make(chan *txRequest), quit: make(chan struct{})}
	c.wg.Add(1)
	go c.loop()
	return c
}

// stop ends the committer after the group in progress; it is idempotent.
func (c *committer) stop() {
	c.stopOnce.Do(func() { close(c.quit) })
	c.wg.Wait()
	if c.savepoint != nil {
		c.savepoint.Close()
		c.release.Close()
	}
}

// run queues fn and waits for its outcome. A panic in fn is re-raised here,
// in the caller's goroutine.
func (c *committer) run(ctx context.Context, fn func(*Tx) error) error {
	req := &txRequest{ctx: ctx, fn: fn, done: make(chan txResult, 1)}
	select {
	case c.reqs <- req:
	case <-ctx.Done():
		return ctx.Err()
	case <-c.quit:
		return ErrClosed
	}
	res := <-req.done // fn may be running: wait for it whatever ctx says
	if res.panicked {
		panic(res.panicVal)
	}
	return res.err
}

func (c *committer) loop() {
	defer c.wg.Done()
	group := make([]*txRequest, 0, maxGroup)
	for {
		select {
		case r := <-c.reqs:
			group = append(group[:0], r)
		case <-c.quit:
			return
		}
	more:
		for len(group) < maxGroup {
			select {
			case r := <-c.reqs:
				group = append(group, r)
			default:
				break more
			}
		}
		c.runGroup(group)
	}
}

// runGroup runs the group's functions in one transaction and answers them.
func (c *committer) runGroup(group []*txRequest) {
	d := c.d
	results := make([]txResult, len(group))
	answer := func() {
		for i, r := range group {
			r.done <- results[i]
		}
	}
	bg := context.Background()
	single := len(group) == 1
	if !single && c.savepoint == nil {
		c.prepareSavepoints()
	}
	sqlTx, err := d.write.BeginTx(bg, nil)
	if err != nil {
		for i := range results {
			results[i].err = fmt.Errorf("begin: %w", err)
		}
		answer()
		return
	}
	var unprepared []string
	for i, r := range group {
		if err := r.ctx.Err(); err != nil {
			results[i].err = err
			continue
		}
		tx := &Tx{db: d, tx: sqlTx, engine: d.engine, now: d.clock.Now().UTC().Truncate(time.Microsecond)}
		if !single {
			if _, err := c.exec(sqlTx, c.savepoint, "SAVEPOINT paygate_group"); err != nil {
				results[i].err = fmt.Errorf("savepoint: %w", err)
				continue
			}
		}
		results[i] = call(r.fn, tx)
		unprepared = append(unprepared, tx.unprepared...)
		failed := results[i].err != nil || results[i].panicked
		switch {
		case single && failed:
			_ = sqlTx.Rollback()
			c.prepare(unprepared)
			answer()
			return
		case single:
		case failed:
			if _, err := sqlTx.ExecContext(bg, "ROLLBACK TO paygate_group; RELEASE paygate_group"); err != nil {
				// The transaction is unusable: fail the whole group.
				_ = sqlTx.Rollback()
				for j := range results {
					if results[j].err == nil && !results[j].panicked {
						results[j].err = fmt.Errorf("rollback to savepoint: %w", err)
					}
				}
				answer()
				return
			}
		default:
			if _, err := c.exec(sqlTx, c.release, "RELEASE paygate_group"); err != nil {
				results[i].err = fmt.Errorf("release savepoint: %w", err)
			}
		}
	}
	if err := sqlTx.Commit(); err != nil {
		for i := range results {
			if results[i].err == nil && !results[i].panicked {
				results[i].err = fmt.Errorf("commit: %w", err)
			}
		}
	}
	c.prepare(unprepared)
	answer()
}

// call runs fn, turning a panic into a result.
func call(fn func(*Tx) error, tx *Tx) (res txResult) {
	defer func() {
		if p := recover(); p != nil {
			res = txResult{panicked: true, panicVal: p}
		}
	}()
	return txResult{err: fn(tx)}
}

// prepare caches the statements the group ran unprepared, now that the write
// connection is idle.
func (c *committer) prepare(queries []string) {
	if len(queries) > 0 {
		(&Tx{db: c.d, unprepared: queries}).prepareSeen(context.Background())
	}
}

// prepareSavepoints prepares the savepoint statements while the write
// connection is idle; on failure the group runs them unprepared.
func (c *committer) prepareSavepoints() {
	sp, err1 := c.d.write.Prepare("SAVEPOINT paygate_group")
	rel, err2 := c.d.write.Prepare("RELEASE paygate_group")
	if err1 != nil || err2 != nil {
		if sp != nil {
			sp.Close()
		}
		if rel != nil {
			rel.Close()
		}
		return
	}
	c.savepoint, c.release = sp, rel
}

// exec runs a prepared statement in tx, or query when it is not prepared.
func (c *committer) exec(tx *sql.Tx, st *sql.Stmt, query string) (sql.Result, error) {
	if st != nil {
		return tx.Stmt(st).Exec()
	}
	return tx.Exec(query)
}
