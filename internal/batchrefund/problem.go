package batchrefund

// Problem codes of a line ([Line.Problem]). They are stable: the portal and
// the results sheet show them, and merchants may filter on them.
const (
	ProblemMissingOrder      = "missing_order"
	ProblemOrderNotFound     = "order_not_found"
	ProblemAmountMalformed   = "amount_malformed"
	ProblemAmountNotPositive = "amount_not_positive"
	ProblemAmountExceeds     = "amount_exceeds_refundable"
	ProblemWindowPassed      = "refund_window_passed"
	ProblemNotRefundable     = "payment_not_refundable"
	ProblemDuplicateLine     = "duplicate_line"
	ProblemRefundNoUsed      = "refund_no_used"
	ProblemRefundNoInvalid   = "refund_no_invalid"
	ProblemReasonTooLong     = "reason_too_long"
	ProblemCurrencyMismatch  = "currency_mismatch"
	ProblemRefundRefused     = "refund_refused"
)

// Problems describes every problem code, for a legend next to a report.
var Problems = []struct{ Code, Meaning string }{
	{ProblemMissingOrder, "The line has no merchant order number."},
	{ProblemOrderNotFound, "No payment of this merchant has this order number."},
	{ProblemAmountMalformed, "The amount is empty, not a decimal number of yuan (12.34 or 1,234.50), or has more decimals than the currency."},
	{ProblemAmountNotPositive, "The amount is zero or negative."},
	{ProblemAmountExceeds, "The amount is more than what is left to refund on the payment, counting the earlier lines of the sheet for the same order."},
	{ProblemWindowPassed, "The payment succeeded too long ago to be refunded."},
	{ProblemNotRefundable, "The payment has not succeeded, so there is nothing to refund."},
	{ProblemDuplicateLine, "The line repeats an earlier line: same order, amount and refund number."},
	{ProblemRefundNoUsed, "The refund number was already used for this payment, or earlier in the sheet for the same order."},
	{ProblemRefundNoInvalid, "The refund number is longer than 64 bytes, or contains spaces or unprintable characters."},
	{ProblemReasonTooLong, "The reason is longer than 256 characters."},
	{ProblemCurrencyMismatch, "The payment is in another currency than the sheet's other lines; refund it in a sheet of its own."},
	{ProblemRefundRefused, "The payment service refused the refund on confirmation."},
}
