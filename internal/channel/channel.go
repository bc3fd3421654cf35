// Package channel is the seam between the payment service and the ways a
// payer can pay (bank card now; account balance, foreign and prepaid cards,
// phone and offline remittance later). A channel turns a charge into its
// provider's protocol and reports one of three outcomes; the payment service
// owns states, books and notifications.
package channel

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"paygate/internal/db"
	"paygate/internal/money"
)

// Card is what a payer types on the cashier page. The PIN lives only for the
// call that carries it: channels turn it into a PIN block at once. Printing
// or logging a Card shows the number masked and never the PIN.
type Card struct {
	PAN    string
	PIN    string
	Expiry string // YYMM, or ""
}

// Masked returns the card number as shown to people: 622202******0018.
func (c Card) Masked() string { return MaskPAN(c.PAN) }

// String returns the masked number only.
func (c Card) String() string { return c.Masked() }

// Format makes every fmt verb print the masked number.
func (c Card) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(c.Masked())) }

// LogValue implements slog.LogValuer without the PIN.
func (c Card) LogValue() slog.Value { return slog.StringValue(c.Masked()) }

// MaskPAN keeps the first 6 and last 4 digits.
func MaskPAN(pan string) string {
	if len(pan) < 11 {
		return strings.Repeat("*", len(pan))
	}
	return pan[:6] + strings.Repeat("*", len(pan)-10) + pan[len(pan)-4:]
}

// Charge asks a channel to take money from the payer.
type Charge struct {
	PaymentID string
	AttemptID string
	Amount    money.Amount
	Card      Card
	// Payer is the paying account's id, for channels that take money from
	// an account balance.
	Payer string
}

// Status is the outcome of a charge.
type Status string

// Outcomes. Unknown means the provider may or may not have taken the money:
// the channel has started resolving it (e.g. by reversal) and reports the
// resolution later.
const (
	Approved Status = "approved"
	Declined Status = "declined"
	Unknown  Status = "unknown"
)

// Result is what a channel reports.
type Result struct {
	Status  Status
	Code    string // provider's response code, e.g. ISO 8583 field 39
	Message string // short English reason, safe to show
	// Provider references, for reconciliation and refunds.
	Provider         string // e.g. the bank: "icbc"
	STAN             string
	TransmissionTime string
	RRN              string
	AuthCode         string
	ReversalID       string // set when an unknown charge is being reversed
	// Source is the ledger account the money comes from; "" means the
	// provider's clearing account, bank:<Provider>:clearing:<currency>.
	Source string
	// Destination is, for a refund, the ledger account the money goes back
	// to; "" means the provider's clearing account.
	Destination string
}

// Channel takes payments by one method.
type Channel interface {
	// Method names the payment method: "bankcard", …
	Method() string
	// Charge takes c.Amount. An error means nothing reached the provider
	// (nothing to resolve); an Unknown result means it might have.
	Charge(ctx context.Context, c Charge) (Result, error)
}

// InBooks is an optional capability of a channel whose money is already in
// the gateway's books (the account balance; later prepaid cards): its
// charge is made inside the transaction that records the payment, so it is
// approved or refused with the payment and can never end unknown. Such a
// channel's Charge is not used.
type InBooks interface {
	// ChargeTx checks and counts the charge within tx and returns an
	// approved Result naming the ledger account to take the money from
	// (Result.Source); the caller's ledger entry moves it, and the
	// account's no-negative rule refuses what the balance cannot cover. An
	// error refuses the charge; the caller rolls tx back.
	ChargeTx(ctx context.Context, tx *db.Tx, c Charge) (Result, error)
}

// ErrInBooks is what an [InBooks] channel's Charge returns: its charges are
// only made inside a transaction.
var ErrInBooks = errors.New("channel: this channel charges only inside the payment's transaction (ChargeTx)")

// Resolution is what became of a charge whose outcome was not recorded.
type Resolution int

