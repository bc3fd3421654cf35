package money

import (
	"fmt"
	"math"
)

// Amount is a quantity of money: a signed count of minor units of one
// [Currency]. 12.34 CNY is New(1234, CNY); 1234 JPY is New(1234, JPY).
//
// Amount is a small value type; compare amounts of the same currency with
// == or [Amount.Cmp]. The zero Amount has no currency and is only equal to
// itself.
type Amount struct {
	minor int64
	cur   Currency
}

// New returns minor units of cur. It does not check cur; validate codes
// from outside the process with [ParseCurrency] first.
func New(minor int64, cur Currency) Amount {
	return Amount{minor: minor, cur: cur}
}

// Zero returns the zero amount of cur.
func Zero(cur Currency) Amount {
	return Amount{cur: cur}
}

// Minor returns the amount in minor units, e.g. 1234 for 12.34 CNY.
func (a Amount) Minor() int64 { return a.minor }

// Currency returns the currency of a.
func (a Amount) Currency() Currency { return a.cur }

// IsZero reports whether a is zero.
func (a Amount) IsZero() bool { return a.minor == 0 }

// IsNegative reports whether a is below zero.
func (a Amount) IsNegative() bool { return a.minor < 0 }

// Sign returns -1, 0 or +1 according to the sign of a.
func (a Amount) Sign() int {
	switch {
	case a.minor < 0:
		return -1
	case a.minor > 0:
		return 1
	}
	return 0
}

// Add returns a + b. It fails with [ErrCurrencyMismatch] when the
// currencies differ and with [ErrOverflow] when the sum does not fit.
func (a Amount) Add(b Amount) (Amount, error) {
	if a.cur != b.cur {
		return Amount{}, fmt.Errorf("money: add %s to %s: %w", b.Format(), a.Format(), ErrCurrencyMismatch)
	}
	s := a.minor + b.minor
	if (a.minor > 0 && b.minor > 0 && s < 0) || (a.minor < 0 && b.minor < 0 && s >= 0) {
		return Amount{}, fmt.Errorf("money: add %s to %s: %w", b.Format(), a.Format(), ErrOverflow)
	}
	return Amount{minor: s, cur: a.cur}, nil
}

// Sub returns a - b. It fails with [ErrCurrencyMismatch] when the
// currencies differ and with [ErrOverflow] when the difference does not fit.
func (a Amount) Sub(b Amount) (Amount, error) {
	if a.cur != b.cur {
		return Amount{}, fmt.Errorf("money: subtract %s from %s: %w", b.Format(), a.Format(), ErrCurrencyMismatch)
	}
	d := a.minor - b.minor
	if (a.minor >= 0 && b.minor < 0 && d < 0) || (a.minor < 0 && b.minor > 0 && d >= 0) {
		return Amount{}, fmt.Errorf("money: subtract %s from %s: %w", b.Format(), a.Format(), ErrOverflow)
	}
	return Amount{minor: d, cur: a.cur}, nil
}

// Neg returns -a. It fails with [ErrOverflow] only for the most negative
// int64, whose negation does not fit.
func (a Amount) Neg() (Amount, error) {
	if a.minor == math.MinInt64 {
		return Amount{}, fmt.Errorf("money: negate %s: %w", a.Format(), ErrOverflow)
	}
	return Amount{minor: -a.minor, cur: a.cur}, nil
}

// MulInt returns a × k, for example a unit price times a quantity. It fails
// with [ErrOverflow] when the product does not fit. To multiply by a
// fraction, use [MulRat].
func (a Amount) MulInt(k int64) (Amount, error) {
	if a.minor == 0 || k == 0 {
		return Amount{cur: a.cur}, nil
	}
	p := a.minor * k
	if p/k != a.minor || (k == -1 && a.minor == math.MinInt64) {
		return Amount{}, fmt.Errorf("money: multiply %s by %d: %w", a.Format(), k, ErrOverflow)
	}
	return Amount{minor: p, cur: a.cur}, nil
}

// Cmp compares a and b and returns -1 if a < b, 0 if a == b and +1 if a > b.
// It fails with [ErrCurrencyMismatch] when the currencies differ.
func (a Amount) Cmp(b Amount) (int, error) {
	if a.cur != b.cur {
		return 0, fmt.Errorf("money: compare %s with %s: %w", a.Format(), b.Format(), ErrCurrencyMismatch)
	}
	switch {
	case a.minor < b.minor:
		return -1, nil
	case a.minor > b.minor:
		return 1, nil
	}
	return 0, nil
}
