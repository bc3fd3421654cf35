// Package payment is the main control of paygate (MISSION M1): payments and
// their attempts, their states, the ledger entries they make and the
// notifications they send.
//
// Invariants:
//   - A payment moves created → processing → succeeded, or back from
//     processing to created when an attempt is declined or reversed, or to
//     closed (by the merchant, or on expiry) from created. It never succeeds
//     twice and never leaves succeeded or closed.
//   - At most one attempt is in flight: an unknown attempt keeps the payment
//     processing until its reversal is acknowledged.
//   - Success, its ledger entry (bank clearing → merchant pending, fee →
//     income) and its notification commit in one transaction.
//   - merchant_order_no is unique per merchant; a merchant sees only its own
//     payments.
//   - Refunds give a succeeded payment's money back to its card or
//     account balance within the refund window: refunded + in flight never
//     exceeds the amount paid (checked under the payment's row lock), a
//     merchant_refund_no is used once per payment, and a refund pays the
//     payer exactly once — a try whose outcome is unknown is reversed
//     before a new try is made.
//   - A refund's success, its ledger entry (merchant pending and the fee
//     in proportion → the card's bank clearing or the payer's balance) and
//     its notification commit in one transaction.
//   - No PIN or CVV is stored; attempts keep the masked card number, and the
//     full number only sealed by the vault (AES-256-GCM), for refunds.
package payment

import (
	"time"

	"paygate/internal/errs"
	"paygate/internal/money"
)

// Status of a payment.
type Status string

// Payment statuses (DESIGN §3).
const (
	Created    Status = "created"
	Processing Status = "processing"
	Succeeded  Status = "succeeded"
	Closed     Status = "closed"
)

// Payment is one order's payment.
type Payment struct {
	ID              string
	MerchantID      string
	MerchantOrderNo string
	Amount          money.Amount
	Subject         string
	NotifyURL       string
	ReturnURL       string
	PayerEmail      string
	Methods         []string
	Status          Status
	Fee             money.Amount
	Refunded        money.Amount // by refunds that succeeded
	Refunding       money.Amount // held by refunds in flight (pending or processing)
	ExpiresAt       time.Time
	PaidAt          *time.Time
	ClosedAt        *time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// AttemptState is the state of one try at a channel.
type AttemptState string

// Attempt states (DESIGN §3).
const (
	AttemptSent     AttemptState = "sent"
	AttemptApproved AttemptState = "approved"
	AttemptDeclined AttemptState = "declined"
	AttemptUnknown  AttemptState = "unknown"
	AttemptReversed AttemptState = "reversed"
)

// Attempt is one try to pay a payment.
type Attempt struct {
	ID           string
	PaymentID    string
	Channel      string
	Bank         string
	CardMasked   string
	PayerAccount string // the paying account, for payments from a balance
	State        AttemptState
	ResponseCode string
	Message      string
	RRN          string
	AuthCode     string
	ReversalID   string
	CreatedAt    time.Time

	cardSealed string // the card number sealed by Options.Vault, for refunds
}

// Errors, with their stable API codes.
var (
	ErrNotFound            = errs.E(errs.NotFound, "payment_not_found", "No such payment.")
	ErrInvalid             = errs.E(errs.Invalid, "payment_invalid", "The payment request is invalid.")
	ErrDuplicateOrder      = errs.E(errs.Conflict, "merchant_order_no_exists", "A payment with this merchant_order_no already exists.")
	ErrNotPayable          = errs.E(errs.Conflict, "payment_not_payable", "The payment cannot be paid in its current state.")
	ErrExpired             = errs.E(errs.Conflict, "payment_expired", "The payment has expired.")
	ErrNotClosable         = errs.E(errs.Conflict, "payment_not_closable", "Only an unpaid payment with no attempt in flight can be closed.")
	ErrMethodNotAllowed    = errs.E(errs.Unprocessable, "payment_method_not_allowed", "The merchant does not accept this payment method for this payment.")
	ErrInsufficientBalance = errs.E(errs.Unprocessable, "account_insufficient_balance", "The account balance is not enough for this payment.")
	ErrAttemptInProgress   = errs.E(errs.Conflict, "attempt_in_progress", "An earlier attempt is still being resolved.")
)
