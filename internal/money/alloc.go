package money

import (
	"fmt"
	"math/big"
	"slices"
)

// Allocate splits a into len(weights) parts proportional to weights, so
// that the parts sum exactly to a: no minor unit is created or lost.
//
// It uses the largest-remainder method. Each part first gets its exact
// share truncated toward zero; the minor units left over go one each to
// the parts with the largest remainders, earlier parts first on ties. Every
// part is therefore within one minor unit of its exact share, a part with
// weight 0 gets zero, and a negative a gives the mirror image of -a.
//
// Allocate(New(100, CNY), 1, 1, 1) is 0.34, 0.33, 0.33 CNY.
//
// It fails with [ErrInvalidAllocation] when weights is empty, when a
// weight is negative or when the weights sum to zero.
func Allocate(a Amount, weights ...int64) ([]Amount, error) {
	if len(weights) == 0 {
		return nil, fmt.Errorf("money: allocate %s: no weights: %w", a.Format(), ErrInvalidAllocation)
	}
	total := new(big.Int)
	for i, w := range weights {
		if w < 0 {
			return nil, fmt.Errorf("money: allocate %s: weight %d is negative (%d): %w", a.Format(), i, w, ErrInvalidAllocation)
		}
		total.Add(total, big.NewInt(w))
	}
	if total.Sign() == 0 {
		return nil, fmt.Errorf("money: allocate %s: weights sum to zero: %w", a.Format(), ErrInvalidAllocation)
	}

	// Work on the magnitude so that rounding is symmetric around zero.
	mag := new(big.Int).Abs(big.NewInt(a.minor))
	shares := make([]*big.Int, len(weights))
	rems := make([]*big.Int, len(weights))
	left := new(big.Int).Set(mag)
	for i, w := range weights {
		shares[i], rems[i] = new(big.Int), new(big.Int)
		shares[i].QuoRem(new(big.Int).Mul(mag, big.NewInt(w)), total, rems[i])
		left.Sub(left, shares[i])
	}

	// left < len(weights); hand out one unit each by descending remainder.
	order := make([]int, len(weights))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int { return rems[j].Cmp(rems[i]) })
	for k := int64(0); k < left.Int64(); k++ {
		shares[order[k]].Add(shares[order[k]], big.NewInt(1))
	}

	parts := make([]Amount, len(weights))
	for i, s := range shares {
		if a.minor < 0 {
			s.Neg(s)
		}
		// |s| <= |a.minor|, so s fits in an int64 even for MinInt64.
		parts[i] = Amount{minor: s.Int64(), cur: a.cur}
	}
	return parts, nil
}

// Split divides a into n parts as equal as possible; the first parts get
// the extra minor units. Split(New(100, CNY), 3) is 0.34, 0.33, 0.33 CNY.
// The parts sum exactly to a. It fails with [ErrInvalidAllocation] when n
// is not positive.
func Split(a Amount, n int) ([]Amount, error) {
	if n <= 0 {
		return nil, fmt.Errorf("money: split %s into %d parts: %w", a.Format(), n, ErrInvalidAllocation)
	}
	weights := make([]int64, n)
	for i := range weights {
		weights[i] = 1
	}
	return Allocate(a, weights...)
}
