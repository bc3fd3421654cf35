package money

import (
	"fmt"
	"math"
	"math/big"
	"strings"
)

// MaxRateDigits is the most fraction digits a [Rate] may have.
const MaxRateDigits = 12

// Rate is an exact, positive decimal exchange rate: units of the target
// currency per one unit of the source currency, in major units. "7.1234"
// means 1 USD = 7.1234 CNY.
//
// A Rate is held as an int64 mantissa and a decimal scale with trailing
// zeros removed, so "7.10" and "7.1" are the same value and == compares
// rates correctly. The zero Rate is invalid; make rates with [ParseRate].
type Rate struct {
	mant  int64 // > 0 for a valid rate
	scale int   // 0..MaxRateDigits; value = mant / 10^scale
}

// ParseRate reads a positive decimal rate such as "7.1234" or "150.5", with
// at most [MaxRateDigits] fraction digits. The grammar is that of [Parse]
// without the sign. It fails with [ErrSyntax] for malformed input
// (including "-1"), [ErrPrecision] for too many fraction digits,
// [ErrInvalidRate] for zero, and [ErrOverflow] when the digits do not fit
// in an int64 mantissa.
func ParseRate(s string) (Rate, error) {
	neg, intPart, frac, err := splitDecimal(s)
	if err == nil && neg {
		err = ErrSyntax
	}
	if err != nil {
		return Rate{}, fmt.Errorf("money: parse rate %q: %w", s, err)
	}
	if len(frac) > MaxRateDigits {
		return Rate{}, fmt.Errorf("money: parse rate %q (max %d decimals): %w", s, MaxRateDigits, ErrPrecision)
	}
	frac = strings.TrimRight(frac, "0")
	mag, ok := parseMagnitude(intPart + frac)
	if !ok || mag > math.MaxInt64 {
		return Rate{}, fmt.Errorf("money: parse rate %q: %w", s, ErrOverflow)
	}
	if mag == 0 {
		return Rate{}, fmt.Errorf("money: parse rate %q: %w", s, ErrInvalidRate)
	}
	return Rate{mant: int64(mag), scale: len(frac)}, nil
}

// String returns the rate in canonical decimal form, without trailing
// zeros: "7.1234", "150.5", "1".
func (r Rate) String() string {
	return formatMinor(r.mant, r.scale)
}

// IsZero reports whether r is the zero (invalid) Rate.
func (r Rate) IsZero() bool { return r.mant == 0 }

// Convert converts a into currency to at rate r (units of to per unit of
// a's currency), rounding half-even to a minor unit of to. The exponents
// of both currencies are taken into account:
//
//	12.34 USD at 7.1   → 87.61 CNY  (87.614 rounded)
//	 1.00 USD at 150.5 → 150 JPY    (150.5, a tie, rounds to even)
//
// Converting into a's own currency applies r as a factor, which suits
// decimal fee rates. It fails with *[UnknownCurrencyError] when either
// currency is not in the table, with [ErrInvalidRate] for the zero Rate and
// with [ErrOverflow] when the result does not fit.
func Convert(a Amount, to Currency, r Rate) (Amount, error) {
	from, err := a.cur.lookup()
	if err != nil {
		return Amount{}, fmt.Errorf("money: convert %s to %s: %w", a.Format(), to, err)
	}
	dst, err := to.lookup()
	if err != nil {
		return Amount{}, fmt.Errorf("money: convert %s to %s: %w", a.Format(), to, err)
	}
	if r.mant <= 0 {
		return Amount{}, fmt.Errorf("money: convert %s to %s: %w", a.Format(), to, ErrInvalidRate)
	}
	// minor_to = minor_from × mant / 10^scale × 10^exp_to / 10^exp_from
	num := new(big.Int).Mul(big.NewInt(a.minor), big.NewInt(r.mant))
	num.Mul(num, pow10(dst.exponent))
	den := pow10(from.exponent + r.scale)
	return toAmount(quoHalfEven(num, den), to, fmt.Sprintf("convert %s to %s at %s", a.Format(), to, r))
}

// pow10 returns 10^n for n >= 0.
func pow10(n int) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}
