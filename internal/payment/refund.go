package payment

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"paygate/internal/channel"
	"paygate/internal/db"
	"paygate/internal/errs"
	"paygate/internal/id"
	"paygate/internal/money"
)

// RefundStatus is the state of a refund (DESIGN §3): pending → processing
// → succeeded | failed.
type RefundStatus string

// Refund statuses.
const (
	RefundPending    RefundStatus = "pending"
	RefundProcessing RefundStatus = "processing"
	RefundSucceeded  RefundStatus = "succeeded"
	RefundFailed     RefundStatus = "failed"
)

// DefaultRefundWindow is how long after its success a payment may be
// refunded unless [Options].RefundWindow says otherwise: 90 days.
const DefaultRefundWindow = 90 * 24 * time.Hour

// PrefixRefundAttempt names the tries at refunds ("rfa_…"), which are also
// the client references the bank connectors carry: an acknowledged
// reversal whose client reference has this prefix is a refund's
// ([Service.RefundReversed]).
const PrefixRefundAttempt = "rfa"

// IsRefundAttempt reports whether a client reference names a try at a
// refund.
func IsRefundAttempt(ref string) bool { return strings.HasPrefix(ref, PrefixRefundAttempt+"_") }

// Refund gives part or all of a succeeded payment back to where it came
// from: the payer's card (through the issuing bank's refund message) or
// account balance.
type Refund struct {
	ID               string // rf_…
	PaymentID        string
	MerchantID       string
	MerchantOrderNo  string // the payment's
	MerchantRefundNo string // unique per payment
	Amount           money.Amount
	Reason           string
	Method           string // the payment's method: "bankcard" or "account"
	Status           RefundStatus
	BatchID          string // set for refunds from a refund sheet
	FailureCode      string // when failed: a stable code (Failure… constants)
	FailureMessage   string
	Attempts         int // tries made so far
	CreatedAt        time.Time
	UpdatedAt        time.Time
	SucceededAt      *time.Time
}

// Failure codes of failed refunds ([Refund].FailureCode), stable like API
// error codes.
const (
	// FailureBankDeclined: the card's bank refused the refund;
	// FailureMessage gives its reason.
	FailureBankDeclined = "bank_declined"
	// FailureCardUnavailable: the card number was not kept or cannot be
	// read, or the card no longer routes to the bank that took the payment.
	FailureCardUnavailable = "card_unavailable"
	// FailureRetriesExhausted: no try came to an answer (the bank could not
	// be reached, or each try's outcome was unknown and was reversed).
	FailureRetriesExhausted = "retries_exhausted"
	// FailureMerchantFunds: the merchant's pending balance cannot cover the
	// refund.
	FailureMerchantFunds = "merchant_funds_insufficient"
	// FailureRejected: the channel refused the refund before anything
	// moved; FailureMessage says why.
	FailureRejected = "refund_rejected"
)

// RefundParams ask for a refund.
type RefundParams struct {
	MerchantID string
	// PaymentID or MerchantOrderNo names the payment (one of them; both
	// must name the same payment).
	PaymentID        string
	MerchantOrderNo  string
	MerchantRefundNo string // "" → the refund's id
	// Amount is in the payment's currency; a zero currency ("") stands for
	// the payment's.
	Amount  money.Amount
	Reason  string // up to 256 characters
	BatchID string
}

// Refund errors, with their stable API codes.
var (
	ErrRefundNotFound     = errs.E(errs.NotFound, "refund_not_found", "No such refund.")
	ErrRefundInvalid      = errs.E(errs.Invalid, "refund_invalid", "The refund request is invalid.")
	ErrNotRefundable      = errs.E(errs.Conflict, "payment_not_refundable", "Only a succeeded payment can be refunded.")
	ErrRefundWindowPassed = errs.E(errs.Unprocessable, "refund_window_passed", "The payment succeeded too long ago to be refunded.")
	ErrRefundExceeds      = errs.E(errs.Unprocessable, "refund_amount_exceeds", "The refund amount is more than what is left to refund on this payment.")
	ErrRefundNoReused     = errs.E(errs.Conflict, "merchant_refund_no_exists", "This merchant_refund_no was already used for a different refund of this payment.")
	ErrRefundNotSupported = errs.E(errs.Unprocessable, "refund_not_supported", "This payment cannot be refunded to where it came from.")
)

