package money

import (
	"fmt"
	"math/big"
)

// quoHalfEven returns num/den rounded to the nearest integer, ties to the
// even neighbour (half-even, banker's rounding). den must be positive. This
// is the only rounding of money in paygate.
func quoHalfEven(num, den *big.Int) *big.Int {
	q, r := new(big.Int), new(big.Int)
	q.DivMod(num, den, r) // Euclidean: q = floor(num/den), 0 <= r < den
	switch new(big.Int).Lsh(r, 1).Cmp(den) {
	case 1: // more than half: round up
		q.Add(q, big.NewInt(1))
	case 0: // exactly half: round to even
		if q.Bit(0) == 1 {
			q.Add(q, big.NewInt(1))
		}
	}
	return q
}

// toAmount converts an exact integer result to an Amount of cur, or fails
// with [ErrOverflow]. op describes the computation for the error.
func toAmount(n *big.Int, cur Currency, op string) (Amount, error) {
	if !n.IsInt64() {
		return Amount{}, fmt.Errorf("money: %s: %w", op, ErrOverflow)
	}
	return Amount{minor: n.Int64(), cur: cur}, nil
}

// MulRat returns a × num / den, computed exactly and rounded half-even to
// a minor unit. It is meant for fees: a rate of 0.6% is MulRat(a, 60, 10000),
// and 0.6% of 10.75 CNY (6.45 fen) is 0.06 CNY.
//
// It fails with [ErrDivisionByZero] when den is 0 and with [ErrOverflow]
// when the rounded result does not fit. A negative den is allowed and
// flips the sign.
func MulRat(a Amount, num, den int64) (Amount, error) {
	if den == 0 {
		return Amount{}, fmt.Errorf("money: multiply %s by %d/%d: %w", a.Format(), num, den, ErrDivisionByZero)
	}
	n := new(big.Int).Mul(big.NewInt(a.minor), big.NewInt(num))
	d := big.NewInt(den)
	if den < 0 {
		n.Neg(n)
		d.Neg(d)
	}
	return toAmount(quoHalfEven(n, d), a.cur, fmt.Sprintf("multiply %s by %d/%d", a.Format(), num, den))
}