// Resolutions.
const (
	Unresolved   Resolution = iota // still being resolved: ask again later
	Reversed                       // it was reversed: nothing is taken
	NothingTaken                   // it never took money (never sent, or declined)
)

// Resolver is an optional capability of a channel whose charges can end
// unknown: it tells what became of the charge made for an attempt, even one
// whose outcome was never recorded because the process died mid-charge.
type Resolver interface {
	Resolve(ctx context.Context, attemptID string, provider string) (Resolution, error)
}

// Confirmer is an optional capability of a channel whose approvals are held
// until recorded: Confirm runs inside the transaction that records the
// approved attempt (payment succeeded, ledger entry, notification), so the
// provider's safety net — a reversal sent if the approval is never
// recorded — is removed exactly when the approval is recorded. It fails
// with [ErrNotConfirmable] when the net has already been used.
type Confirmer interface {
	Confirm(ctx context.Context, tx *db.Tx, attemptID, provider string) error
}

// ErrNotConfirmable means an approval came too late to be recorded: the
// provider is already reversing it, so the attempt must be treated as
// unknown.
var ErrNotConfirmable = errors.New("channel: approval can no longer be confirmed; it is being reversed")

// CardChecker is an optional capability of a card channel: CheckCard says,
// without sending anything, whether the channel can take the card at all
// (some bank serves it), so that nothing is recorded for a card that can
// go nowhere.
type CardChecker interface {
	CheckCard(c Card) error
}

// Payout asks a channel to pay money to a card (withdrawals from a balance;
// later merchant payouts).
type Payout struct {
	// AttemptID is the caller's reference for this payout: the provider
	// carries it, and [Resolver] and [Confirmer] find the payout by it.
	AttemptID string
	Amount    money.Amount
	Card      Card // no PIN is needed to receive money
}

// Payouter is an optional capability of a channel that can credit a card.
// Its outcomes and their rules are those of a charge: an error means
// nothing reached the provider; Unknown means the provider may have paid
// and the channel has started reversing it; an approval is held until
// confirmed ([Confirmer]) in the transaction that records it.
type Payouter interface {
	Payout(ctx context.Context, p Payout) (Result, error)
}

// Original names the charge a refund gives money back for: the provider
// that took it and the provider's references of it.
type Original struct {
	Provider         string // e.g. the bank: "icbc"
	STAN             string
	TransmissionTime string // field 7 of the charge, MMDDhhmmss
	RRN              string
}

// Refund asks a channel to give money back to where a payment came from:
// the card it was charged to, or the account balance it was paid from.
type Refund struct {
	// RefundID is the refund this try is for.
	RefundID string
	// AttemptID is the caller's reference of this try ("rfa_…"): the
	// provider carries it, and [Resolver] and [Confirmer] find the try by
	// it. Every try has its own.
	AttemptID string
	PaymentID string
	Amount    money.Amount
	Original  Original
	// Card is the card the payment was charged to (no PIN: a refund needs
	// none), for card channels.
	Card Card
	// Payer is the account the payment was paid from, for in-books
	// channels.
	Payer string
}

// Refunder is an optional capability of a channel that can give a charge's
// money back through its provider (a card refund). Its outcomes and their
// rules are those of a charge: an error means nothing reached the
// provider; Unknown means the provider may have paid it back and the
// channel has started reversing the refund; an approval is held until
// confirmed ([Confirmer]) in the transaction that records it, so a refund
// is never paid without being recorded.
type Refunder interface {
	Refund(ctx context.Context, r Refund) (Result, error)
}

// InBooksRefunder is the refund capability of an [InBooks] channel: the
// money goes back inside the transaction that records the refund, so it is
// approved or refused with it and never unknown.
type InBooksRefunder interface {
	// RefundTx returns, within tx, an approved Result naming the ledger
	// account the money goes back to (Result.Destination); the caller's
	// ledger entry moves it. An error refuses the refund.
	RefundTx(ctx context.Context, tx *db.Tx, r Refund) (Result, error)
}
