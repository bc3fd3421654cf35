package bank

import (
	"log/slog"

	"paygate/internal/bank/iso8583"
	"paygate/internal/money"
)

// Outcome is what a request to the bank came to.
type Outcome int

// Outcomes.
const (
	// Approved: the bank answered with response code 00.
	Approved Outcome = iota + 1
	// Declined: the bank answered with another response code; nothing
	// happened at the bank.
	Declined
	// Unknown: no trustworthy answer (timeout, broken link, bad MAC,
	// malformed response). Money-moving requests are reversed.
	Unknown
)

// String returns "approved", "declined" or "unknown".
func (o Outcome) String() string {
	switch o {
	case Approved:
		return "approved"
	case Declined:
		return "declined"
	case Unknown:
		return "unknown"
	}
	return "invalid"
}

// Reasons for [Unknown], carried in [Result.ResponseCode] and sent as field
// 39 of the reversal advice.
const (
	ReasonTimeout   = iso8583.RespLateResponse      // 68: no response in time
	ReasonLinkLost  = iso8583.RespSystemMalfunction // 96: link broke after sending
	ReasonBadMAC    = iso8583.RespMACFailure        // A0: response MAC did not verify
	ReasonMalformed = iso8583.RespFormatError       // 30: response did not unpack
	// ReasonNotRecorded: an approval arrived but its armed reversal could
	// not be removed (the database failed, or a worker had already taken
	// the request for abandoned), so the request is reversed instead.
	ReasonNotRecorded = iso8583.RespSystemMalfunction // 96
)

// Result is the answer to one request.
type Result struct {
	// Outcome is approved, declined or unknown.
	Outcome Outcome
	// ResponseCode is field 39 of the answer, or for [Unknown] the reason
	// (ReasonTimeout, ReasonLinkLost, ReasonBadMAC, ReasonMalformed,
	// ReasonNotRecorded).
	ResponseCode string
	// Message describes ResponseCode ("insufficient funds").
	Message string
	// AuthCode is field 38 of an approval.
	AuthCode string
	// Reference identifies the request (STAN, field 7, RRN), for refunds
	// and for [Connector.Reversal].
	Reference Reference
	// Amount is the amount of the request; for an approved balance enquiry
	// it is the available balance the bank returned in field 4.
	Amount money.Amount
	// SettlementDate is field 15 of the answer (MMDD), the bank's business
	// day that will carry the transaction, or "".
	SettlementDate string
	// ReversalID names the queued reversal of an unknown money-moving
	// request ("rev_…"), or "". Approved and declined requests keep no
	// reversal.
	ReversalID string
	// Link is the number of the link (0-based) that carried the request.
	Link int
}

// LogValue implements slog.LogValuer.
func (r Result) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("outcome", r.Outcome.String()),
		slog.String("response_code", r.ResponseCode),
		slog.String("stan", r.Reference.STAN),
		slog.String("rrn", r.Reference.RRN),
		slog.String("reversal_id", r.ReversalID),
	)
}
