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

// ReversalState is where a stored reversal stands.
type ReversalState string

// Reversal states.
const (
	// ReversalArmed: stored before its request was sent and not yet needed.
	// The connector that sent the request deletes the row when a definitive
	// answer arrives (or nothing was sent) and turns it pending when the
	// outcome is unknown. A row still armed past its due time was abandoned
	// (its owner died or hung): any reversal worker then sends it like a
	// pending one.
	ReversalArmed ReversalState = "armed"
	// ReversalPending: not yet acknowledged by the bank; the worker keeps
	// sending it.
	ReversalPending ReversalState = "pending"
	// ReversalReversed: the bank acknowledged it with 0430; the original
	// request ended reversed (or, with response code 25, the bank had no
	// approved original to reverse).
	ReversalReversed ReversalState = "reversed"
	// ReversalVoid: an operator decided it is not to be sent. Nothing in
	// this package writes it and no worker sends it.
	ReversalVoid ReversalState = "void"
)

// Reversal is one row of the reversal queue.
type Reversal struct {
	ID             string
	Bank           string
	Original       Reference // the request being reversed
	ClientRef      string    // the caller's [Request.ClientRef] of that request
	ProcessingCode string
	AmountMinor    int64
	Currency       string // ISO 4217 numeric
	ReasonCode     string // why: ReasonTimeout, ReasonLinkLost, ReasonBadMAC, ReasonMalformed
	State          ReversalState
	Attempts       int    // advices sent (0420 then 0421s)
	ResponseCode   string // field 39 of the last answer: 00 reversed, 25 nothing to reverse
	CreatedAt      time.Time
	ReversedAt     time.Time // zero until reversed
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
	ClientRef      string
	Attempts       int
	Abandoned      bool // claimed while armed: its owner never resolved it
}

// reversalStore is the SQL of the bank_reversals table.
type reversalStore struct {
	db  *db.DB
	ids *id.Generator
}

// PrefixReversal is the id prefix of queued reversals ("rev_…").
const PrefixReversal = "rev"

const (
	// armReversal has no ON CONFLICT: a row already holding these keys
	// belongs to another request, and this one must then not be sent.
	armReversal = `INSERT INTO bank_reversals (id, bank, acquirer_id, original_mti, original_stan, original_time, rrn,
	processing_code, amount_minor, currency, terminal_id, merchant_id, reason_code, state, attempts, next_attempt_ms,
	created_at, client_ref)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'armed', 0, ?, ?, ?)`
	disarmReversal = `DELETE FROM bank_reversals WHERE id = ? AND state = 'armed'`
	confirmArmed   = `DELETE FROM bank_reversals WHERE bank = ? AND client_ref = ? AND state = 'armed'`
	pendArmed      = `UPDATE bank_reversals SET state = 'pending', reason_code = ?, next_attempt_ms = ?
WHERE id = ? AND state = 'armed'`

	insertReversal = `INSERT INTO bank_reversals (id, bank, acquirer_id, original_mti, original_stan, original_time, rrn,
	processing_code, amount_minor, currency, terminal_id, merchant_id, reason_code, state, attempts, next_attempt_ms,
	created_at, client_ref)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)
ON CONFLICT (bank, acquirer_id, original_stan, original_time) DO NOTHING`
	selectReversalID = `SELECT id FROM bank_reversals
WHERE bank = ? AND acquirer_id = ? AND original_stan = ? AND original_time = ?`

	reversalColumns = `id, bank, acquirer_id, original_mti, original_stan, original_time, rrn, processing_code,
	amount_minor, currency, terminal_id, merchant_id, reason_code, client_ref, attempts, state`
	// claimDueSQLite takes pending rows that are due and armed rows whose
	// owner let them pass their due time.
	claimDueSQLite = `SELECT ` + reversalColumns + ` FROM bank_reversals
WHERE bank = ? AND state IN ('pending', 'armed') AND next_attempt_ms <= ?
ORDER BY next_attempt_ms LIMIT ?`
	// claimDuePostgres skips rows another instance is claiming right now;
	// the lease written below keeps them from being claimed again until
	// the advice has had time to be answered. The row lock also makes an
	// owner that comes back late wait, then find its row no longer armed.
	claimDuePostgres = claimDueSQLite + ` FOR UPDATE SKIP LOCKED`
	// leaseReversal also turns a claimed armed row pending: from then on
	// its owner can no longer delete it, and the worker's updates apply.
	leaseReversal = `UPDATE bank_reversals SET next_attempt_ms = ?, state = 'pending' WHERE id = ?`

	markReversed = `UPDATE bank_reversals SET state = 'reversed', attempts = attempts + 1, response_code = ?, reversed_at = ?
WHERE id = ? AND state = 'pending'`
	markAttempt = `UPDATE bank_reversals SET attempts = attempts + 1, response_code = ?, next_attempt_ms = ?
WHERE id = ? AND state = 'pending'`

	selectReversalFields = `SELECT id, bank, original_stan, original_time, rrn, client_ref, processing_code, amount_minor,
	currency, reason_code, state, attempts, response_code, created_at, reversed_at
FROM bank_reversals `
	selectReversal = selectReversalFields +
		`WHERE bank = ? AND acquirer_id = ? AND original_stan = ? AND original_time = ?`
	// selectReversalByRef takes the newest row should a caller have used
	// one reference for several requests.
	selectReversalByRef = selectReversalFields +
		`WHERE bank = ? AND acquirer_id = ? AND client_ref = ? ORDER BY created_at DESC, id DESC LIMIT 1`
	countPending = `SELECT count(*) FROM bank_reversals
WHERE bank = ? AND (state = 'pending' OR (state = 'armed' AND next_attempt_ms <= ?))`
)

