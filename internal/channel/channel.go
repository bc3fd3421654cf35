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
}

// Channel takes payments by one method.
type Channel interface {
	// Method names the payment method: "bankcard", …
	Method() string
	// Charge takes c.Amount. An error means nothing reached the provider
	// (nothing to resolve); an Unknown result means it might have.
	Charge(ctx context.Context, c Charge) (Result, error)
}

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
