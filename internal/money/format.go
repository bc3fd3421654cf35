package money

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Parse reads a decimal string in major units of cur, such as "12.34" CNY,
// and returns the exact amount (1234 fen).
//
// The grammar is strict, with no spaces, signs other than a leading '-',
// exponents or group separators:
//
//	amount   = [ "-" ] integer [ "." fraction ]
//	integer  = "0" | nonzero-digit { digit }
//	fraction = digit { digit }
//
// So "12", "12.3", "12.30", "0.05", "-0.05" and "-0" are accepted; "",
// "+1", " 1", "1,000", "1e3", "--1", "01", ".5" and "5." are not
// ([ErrSyntax]). The fraction may have at most cur.Exponent() digits:
// "12.345" CNY and "1.5" or "1.0" JPY fail with [ErrPrecision]. A value
// outside the int64 range of minor units fails with [ErrOverflow], and a
// currency not in the table with *[UnknownCurrencyError].
func Parse(s string, cur Currency) (Amount, error) {
	info, err := cur.lookup()
	if err != nil {
		return Amount{}, fmt.Errorf("money: parse %q: %w", s, err)
	}
	neg, intPart, frac, err := splitDecimal(s)
	if err != nil {
		return Amount{}, fmt.Errorf("money: parse %q as %s: %w", s, cur, err)
	}
	if len(frac) > info.exponent {
		return Amount{}, fmt.Errorf("money: parse %q as %s (%d decimals): %w", s, cur, info.exponent, ErrPrecision)
	}
	// Accumulate the magnitude in uint64, which holds 2^63 = -MinInt64.
	digits := intPart + frac + strings.Repeat("0", info.exponent-len(frac))
	mag, ok := parseMagnitude(digits)
	limit := uint64(math.MaxInt64)
	if neg {
		limit++
	}
	if !ok || mag > limit {
		return Amount{}, fmt.Errorf("money: parse %q as %s: %w", s, cur, ErrOverflow)
	}
	if neg {
		// Two's complement negation maps 2^63 to MinInt64 exactly.
		return Amount{minor: int64(-mag), cur: cur}, nil
	}
	return Amount{minor: int64(mag), cur: cur}, nil
}

// splitDecimal checks s against the amount grammar of [Parse] and returns
// its parts. frac is "" when s has no fraction.
func splitDecimal(s string) (neg bool, intPart, frac string, err error) {
	if rest, ok := strings.CutPrefix(s, "-"); ok {
		neg, s = true, rest
	}
	intPart, frac, hasPoint := strings.Cut(s, ".")
	if !isDigits(intPart) || (hasPoint && !isDigits(frac)) {
		return false, "", "", ErrSyntax
	}
	if len(intPart) > 1 && intPart[0] == '0' {
		return false, "", "", ErrSyntax // leading zero
	}
	return neg, intPart, frac, nil
}

// isDigits reports whether s is non-empty and all ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseMagnitude converts a string of ASCII digits to uint64, reporting
// false on overflow.
func parseMagnitude(digits string) (uint64, bool) {
	var n uint64
	for i := 0; i < len(digits); i++ {
		d := uint64(digits[i] - '0')
		if n > (math.MaxUint64-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// String returns a in major units with exactly cur.Exponent() fraction
// digits and no currency code: "12.34" and "-0.05" for CNY, "1234" for JPY,
// "1.234" for KWD. It is the canonical form read back by [Parse].
func (a Amount) String() string {
	return formatMinor(a.minor, a.cur.Exponent())
}

// Format returns a followed by its currency code, such as "12.34 CNY", for
// messages and logs.
func (a Amount) Format() string {
	return a.String() + " " + string(a.cur)
}

// formatMinor writes minor units as a decimal with exp fraction digits.
func formatMinor(minor int64, exp int) string {
	mag := uint64(minor)
	if minor < 0 {
		mag = -mag // correct for MinInt64 too
	}
	digits := strconv.FormatUint(mag, 10)
	if len(digits) <= exp {
		digits = strings.Repeat("0", exp-len(digits)+1) + digits
	}
	var b strings.Builder
	if minor < 0 {
		b.WriteByte('-')
	}
	cut := len(digits) - exp
	b.WriteString(digits[:cut])
	if exp > 0 {
		b.WriteByte('.')
		b.WriteString(digits[cut:])
	}
	return b.String()
}
