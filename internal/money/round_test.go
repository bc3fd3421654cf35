package money

import (
	"errors"
	"math"
	"math/big"
	"testing"

	"pgregory.net/rapid"
)

// refHalfEven is an independent reference for half-even rounding of x: it
// finds the two integers around x and picks the nearer, the even one on a
// tie, comparing distances as exact rationals.
func refHalfEven(x *big.Rat) *big.Int {
	lo := new(big.Int).Quo(x.Num(), x.Denom()) // truncated toward zero
	if new(big.Rat).SetInt(lo).Cmp(x) > 0 {
		lo.Sub(lo, big.NewInt(1))
	}
	hi := new(big.Int).Add(lo, big.NewInt(1))
	dLo := new(big.Rat).Sub(x, new(big.Rat).SetInt(lo))
	dHi := new(big.Rat).Sub(new(big.Rat).SetInt(hi), x)
	switch dLo.Cmp(dHi) {
	case -1:
		return lo
	case 1:
		return hi
	}
	if lo.Bit(0) == 0 {
		return lo
	}
	return hi
}

func TestQuoHalfEven(t *testing.T) {
	t.Parallel()
	tests := []struct {
		num, den, want int64
	}{
		{5, 2, 2}, {15, 10, 2}, {25, 10, 2}, {35, 10, 4}, {-5, 2, -2}, {-15, 10, -2},
		{-25, 10, -2}, {-35, 10, -4}, {1, 2, 0}, {-1, 2, 0}, {3, 2, 2}, {-3, 2, -2},
		{251, 100, 3}, {249, 100, 2}, {-251, 100, -3}, {-249, 100, -2},
		{1, 3, 0}, {2, 3, 1}, {-2, 3, -1}, {7, 1, 7}, {0, 5, 0},
	}
	for _, tc := range tests {
		got := quoHalfEven(big.NewInt(tc.num), big.NewInt(tc.den))
		if got.Int64() != tc.want {
			t.Errorf("quoHalfEven(%d, %d) = %s, want %d", tc.num, tc.den, got, tc.want)
		}
	}
}

func TestMulRat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		minor    int64
		num, den int64
		want     int64
		wantErr  error
	}{
		{"FeeRoundsDown", 1075, 60, 10000, 6, nil}, // 6.45 fen → 6
		{"FeeTieToEven", 2500, 60, 10000, 15, nil}, // exactly 15
		{"FeeHalfToEvenDown", 125, 1, 50, 2, nil},  // 2.5 → 2
		{"FeeHalfToEvenUp", 175, 1, 50, 4, nil},    // 3.5 → 4
		{"NegativeTie", -125, 1, 50, -2, nil},      // -2.5 → -2
		{"NegativeDen", 175, 1, -50, -4, nil},      // -3.5 → -4
		{"Identity", math.MinInt64, 7, 7, math.MinInt64, nil},
		{"HugeButFits", math.MaxInt64, math.MaxInt64, math.MaxInt64, math.MaxInt64, nil},
		{"Overflow", math.MaxInt64, 3, 2, 0, ErrOverflow},
		{"MinTimesMinusOne", math.MinInt64, -1, 1, 0, ErrOverflow},
		{"ZeroDen", 100, 1, 0, 0, ErrDivisionByZero},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := MulRat(New(tc.minor, CNY), tc.num, tc.den)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error = %v, want %v", err, tc.wantErr)
			}
			if err == nil && got != New(tc.want, CNY) {
				t.Errorf("MulRat(%d, %d, %d) = %d, want %d", tc.minor, tc.num, tc.den, got.Minor(), tc.want)
			}
		})
	}
}

func TestPropertyHalfEvenMatchesReference(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		num := rapid.Int64().Draw(t, "num")
		den := rapid.Int64Range(1, math.MaxInt64).Draw(t, "den")
		got := quoHalfEven(big.NewInt(num), big.NewInt(den))
		want := refHalfEven(big.NewRat(num, den))
		if got.Cmp(want) != 0 {
			t.Fatalf("quoHalfEven(%d, %d) = %s, want %s", num, den, got, want)
		}
	})
}

func TestPropertyHalfEvenTies(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		// n + 1/2 always rounds to the even one of n and n+1.
		n := rapid.Int64Range(math.MinInt64/4, math.MaxInt64/4).Draw(t, "n")
		got := quoHalfEven(big.NewInt(2*n+1), big.NewInt(2))
		if got.Bit(0) != 0 || (got.Int64() != n && got.Int64() != n+1) {
			t.Fatalf("%d.5 rounded to %s", n, got)
		}
	})
}

func TestPropertyMulRatMatchesReference(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		a := New(genMinor().Draw(t, "minor"), CNY)
		num := rapid.Int64().Draw(t, "num")
		den := rapid.Int64().Filter(func(d int64) bool { return d != 0 }).Draw(t, "den")
		got, err := MulRat(a, num, den)
		x := new(big.Rat).SetFrac(new(big.Int).Mul(big.NewInt(a.Minor()), big.NewInt(num)), big.NewInt(den))
		checkAgainstBig(t, "MulRat", got, err, refHalfEven(x))
	})
}
