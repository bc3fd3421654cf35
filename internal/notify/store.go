package notify

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"paygate/internal/db"
)

// The dispatcher's SQL: claiming due events under a lease, and recording
// what an attempt did.
const (
	// claimSQLite leases up to ? due events in due order. SQLite has one
	// writer (an IMMEDIATE transaction), so claims never overlap.
	claimSQLite = `UPDATE notify_events SET next_attempt_ms = ?, claim_token = ?
WHERE id IN (SELECT id FROM notify_events
             WHERE state = 'pending' AND next_attempt_ms <= ?
             ORDER BY next_attempt_ms LIMIT ?)
RETURNING id, merchant_id, url, body`
	// claimPostgres is the same claim for many instances: rows another
	// dispatcher is claiming right now are skipped, not waited for, and
	// once that claim commits their due time is in the future.
	claimPostgres = `UPDATE notify_events SET next_attempt_ms = ?, claim_token = ?
WHERE id IN (SELECT id FROM notify_events
             WHERE state = 'pending' AND next_attempt_ms <= ?
             ORDER BY next_attempt_ms LIMIT ?
             FOR UPDATE SKIP LOCKED)
RETURNING id, merchant_id, url, body`

	// bumpAttempts numbers an attempt; the row lock it takes orders
	// concurrent outcomes for one event.
	bumpAttempts  = `UPDATE notify_events SET attempts = attempts + 1 WHERE id = ? RETURNING attempts, failures`
	insertAttempt = `INSERT INTO notify_attempts (event_id, attempt, at, http_status, error, duration_ms)
VALUES (?, ?, ?, ?, ?, ?)`
	// markDelivered holds whoever delivered it: a 2xx is the truth even
	// from a dispatcher whose lease ran out.
	markDelivered = `UPDATE notify_events
SET state = 'delivered', delivered_at = ?, failures = 0, claim_token = NULL, last_status = ?, last_error = ''
WHERE id = ? AND state = 'pending'`
	// markFailure reschedules (or fails) the event only for the lease holder.
	markFailure = `UPDATE notify_events
SET state = ?, failures = ?, next_attempt_ms = ?, failed_at = ?, claim_token = NULL, last_status = ?, last_error = ?
WHERE id = ? AND state = 'pending' AND claim_token = ?`
	// releaseClaim hands an event back, due now, without counting an attempt.
	releaseClaim = `UPDATE notify_events SET next_attempt_ms = ?, claim_token = NULL
WHERE id = ? AND state = 'pending' AND claim_token = ?`
)

// claimed is a leased event, ready to send.
type claimed struct {
	ID         string
	MerchantID string
	URL        string
	Body       []byte
	Token      string
}

// outcome is what one attempt did.
type outcome struct {
	At       time.Time
	Status   int    // 0: no response
	Error    string // safe text; "" when a response came
	Duration time.Duration
}

func (o outcome) delivered() bool { return o.Status >= 200 && o.Status <= 299 }

// store is the dispatcher's view of the notify tables.
type store struct {
	db       *db.DB
	schedule []time.Duration
}

// claim leases up to limit due events to token until now+lease.
func (s *store) claim(ctx context.Context, token string, limit int, lease time.Duration) ([]claimed, error) {
	q := claimSQLite
	if s.db.Engine() == db.Postgres {
		q = claimPostgres
	}
	var out []claimed
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		out = out[:0]
		now := tx.Now()
		rows, err := tx.Query(ctx, q, now.Add(lease).UnixMilli(), token, now.UnixMilli(), limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			c := claimed{Token: token}
			var body string
			if err := rows.Scan(&c.ID, &c.MerchantID, &c.URL, &body); err != nil {
				return err
			}
			c.Body = []byte(body)
			out = append(out, c)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("claim events: %w", err)
	}
	return out, nil
}

// finished records attempt o of c: the attempt log row, and the event's new
// state. It returns the attempt as logged and whether the event is now
// failed for good.
func (s *store) finished(ctx context.Context, c claimed, o outcome) (Attempt, bool, error) {
	var (
		a    Attempt
		gave bool
	)
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		gave = false
		var n, failures int
		if err := tx.QueryRow(ctx, bumpAttempts, c.ID).Scan(&n, &failures); err != nil {
			return err
		}
		ms := o.Duration.Milliseconds()
		if _, err := tx.Exec(ctx, insertAttempt, c.ID, n, o.At, o.Status, o.Error, ms); err != nil {
			return err
		}
		a = Attempt{EventID: c.ID, N: n, At: o.At, Status: o.Status, Error: o.Error, Duration: time.Duration(ms) * time.Millisecond}
		now := tx.Now()
		if o.delivered() {
			_, err := tx.Exec(ctx, markDelivered, now, o.Status, c.ID)
			return err
		}
		failures++
		state, next, failedAt := Pending, now, any(nil)
		if failures > len(s.schedule) {
			state, failedAt, gave = Failed, now, true
		} else {
			next = now.Add(s.schedule[failures-1])
		}
		res, err := tx.Exec(ctx, markFailure, string(state), failures, next.UnixMilli(), failedAt, o.Status, o.Error, c.ID, c.Token)
		if err != nil {
			return err
		}
		if k, err := res.RowsAffected(); err == nil && k == 0 {
			gave = false // not ours any more: the holder decides
		}
		return nil
	})
	if err != nil {
		return Attempt{}, false, fmt.Errorf("record attempt of %s: %w", c.ID, err)
	}
	return a, gave, nil
}

// release hands c back, due now, without counting an attempt: the
// dispatcher stopped before the attempt had an outcome.
func (s *store) release(ctx context.Context, c claimed) error {
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, releaseClaim, tx.Now().UnixMilli(), c.ID, c.Token)
		return err
	})
	if err != nil {
		return fmt.Errorf("release event %s: %w", c.ID, err)
	}
	return nil
}

// probe checks that the notify tables exist.
func (s *store) probe(ctx context.Context) error {
	var n sql.NullInt64
	if err := s.db.QueryRow(ctx, `SELECT max(attempts) FROM notify_events WHERE id = ''`).Scan(&n); err != nil {
		return fmt.Errorf("notify tables: %w", err)
	}
	return nil
}