// arm stores r (with its ID set) as armed, due at due, before its request
// is sent. It fails, and the request must then not be sent, if the row
// cannot be committed.
func (s *reversalStore) arm(ctx context.Context, r *reversalRecord, due time.Time) error {
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, armReversal, r.ID, r.Bank, r.AcquirerID, r.OriginalMTI, r.OriginalSTAN, r.OriginalTime,
			r.RRN, r.ProcessingCode, r.AmountMinor, r.Currency, r.TerminalID, r.MerchantID, r.ReasonCode,
			due.UnixMilli(), tx.Now(), r.ClientRef)
		return err
	})
	if err != nil {
		return fmt.Errorf("arm reversal: %w", err)
	}
	return nil
}

// disarm deletes the armed reversal id once its request has a definitive
// answer, or was never sent. It reports false if the row was no longer
// armed: a worker took it over (its owner was too slow) and the request
// is being, or has been, reversed.
func (s *reversalStore) disarm(ctx context.Context, id string) (bool, error) {
	var n int64
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, disarmReversal, id)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return false, fmt.Errorf("disarm reversal %s: %w", id, err)
	}
	return n == 1, nil
}

// pend turns the armed reversal r.ID pending with reason, due now, once its
// request's outcome is unknown. If the row is no longer armed (a worker
// took it over) it is left as it is; if it is missing it is enqueued. It
// returns the id of the row that reverses the request.
func (s *reversalStore) pend(ctx context.Context, r *reversalRecord, reason string) (string, error) {
	var got string
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, pendArmed, reason, tx.Now().UnixMilli(), r.ID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			got = r.ID
			return err
		}
		q := *r
		q.ReasonCode = reason
		got, err = s.enqueueTx(ctx, tx, &q)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("queue armed reversal %s: %w", r.ID, err)
	}
	return got, nil
}

// enqueue stores r as pending unless a reversal of the same original is
// already stored, and returns the id of the stored row either way.
func (s *reversalStore) enqueue(ctx context.Context, r *reversalRecord) (string, error) {
	var got string
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		got, err = s.enqueueTx(ctx, tx, r)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("enqueue reversal: %w", err)
	}
	return got, nil
}

func (s *reversalStore) enqueueTx(ctx context.Context, tx *db.Tx, r *reversalRecord) (string, error) {
	_, err := tx.Exec(ctx, insertReversal, s.ids.New(PrefixReversal), r.Bank, r.AcquirerID, r.OriginalMTI, r.OriginalSTAN,
		r.OriginalTime, r.RRN, r.ProcessingCode, r.AmountMinor, r.Currency, r.TerminalID, r.MerchantID, r.ReasonCode,
		tx.Now().UnixMilli(), tx.Now(), r.ClientRef)
	if err != nil {
		return "", err
	}
	var got string
	err = tx.QueryRow(ctx, selectReversalID, r.Bank, r.AcquirerID, r.OriginalSTAN, r.OriginalTime).Scan(&got)
	return got, err
}

// claim takes up to limit reversals of bank that are due at now — pending
// ones, and armed ones whose owner let them pass their due time — turns
// them pending and leases each for leaseFor(attempts): until then no
// worker, here or on another instance, claims it again.
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
			var state string
			if err := rows.Scan(&r.ID, &r.Bank, &r.AcquirerID, &r.OriginalMTI, &r.OriginalSTAN, &r.OriginalTime, &r.RRN,
				&r.ProcessingCode, &r.AmountMinor, &r.Currency, &r.TerminalID, &r.MerchantID, &r.ReasonCode, &r.ClientRef,
				&r.Attempts, &state); err != nil {
				rows.Close()
				return err
			}
			r.Abandoned = ReversalState(state) == ReversalArmed
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
	return scanReversal(s.db.QueryRow(ctx, selectReversal, bank, acquirer, ref.STAN, ref.TransmissionTime))
}

// getByClientRef reads the newest reversal of the request the caller
// called clientRef.
func (s *reversalStore) getByClientRef(ctx context.Context, bank, acquirer, clientRef string) (Reversal, error) {
	if clientRef == "" {
		return Reversal{}, ErrReversalNotFound
	}
	return scanReversal(s.db.QueryRow(ctx, selectReversalByRef, bank, acquirer, clientRef))
}

func scanReversal(row *sql.Row) (Reversal, error) {
	var (
		r        Reversal
		state    string
		reversed sql.NullTime
	)
	err := row.Scan(&r.ID, &r.Bank, &r.Original.STAN, &r.Original.TransmissionTime, &r.Original.RRN, &r.ClientRef,
		&r.ProcessingCode, &r.AmountMinor, &r.Currency, &r.ReasonCode, &state, &r.Attempts, &r.ResponseCode,
		&r.CreatedAt, &reversed)
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

// pending counts the bank's reversals waiting to be sent or acknowledged
// at now: pending rows and abandoned (overdue) armed ones.
func (s *reversalStore) pending(ctx context.Context, bank string, now time.Time) (int, error) {
	var n int
	if err := s.db.QueryRow(ctx, countPending, bank, now.UnixMilli()).Scan(&n); err != nil {
		return 0, fmt.Errorf("count pending reversals: %w", err)
	}
	return n, nil
}