// checkRefund validates p, trimming its reason.
func checkRefund(p *RefundParams) error {
	bad := func(msg string) error { return fmt.Errorf("%w: %s", ErrRefundInvalid, msg) }
	if p.PaymentID == "" && p.MerchantOrderNo == "" {
		return bad("payment_id or merchant_order_no is required")
	}
	if n := len(p.MerchantRefundNo); n > 64 || !printableNoSpace(p.MerchantRefundNo) {
		return bad("merchant_refund_no must be 1–64 bytes without spaces")
	}
	if p.Amount.Minor() <= 0 {
		return bad("amount must be a positive number of minor units")
	}
	if cur := p.Amount.Currency(); cur != "" {
		if _, err := money.ParseCurrency(string(cur)); err != nil {
			return bad("currency must be an ISO 4217 code")
		}
	}
	p.Reason = strings.TrimSpace(p.Reason)
	if !utf8.ValidString(p.Reason) || utf8.RuneCountInString(p.Reason) > 256 {
		return bad("reason must be at most 256 characters")
	}
	if len(p.BatchID) > 64 || !printableNoSpace(p.BatchID) {
		return bad("batch id must be at most 64 printable characters")
	}
	return nil
}

// printableNoSpace reports whether s is valid UTF-8 of printable
// characters other than spaces ("" is fine).
func printableNoSpace(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) || unicode.IsSpace(r) {
			return false
		}
	}
	return true
}

// CreateRefund records a refund as pending after checking it against the
// payment (succeeded, within the refund window, amount ≤ amount paid −
// refunded − in flight), all under the payment's lock, so concurrent
// refunds never exceed what was paid. The same merchant_refund_no with
// the same amount returns the existing refund (idempotent); with another
// amount, [ErrRefundNoReused]. The refund is due at once: the caller makes
// a try ([Service.ProcessRefund]) or wakes the worker
// ([Service.WakeRefunds]). Errors: [ErrNotFound], [ErrRefundInvalid],
// [ErrNotRefundable], [ErrRefundWindowPassed], [ErrRefundExceeds],
// [ErrRefundNoReused], [ErrRefundNotSupported].
func (s *Service) CreateRefund(ctx context.Context, p RefundParams) (Refund, error) {
	if err := checkRefund(&p); err != nil {
		return Refund{}, err
	}
	var out Refund
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		pay, err := s.lockForRefund(ctx, tx, p)
		if err != nil {
			return err
		}
		if cur := p.Amount.Currency(); cur == "" {
			p.Amount = money.New(p.Amount.Minor(), pay.Amount.Currency())
		} else if cur != pay.Amount.Currency() {
			return fmt.Errorf("%w: the payment is in %s, not %s", ErrRefundInvalid, pay.Amount.Currency(), cur)
		}
		if p.MerchantRefundNo != "" {
			prev, err := scanRefund(tx.QueryRow(ctx, selectRefund+` WHERE r.payment_id = ? AND r.merchant_refund_no = ?`,
				pay.ID, p.MerchantRefundNo))
			switch {
			case err == nil && prev.Amount == p.Amount:
				out = prev
				return nil
			case err == nil:
				return ErrRefundNoReused
			case !errors.Is(err, errNoRows):
				return err
			}
		}
		if pay.Status != Succeeded || pay.PaidAt == nil {
			return ErrNotRefundable
		}
		if !s.windowOpen(pay) {
			return ErrRefundWindowPassed
		}
		left := refundable(pay)
		if p.Amount.Minor() > left.Minor() {
			return fmt.Errorf("%w: at most %s is left to refund", ErrRefundExceeds, left)
		}
		ch, err := s.chargeOf(ctx, tx, pay.ID)
		if err != nil {
			return err
		}
		if err := s.canRefund(ch); err != nil {
			return err
		}
		out, err = s.insertRefund(ctx, tx, pay, ch.channel, p)
		return err
	})
	if db.IsUniqueViolation(err) {
		return Refund{}, ErrRefundNoReused
	}
	if err != nil {
		return Refund{}, fmt.Errorf("create refund: %w", err)
	}
	return out, nil
}

