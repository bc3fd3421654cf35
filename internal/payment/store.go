package payment

import (
	"context"
	"database/sql"
	"strings"

	"paygate/internal/db"
	"paygate/internal/money"
)

var errNoRows = sql.ErrNoRows

const (
	insertPayment = `INSERT INTO payments (id, merchant_id, merchant_order_no, amount_minor, currency, subject,
notify_url, return_url, payer_email, methods, status, expires_at, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	selectPayment = `SELECT id, merchant_id, merchant_order_no, amount_minor, currency, subject, notify_url, return_url,
payer_email, methods, status, fee_minor, refunded_minor, refunding_minor, expires_at, paid_at, closed_at, created_at, updated_at
FROM payments`
	selectAttempts = `SELECT id, payment_id, channel, bank, card_masked, payer_account, state, response_code, message, rrn, auth_code,
reversal_id, created_at FROM payment_attempts WHERE payment_id = ? ORDER BY created_at, id`
	insertAttempt = `INSERT INTO payment_attempts (id, payment_id, channel, bank, card_masked, card_sealed, payer_account, state,
created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'sent', ?, ?)`
	finishAttempt = `UPDATE payment_attempts SET state = ?, response_code = ?, message = ?, stan = ?, transmission_time = ?,
rrn = ?, auth_code = ?, reversal_id = ?, bank = CASE WHEN ? <> '' THEN ? ELSE bank END, updated_at = ? WHERE id = ?`
)

func scanPayment(row interface{ Scan(...any) error }) (Payment, error) {
	var (
		p                                Payment
		amount, fee, refunded, refunding int64
		cur, methods, status             string
		paidAt, closedAt                 sql.NullTime
	)
	err := row.Scan(&p.ID, &p.MerchantID, &p.MerchantOrderNo, &amount, &cur, &p.Subject, &p.NotifyURL, &p.ReturnURL,
		&p.PayerEmail, &methods, &status, &fee, &refunded, &refunding, &p.ExpiresAt, &paidAt, &closedAt, &p.CreatedAt, &p.UpdatedAt)
	if err != nil {
		return Payment{}, err
	}
	c := money.Currency(strings.TrimSpace(cur))
	p.Amount, p.Fee, p.Refunded, p.Refunding = money.New(amount, c), money.New(fee, c), money.New(refunded, c), money.New(refunding, c)
	p.Methods = strings.Split(methods, ",")
	p.Status = Status(status)
	p.ExpiresAt, p.CreatedAt, p.UpdatedAt = p.ExpiresAt.UTC(), p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	if paidAt.Valid {
		t := paidAt.Time.UTC()
		p.PaidAt = &t
	}
	if closedAt.Valid {
		t := closedAt.Time.UTC()
		p.ClosedAt = &t
	}
	return p, nil
}

// lockPayment reads a payment inside tx, locking its row on PostgreSQL
// (SQLite has one writer).
func lockPayment(ctx context.Context, tx *db.Tx, paymentID string) (Payment, error) {
	q := selectPayment + ` WHERE id = ?`
	if tx.Engine() == db.Postgres {
		q += ` FOR UPDATE`
	}
	return scanPayment(tx.QueryRow(ctx, q, paymentID))
}
