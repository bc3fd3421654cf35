// Package money holds amounts of money and the arithmetic on them.
//
// An [Amount] is an int64 count of minor units (fen, cents, yen, fils) plus an
// ISO 4217 [Currency]. Money is never a float anywhere in paygate, and every
// computation on money goes through this package.
//
// The package guarantees:
//
//   - Nothing overflows silently. [Amount.Add], [Amount.Sub], [Amount.Neg],
//     [Amount.MulInt], [MulRat] and [Convert] return an error wrapping
//     [ErrOverflow] when the exact result does not fit in an int64.
//   - Currencies never mix. Combining amounts of different currencies returns
//     an error wrapping [ErrCurrencyMismatch]; only [Convert] changes currency.
//   - Splitting never creates or loses a minor unit. The parts returned by
//     [Allocate] and [Split] sum exactly to the original amount.
//   - Rounding happens in exactly one mode, half-even (banker's rounding), and
//     only where a result cannot be exact: fees ([MulRat]) and foreign
//     exchange ([Convert]). No other package in paygate rounds money.
//   - Text is exact. [Parse] accepts only plain decimal strings with no more
//     fraction digits than the currency has, and [Amount.String] writes the
//     canonical form, so Parse(a.String(), a.Currency()) == a for every
//     int64 and every currency in the table.
//
// The currency table (see [Currencies]) lists the active ISO 4217 currencies
// that have a minor unit, with their numeric code (ISO 8583 field 49) and
// exponent. Codes without a minor unit (precious metals, XDR, XTS, XXX) are
// not money here.
//
// The package imports only the standard library.
package money