// lockForRefund finds and locks the merchant's payment that p names.
func (s *Service) lockForRefund(ctx context.Context, tx *db.Tx, p RefundParams) (Payment, error) {
	var (
		pay Payment
		err error
	)
	if p.PaymentID != "" {
		pay, err = lockPayment(ctx, tx, p.PaymentID)
	} else {
		q := selectPayment + ` WHERE merchant_id = ? AND merchant_order_no = ?`
		if tx.Engine() == db.Postgres {
			q += ` FOR UPDATE`
		}
		pay, err = scanPayment(tx.QueryRow(ctx, q, p.MerchantID, p.MerchantOrderNo))
	}
	if err != nil {
		return Payment{}, notFound(err)
	}
	if pay.MerchantID != p.MerchantID {
		return Payment{}, ErrNotFound
	}
	if p.MerchantOrderNo != "" && pay.MerchantOrderNo != p.MerchantOrderNo {
		return Payment{}, fmt.Errorf("%w: payment_id and merchant_order_no name different payments", ErrRefundInvalid)
	}
	return pay, nil
}

// windowOpen reports whether a succeeded payment is still within the
// refund window, by the service's clock.
func (s *Service) windowOpen(p Payment) bool {
	return p.PaidAt != nil && s.opts.Clock.Now().Before(p.PaidAt.Add(s.opts.RefundWindow))
}

// refundable is what is left to refund of p: paid − refunded − in flight.
func refundable(p Payment) money.Amount {
	return money.New(p.Amount.Minor()-p.Refunded.Minor()-p.Refunding.Minor(), p.Amount.Currency())
}

// canRefund tells whether a payment charged as ch can be refunded here.
func (s *Service) canRefund(ch charge) error {
	c, ok := s.channels[ch.channel]
	if !ok {
		return fmt.Errorf("%w: payment method %q is not available", ErrRefundNotSupported, ch.channel)
	}
	switch c.(type) {
	case channel.InBooksRefunder:
		if ch.payerAccount == "" {
			return fmt.Errorf("%w: the paying account is not known", ErrRefundNotSupported)
		}
		return nil
	case channel.Refunder:
		if s.opts.Vault == nil || ch.cardSealed == "" {
			return fmt.Errorf("%w: the card number of this payment was not kept", ErrRefundNotSupported)
		}
		return nil
	}
	return fmt.Errorf("%w: payment method %q has no refunds", ErrRefundNotSupported, ch.channel)
}

// insertRefund records the pending refund and holds its amount on the
// payment, within tx.
func (s *Service) insertRefund(ctx context.Context, tx *db.Tx, pay Payment, method string, p RefundParams) (Refund, error) {
	now := tx.Now()
	r := Refund{
		ID: s.opts.IDs.New(id.PrefixRefund), PaymentID: pay.ID, MerchantID: pay.MerchantID, MerchantOrderNo: pay.MerchantOrderNo,
		MerchantRefundNo: p.MerchantRefundNo, Amount: p.Amount, Reason: p.Reason, Method: method, Status: RefundPending,
		BatchID: p.BatchID, CreatedAt: now, UpdatedAt: now,
	}
	if r.MerchantRefundNo == "" {
		r.MerchantRefundNo = r.ID
	}
	if _, err := tx.Exec(ctx, insertRefund, r.ID, r.PaymentID, r.MerchantID, r.MerchantRefundNo, r.Amount.Minor(),
		string(r.Amount.Currency()), r.Reason, r.Method, r.BatchID, s.now(), now, now); err != nil {
		return Refund{}, err
	}
	if _, err := tx.Exec(ctx, `UPDATE payments SET refunding_minor = refunding_minor + ?, updated_at = ? WHERE id = ?`,
		r.Amount.Minor(), now, pay.ID); err != nil {
		return Refund{}, err
	}
	return r, nil
}

// now is the service clock's time as stored: UTC, whole microseconds.
func (s *Service) now() time.Time { return s.opts.Clock.Now().UTC().Truncate(time.Microsecond) }

