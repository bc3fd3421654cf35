package payment

import (
	"context"
	"database/sql"
	"strings"

	"paygate/internal/db"
	"paygate/internal/money"
)

// The refunds' SQL.
const (
	selectRefund = `SELECT r.id, r.payment_id, r.merchant_id, p.merchant_order_no, r.merchant_refund_no, r.amount_minor, r.currency,
r.reason, r.method, r.status, r.batch_id, r.failure_code, r.failure_message, r.attempts, r.created_at, r.updated_at, r.succeeded_at
FROM refunds r JOIN payments p ON p.id = r.payment_id`
	insertRefund = `INSERT INTO refunds (id, payment_id, merchant_id, merchant_refund_no, amount_minor, currency, reason, method,
status, batch_id, next_try_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?)`
	insertRefundAttempt = `INSERT INTO refund_attempts (id, refund_id, bank, state, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?)`
	// startRefund takes a pending refund for one try; the row lock it takes
	// on PostgreSQL (and SQLite's one writer) lets only one caller win.
	startRefund = `UPDATE refunds SET status = 'processing', attempts = attempts + 1, claim_token = NULL, claimed_until = NULL,
updated_at = ? WHERE id = ? AND status = 'pending' AND next_try_at <= ?`
	// endAttempt records a try's outcome (keeping what an earlier outcome
	// recorded where this one says nothing), from the states listed last.
	endAttempt = `UPDATE refund_attempts SET state = ?,
response_code = CASE WHEN ? <> '' THEN ? ELSE response_code END, message = CASE WHEN ? <> '' THEN ? ELSE message END,
stan = CASE WHEN ? <> '' THEN ? ELSE stan END, transmission_time = CASE WHEN ? <> '' THEN ? ELSE transmission_time END,
rrn = CASE WHEN ? <> '' THEN ? ELSE rrn END, auth_code = ?, reversal_id = CASE WHEN ? <> '' THEN ? ELSE reversal_id END,
updated_at = ? WHERE id = ? AND state IN (?, ?)`

	// claimRefundsSQLite leases up to ? due pending refunds in due order.
	// SQLite has one writer, so claims never overlap.
	claimRefundsSQLite = `UPDATE refunds SET claim_token = ?, claimed_until = ?
WHERE id IN (SELECT id FROM refunds WHERE status = 'pending' AND next_try_at <= ?
             AND (claimed_until IS NULL OR claimed_until <= ?) ORDER BY next_try_at LIMIT ?)
RETURNING id`
	// claimRefundsPostgres is the same claim for many instances: rows
	// another worker is claiming right now are skipped, not waited for.
	claimRefundsPostgres = `UPDATE refunds SET claim_token = ?, claimed_until = ?
WHERE id IN (SELECT id FROM refunds WHERE status = 'pending' AND next_try_at <= ?
             AND (claimed_until IS NULL OR claimed_until <= ?) ORDER BY next_try_at LIMIT ?
             FOR UPDATE SKIP LOCKED)
RETURNING id`
)

func scanRefund(row interface{ Scan(...any) error }) (Refund, error) {
	var (
		r           Refund
		amount      int64
		cur, status string
		succeeded   sql.NullTime
	)
	err := row.Scan(&r.ID, &r.PaymentID, &r.MerchantID, &r.MerchantOrderNo, &r.MerchantRefundNo, &amount, &cur, &r.Reason,
		&r.Method, &status, &r.BatchID, &r.FailureCode, &r.FailureMessage, &r.Attempts, &r.CreatedAt, &r.UpdatedAt, &succeeded)
	if err != nil {
		return Refund{}, err
	}
	r.Amount = money.New(amount, money.Currency(strings.TrimSpace(cur)))
	r.Status = RefundStatus(status)
	r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	if succeeded.Valid {
		t := succeeded.Time.UTC()
		r.SucceededAt = &t
	}
	return r, nil
}

// charge is the approved attempt that took a payment's money: where a
// refund gives it back.
type charge struct {
	attemptID, channel, bank             string
	stan, transmissionTime, rrn          string
	cardSealed, cardMasked, payerAccount string
}

const selectCharge = `SELECT id, channel, bank, stan, transmission_time, rrn, card_sealed, card_masked, payer_account
FROM payment_attempts WHERE payment_id = ? AND state = 'approved' ORDER BY created_at DESC, id DESC LIMIT 1`

func scanCharge(row *sql.Row) (charge, error) {
	var c charge
	err := row.Scan(&c.attemptID, &c.channel, &c.bank, &c.stan, &c.transmissionTime, &c.rrn, &c.cardSealed, &c.cardMasked,
		&c.payerAccount)
	return c, err
}

// chargeOf returns the approved attempt of a succeeded payment within tx.
func (s *Service) chargeOf(ctx context.Context, tx *db.Tx, paymentID string) (charge, error) {
	c, err := scanCharge(tx.QueryRow(ctx, selectCharge, paymentID))
	if err != nil {
		return charge{}, notFoundCharge(paymentID, err)
	}
	return c, nil
}
