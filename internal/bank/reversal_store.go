package bank

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"paygate/internal/db"
	"paygate/internal/id"
)

// ReversalState is where a queued reversal stands.
type ReversalState string

// Reversal states.
const (
	// ReversalPending: not yet acknowledged by the bank; the worker keeps
	// sending it.
	ReversalPending ReversalState = "pending"
	// ReversalReversed: the bank acknowledged it with 0430; the original
	// request ended reversed.
	ReversalReversed ReversalState = "reversed"
)

// Reversal is one row of the reversal queue.
type Reversal struct {
	ID             string
	Bank           string
	Original       Reference // the request being reversed
	ProcessingCode string
	AmountMinor    int64
	Currency       string // ISO 4217 numeric
	ReasonCode     string // why: ReasonTimeout, ReasonLinkLost, ReasonBadMAC, ReasonMalformed
	State          ReversalState
	Attempts       int    // advices sent (0420 then 0421s)
	ResponseCode   string // field 39 of the last answer
	CreatedAt      time.Time
	ReversedAt     time.Time // zero while pending
}

// reversalRecord is what the queue stores for one reversal: the keys and
// amounts of the original request, no PAN.
type reversalRecord struct {
	ID             string
	Bank           string
	AcquirerID     string
	OriginalMTI    string
	OriginalSTAN   string
	OriginalTime   string
	RRN            string
	ProcessingCode string
	AmountMinor    int64
	Currency       string
	TerminalID     string
	MerchantID     string
	ReasonCode     string
	Attempts       int
}

// reversalStore is the SQL of the bank_reversals table.
type reversalStore struct {
	db  *db.DB
	ids *id.Generator
}

// PrefixReversal is the id prefix of queued reversals ("rev_…").
const PrefixReversal = "rev"

const (
	insertReversal = `INSERT INTO bank_reversals (id, bank, acquirer_id, original_mti, original_stan, original_time, rrn,
	processing_code, amount_minor, currency, terminal_id, merchant_id, reason_code, state, attempts, next_attempt_ms, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)
ON CONFLICT (bank, acquirer_id, original_stan, original_time) DO NOTHING`
	selectReversalID = `SELECT id FROM bank_reversals
WHERE bank = ? AND acquirer_id = ? AND original_stan = ? AND original_time = ?`

	reversalColumns = `id, bank, acquirer_id, original_mti, original_stan, original_time, rrn, processing_code,
	amount_minor, currency, terminal_id, merchant_id, reason_code, attempts`
	claimDueSQLite = `SELECT ` + reversalColumns + ` FROM bank_reversals
WHERE bank = ? AND state = 'pending' AND next_attempt_ms <= ?
ORDER BY next_attempt_ms LIMIT ?`
	// claimDuePostgres skips rows another instance is claiming right now;
	// the lease written below keeps them from being claimed again until
	// the advice has had time to be answered.
	claimDuePostgres = claimDueSQLite + ` FOR UPDATE SKIP LOCKED`
	leaseReversal    = `UPDATE bank_reversals SET next_attempt_ms = ? WHERE id = ?`

	markReversed = `UPDATE bank_reversals SET state = 'reversed', attempts = attempts + 1, response_code = ?, reversed_at = ?
WHERE id = ? AND state = 'pending'`
	markAttempt = `UPDATE bank_reversals SET attempts = attempts + 1, response_code = ?, next_attempt_ms = ?
WHERE id = ? AND state = 'pending'`

	selectReversal = `SELECT id, bank, original_stan, original_time, rrn, processing_code, amount_minor, currency,
	reason_code, state, attempts, response_code, created_at, reversed_at
FROM bank_reversals WHERE bank = ? AND acquirer_id = ? AND original_stan = ? AND original_time = ?`
	countPending = `SELECT count(*) FROM bank_reversals WHERE bank = ? AND state = 'pending'`
)

