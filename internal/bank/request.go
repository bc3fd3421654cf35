package bank

import (
	"fmt"
	"log/slog"
	"strings"

	"paygate/internal/money"
)

// Request is one card operation. It holds the clear PIN only for the
// duration of the call that receives it: the connector turns it into a
// PIN block under the link's ZPK at once and keeps nothing. Printing or
// logging a Request shows the PAN masked and never the PIN.
type Request struct {
	// PAN is the card number, 12–19 digits.
	PAN string
	// Amount is what to debit, refund or credit; for a balance enquiry only
	// its currency counts.
	Amount money.Amount
	// PIN is the cardholder's clear PIN (4–12 digits), or "" for none
	// (card-not-present, credits).
	PIN string
	// Expiry is the card's expiry date YYMM (field 14), or "".
	Expiry string
	// ClientRef is the caller's opaque reference of this request (at most
	// 64 printable ASCII characters, e.g. the payment attempt id), or "".
	// It is stored with the request's reversal and never sent to the bank:
	// [Reversal.ClientRef], the [Options] OnReversedFunc and
	// [Connector.ReversalByClientRef] tell which request was reversed even
	// when the call that sent it never returned (the process died). Use one
	// reference per request.
	ClientRef string
	// ConfirmApproval keeps an approved request's stored reversal armed
	// until the caller confirms the approval with [Connector.ConfirmTx] in
	// the same transaction that records it (e.g. a payment's success and
	// its ledger entry). If the caller dies first, or its transaction rolls
	// back, the reversal is sent when due and the money goes back: an
	// approval is never taken without being recorded. Needs a ClientRef.
	ConfirmApproval bool
}

// String returns a masked summary: "622202*********0018 12.34 CNY pin=yes".
func (r Request) String() string {
	pin := "no"
	if r.PIN != "" {
		pin = "yes"
	}
	return fmt.Sprintf("%s %s pin=%s", MaskPAN(r.PAN), r.Amount, pin)
}

// Format makes every fmt verb print [Request.String], so %+v and %#v
// cannot dump the PAN or PIN.
func (r Request) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(r.String())) }

// LogValue implements slog.LogValuer with the PAN masked and no PIN.
func (r Request) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("pan", MaskPAN(r.PAN)),
		slog.String("amount", r.Amount.String()),
		slog.Bool("pin", r.PIN != ""),
		slog.String("client_ref", r.ClientRef),
	)
}

// MaskPAN keeps the first 6 and the last 4 digits of a PAN and stars the
// rest; anything shorter than 11 characters is starred out entirely.
func MaskPAN(pan string) string {
	if len(pan) < 11 {
		return strings.Repeat("*", len(pan))
	}
	return pan[:6] + strings.Repeat("*", len(pan)-10) + pan[len(pan)-4:]
}

// Reference identifies an earlier request at the bank, for refunds: the
// keys that go into field 90 plus the retrieval reference number. A
// [Result] carries the Reference of the request it answers.
type Reference struct {
	STAN             string // field 11 of the original
	TransmissionTime string // field 7 of the original, MMDDhhmmss
	RRN              string // field 37 of the original
}