// GetRefund returns a merchant's refund. Another merchant's refund is
// [ErrRefundNotFound], like one that does not exist.
func (s *Service) GetRefund(ctx context.Context, merchantID, refundID string) (Refund, error) {
	r, err := s.LookupRefund(ctx, refundID)
	if err != nil || r.MerchantID != merchantID {
		return Refund{}, ErrRefundNotFound
	}
	return r, nil
}

// LookupRefund returns any refund by id, for operators and the refund
// worker. Errors: [ErrRefundNotFound].
func (s *Service) LookupRefund(ctx context.Context, refundID string) (Refund, error) {
	r, err := scanRefund(s.db.QueryRow(ctx, selectRefund+` WHERE r.id = ?`, refundID))
	if errors.Is(err, errNoRows) {
		return Refund{}, ErrRefundNotFound
	}
	if err != nil {
		return Refund{}, fmt.Errorf("refund %s: %w", refundID, err)
	}
	return r, nil
}

// Refunds lists a payment's refunds, oldest first. Another merchant's
// payment is [ErrNotFound].
func (s *Service) Refunds(ctx context.Context, merchantID, paymentID string) ([]Refund, error) {
	if _, err := s.Get(ctx, merchantID, paymentID); err != nil {
		return nil, err
	}
	return s.listRefunds(ctx, selectRefund+` WHERE r.payment_id = ? AND r.merchant_id = ? ORDER BY r.created_at, r.id`,
		paymentID, merchantID)
}

// RefundsOfBatch lists the refunds of a refund sheet, by id.
func (s *Service) RefundsOfBatch(ctx context.Context, merchantID, batchID string) ([]Refund, error) {
	if batchID == "" {
		return nil, nil
	}
	return s.listRefunds(ctx, selectRefund+` WHERE r.merchant_id = ? AND r.batch_id = ? ORDER BY r.id`, merchantID, batchID)
}

func (s *Service) listRefunds(ctx context.Context, q string, args ...any) ([]Refund, error) {
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list refunds: %w", err)
	}
	defer rows.Close()
	var out []Refund
	for rows.Next() {
		r, err := scanRefund(rows)
		if err != nil {
			return nil, fmt.Errorf("list refunds: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list refunds: %w", err)
	}
	return out, nil
}

// Refundable returns how much of a payment can still be refunded (amount
// paid − refunded − in flight) and whether the refund window is still
// open, from the payment as it stands now. A payment that has not
// succeeded has nothing to refund.
func (s *Service) Refundable(ctx context.Context, p Payment) (left money.Amount, windowOpen bool, err error) {
	cur, err := s.Lookup(ctx, p.ID)
	if err != nil {
		return money.Amount{}, false, err
	}
	if cur.Status != Succeeded {
		return money.Zero(cur.Amount.Currency()), false, nil
	}
	return refundable(cur), s.windowOpen(cur), nil
}

// RefundAttempt is one try at a refund through a provider (a bank); a
// refund to an account balance has one, approved.
type RefundAttempt struct {
	ID           string // rfa_…
	RefundID     string
	Bank         string
	State        AttemptState
	ResponseCode string
	Message      string
	STAN         string
	RRN          string
	AuthCode     string
	ReversalID   string
	CreatedAt    time.Time
}

// RefundAttempts returns a refund's tries, oldest first.
func (s *Service) RefundAttempts(ctx context.Context, refundID string) ([]RefundAttempt, error) {
	rows, err := s.db.Query(ctx, `SELECT id, refund_id, bank, state, response_code, message, stan, rrn, auth_code, reversal_id, created_at
FROM refund_attempts WHERE refund_id = ? ORDER BY created_at, id`, refundID)
	if err != nil {
		return nil, fmt.Errorf("attempts of refund %s: %w", refundID, err)
	}
	defer rows.Close()
	var out []RefundAttempt
	for rows.Next() {
		var a RefundAttempt
		if err := rows.Scan(&a.ID, &a.RefundID, &a.Bank, &a.State, &a.ResponseCode, &a.Message, &a.STAN, &a.RRN, &a.AuthCode,
			&a.ReversalID, &a.CreatedAt); err != nil {
			return nil, fmt.Errorf("attempts of refund %s: %w", refundID, err)
		}
		a.CreatedAt = a.CreatedAt.UTC()
		out = append(out, a)
	}
	return out, rows.Err()
}
