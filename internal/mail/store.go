package mail

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"paygate/internal/db"
)

// The dispatcher's SQL: claiming due messages under a lease, and recording
// what an attempt did.
const (
	// claimSQLite leases up to ? due messages in due order. SQLite has one
	// writer (an IMMEDIATE transaction), so claims never overlap.
	claimSQLite = `UPDATE mail_messages SET next_attempt_ms = ?, claim_token = ?
WHERE id IN (SELECT id FROM mail_messages
             WHERE state = 'pending' AND next_attempt_ms <= ?
             ORDER BY next_attempt_ms LIMIT ?)
RETURNING id, to_addr, subject, text_body, html_body, kind, ref, created_at`
	// claimPostgres is the same claim for many instances: rows another
	// dispatcher is claiming right now are skipped, not waited for, and
	// once that claim commits their due time is in the future.
	claimPostgres = `UPDATE mail_messages SET next_attempt_ms = ?, claim_token = ?
WHERE id IN (SELECT id FROM mail_messages
             WHERE state = 'pending' AND next_attempt_ms <= ?
             ORDER BY next_attempt_ms LIMIT ?
             FOR UPDATE SKIP LOCKED)
RETURNING id, to_addr, subject, text_body, html_body, kind, ref, created_at`

	// bumpAttempts numbers an attempt; the row lock it takes orders
	// concurrent outcomes for one message.
	bumpAttempts      = `UPDATE mail_messages SET attempts = attempts + 1 WHERE id = ? RETURNING attempts`
	insertMailAttempt = `INSERT INTO mail_attempts (message_id, attempt, at, smtp_code, error, duration_ms)
VALUES (?, ?, ?, ?, ?, ?)`
	// markSent holds whoever sent it: an accepted message is the truth even
	// from a dispatcher whose lease ran out.
	markSent = `UPDATE mail_messages
SET state = 'sent', sent_at = ?, failed_at = NULL, claim_token = NULL, last_error = ''
WHERE id = ? AND state = 'pending'`
	// markFailure reschedules (or fails) the message only for the lease
	// holder.
	markFailure = `UPDATE mail_messages
SET state = ?, next_attempt_ms = ?, failed_at = ?, claim_token = NULL, last_error = ?
WHERE id = ? AND state = 'pending' AND claim_token = ?`
	// releaseClaim hands a message back, due now, without counting an
	// attempt.
	releaseClaim = `UPDATE mail_messages SET next_attempt_ms = ?, claim_token = NULL
WHERE id = ? AND state = 'pending' AND claim_token = ?`
	// countFailures is how far along the schedule a message is.
	countFailures = `SELECT count(*) FROM mail_attempts WHERE message_id = ? AND error <> ''`
)

// claimed is a leased message, ready to send.
type claimed struct {
	Outgoing
	Token string
}

// outcome is what one attempt did.
type outcome struct {
	At        time.Time
	Code      int
	Error     string // safe text; "" when sent
	Permanent bool
	Duration  time.Duration
}

// store is the dispatcher's view of the mail tables.
type store struct {
	// redact lists the kinds of message whose bodies carry a secret (a
	// link that logs in or sets a password): once delivered or given up,
	// the stored body is replaced by [RedactedBody].
	redact   map[string]bool
	db       *db.DB
	schedule []time.Duration
}

// claim leases up to limit due messages to token until now+lease.
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
			if err := rows.Scan(&c.ID, &c.To, &c.Subject, &c.Text, &c.HTML, &c.Kind, &c.Ref, &c.CreatedAt); err != nil {
				return err
			}
			c.CreatedAt = c.CreatedAt.UTC()
			out = append(out, c)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("claim emails: %w", err)
	}
	return out, nil
}

// finished records attempt o of c: the attempt log row and the message's
// new state. It returns the attempt as logged and whether the message is
// now failed for good.
func (s *store) finished(ctx context.Context, c claimed, o outcome) (Attempt, bool, error) {
	var (
		a    Attempt
		gave bool
	)
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		gave = false
		var n int
		if err := tx.QueryRow(ctx, bumpAttempts, c.ID).Scan(&n); err != nil {
			return err
		}
		ms := o.Duration.Milliseconds()
		if _, err := tx.Exec(ctx, insertMailAttempt, c.ID, n, o.At, o.Code, o.Error, ms); err != nil {
			return err
		}
		a = Attempt{MessageID: c.ID, N: n, At: o.At, Code: o.Code, Error: o.Error, Duration: time.Duration(ms) * time.Millisecond}
		now := tx.Now()
		if o.Error == "" {
			if _, err := tx.Exec(ctx, markSent, now, c.ID); err != nil {
				return err
			}
			return s.redactTx(ctx, tx, c)
		}
		var failures int
		if err := tx.QueryRow(ctx, countFailures, c.ID).Scan(&failures); err != nil {
			return err
		}
		state, next, failedAt := Pending, now, any(nil)
		if o.Permanent || failures > len(s.schedule) {
			state, failedAt, gave = Failed, now, true
		} else {
			next = now.Add(s.schedule[failures-1])
		}
		res, err := tx.Exec(ctx, markFailure, string(state), next.UnixMilli(), failedAt, o.Error, c.ID, c.Token)
		if err != nil {
			return err
		}
		if k, err := res.RowsAffected(); err == nil && k == 0 {
			gave = false // not ours any more: the holder decides
		}
		if gave {
			return s.redactTx(ctx, tx, c)
		}
		return nil
	})
	if err != nil {
		return Attempt{}, false, fmt.Errorf("record attempt of %s: %w", c.ID, err)
	}
	return a, gave, nil
}

// RedactedBody replaces the body of a delivered (or abandoned) message of a
// kind listed in [Options.RedactKinds].
const RedactedBody = "[This message carried a single-use link; its text is no longer kept.]"

// redactTx blanks c's bodies within tx when its kind carries a secret.
func (s *store) redactTx(ctx context.Context, tx *db.Tx, c claimed) error {
	if !s.redact[c.Kind] {
		return nil
	}
	_, err := tx.Exec(ctx, `UPDATE mail_messages SET text_body = ?, html_body = '' WHERE id = ?`, RedactedBody, c.ID)
	return err
}

// release hands c back, due now, without counting an attempt: the
// dispatcher stopped before the attempt had an outcome.
func (s *store) release(ctx context.Context, c claimed) error {
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, releaseClaim, tx.Now().UnixMilli(), c.ID, c.Token)
		return err
	})
	if err != nil {
		return fmt.Errorf("release email %s: %w", c.ID, err)
	}
	return nil
}

// probe checks that the mail tables exist.
func (s *store) probe(ctx context.Context) error {
	var n sql.NullInt64
	if err := s.db.QueryRow(ctx, `SELECT max(attempts) FROM mail_messages WHERE id = ''`).Scan(&n); err != nil {
		return fmt.Errorf("mail tables: %w", err)
	}
	return nil
}