// enqueue stores r as pending unless a reversal of the same original is
// already queued, and returns the id of the stored row either way.
func (s *reversalStore) enqueue(ctx context.Context, r *reversalRecord) (string, error) {
	var got string
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, insertReversal, s.ids.New(PrefixReversal), r.Bank, r.AcquirerID, r.OriginalMTI, r.OriginalSTAN,
			r.OriginalTime, r.RRN, r.ProcessingCode, r.AmountMinor, r.Currency, r.TerminalID, r.MerchantID, r.ReasonCode,
			tx.Now().UnixMilli(), tx.Now())
		if err != nil {
			return err
		}
		return tx.QueryRow(ctx, selectReversalID, r.Bank, r.AcquirerID, r.OriginalSTAN, r.OriginalTime).Scan(&got)
	})
	if err != nil {
		return "", fmt.Errorf("enqueue reversal: %w", err)
	}
	return got, nil
}

// claim takes up to limit pending reversals of bank that are due at now and
// leases each for leaseFor(attempts): until then no worker, here or on
// another instance, claims it again.
func (s *reversalStore) claim(ctx context.Context, bank string, now time.Time, limit int, leaseFor func(attempts int) time.Duration) ([]*reversalRecord, error) {
	q := claimDueSQLite
	if s.db.Engine() == db.Postgres {
		q = claimDuePostgres
	}
	var out []*reversalRecord
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		out = out[:0]
		rows, err := tx.Query(ctx, q, bank, now.UnixMilli(), limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			r := new(reversalRecord)
			if err := rows.Scan(&r.ID, &r.Bank, &r.AcquirerID, &r.OriginalMTI, &r.OriginalSTAN, &r.OriginalTime, &r.RRN,
				&r.ProcessingCode, &r.AmountMinor, &r.Currency, &r.TerminalID, &r.MerchantID, &r.ReasonCode, &r.Attempts); err != nil {
				rows.Close()
				return err
			}
			out = append(out, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range out {
			if _, err := tx.Exec(ctx, leaseReversal, now.Add(leaseFor(r.Attempts)).UnixMilli(), r.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim reversals: %w", err)
	}
	return out, nil
}

// reversed marks a reversal acknowledged; it reports whether this call
// made the change (false if it was already reversed).
func (s *reversalStore) reversed(ctx context.Context, id, code string) (bool, error) {
	var n int64
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, markReversed, code, tx.Now(), id)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return false, fmt.Errorf("mark reversal %s reversed: %w", id, err)
	}
	return n == 1, nil
}

// attempted records an advice that went out without being acknowledged.
func (s *reversalStore) attempted(ctx context.Context, id, code string, next time.Time) error {
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, markAttempt, code, next.UnixMilli(), id)
		return err
	})
	if err != nil {
		return fmt.Errorf("record reversal %s attempt: %w", id, err)
	}
	return nil
}

// get reads one reversal by the keys of its original request.
func (s *reversalStore) get(ctx context.Context, bank, acquirer string, ref Reference) (Reversal, error) {
	var (
		r        Reversal
		state    string
		reversed sql.NullTime
	)
	err := s.db.QueryRow(ctx, selectReversal, bank, acquirer, ref.STAN, ref.TransmissionTime).Scan(
		&r.ID, &r.Bank, &r.Original.STAN, &r.Original.TransmissionTime, &r.Original.RRN, &r.ProcessingCode,
		&r.AmountMinor, &r.Currency, &r.ReasonCode, &state, &r.Attempts, &r.ResponseCode, &r.CreatedAt, &reversed)
	if errors.Is(err, sql.ErrNoRows) {
		return Reversal{}, ErrReversalNotFound
	}
	if err != nil {
		return Reversal{}, fmt.Errorf("read reversal: %w", err)
	}
	r.State = ReversalState(state)
	r.CreatedAt = r.CreatedAt.UTC()
	if reversed.Valid {
		r.ReversedAt = reversed.Time.UTC()
	}
	return r, nil
}

// pending counts the bank's reversals not yet acknowledged.
func (s *reversalStore) pending(ctx context.Context, bank string) (int, error) {
	var n int
	if err := s.db.QueryRow(ctx, countPending, bank).Scan(&n); err != nil {
		return 0, fmt.Errorf("count pending reversals: %w", err)
	}
	return n, nil
}
