package money

import (
	"errors"
	"math"
	"math/big"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// formatAll renders amounts for cmp.Diff.
func formatAll(as []Amount) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.Format()
	}
	return out
}

func TestAllocate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		a       Amount
		weights []int64
		want    []string
	}{
		{"Thirds", New(100, CNY), []int64{1, 1, 1}, []string{"0.34 CNY", "0.33 CNY", "0.33 CNY"}},
		{"NegativeThirds", New(-100, CNY), []int64{1, 1, 1}, []string{"-0.34 CNY", "-0.33 CNY", "-0.33 CNY"}},
		{"LargestRemainder", New(100, CNY), []int64{1, 2, 3}, []string{"0.17 CNY", "0.33 CNY", "0.50 CNY"}},
		{"ZeroWeightGetsNothing", New(5, JPY), []int64{0, 1, 0, 1}, []string{"0 JPY", "3 JPY", "0 JPY", "2 JPY"}},
		{"Percent", New(1000, CNY), []int64{70, 20, 10}, []string{"7.00 CNY", "2.00 CNY", "1.00 CNY"}},
		{"TooSmall", New(1, CNY), []int64{1, 1, 1}, []string{"0.01 CNY", "0.00 CNY", "0.00 CNY"}},
		{"Single", New(math.MinInt64, JPY), []int64{9}, []string{"-9223372036854775808 JPY"}},
		{"MinSplit", New(math.MinInt64, JPY), []int64{1, 1}, []string{"-4611686018427387904 JPY", "-4611686018427387904 JPY"}},
		{"HugeWeights", New(3, JPY), []int64{math.MaxInt64, math.MaxInt64, math.MaxInt64}, []string{"1 JPY", "1 JPY", "1 JPY"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Allocate(tc.a, tc.weights...)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, formatAll(got)); diff != "" {
				t.Errorf("Allocate(%s, %v) (-want +got):\n%s", tc.a.Format(), tc.weights, diff)
			}
		})
	}
}

func TestSplit(t *testing.T) {
	t.Parallel()
	got, err := Split(New(1001, "KWD"), 4)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"0.251 KWD", "0.250 KWD", "0.250 KWD", "0.250 KWD"}
	if diff := cmp.Diff(want, formatAll(got)); diff != "" {
		t.Errorf("Split (-want +got):\n%s", diff)
	}
}

func TestAllocateErrors(t *testing.T) {
	t.Parallel()
	a := New(100, CNY)
	for _, weights := range [][]int64{nil, {}, {0}, {0, 0}, {1, -1}, {-1}} {
		if _, err := Allocate(a, weights...); !errors.Is(err, ErrInvalidAllocation) {
			t.Errorf("Allocate(%v) error = %v, want ErrInvalidAllocation", weights, err)
		}
	}
	for _, n := range []int{0, -1} {
		if _, err := Split(a, n); !errors.Is(err, ErrInvalidAllocation) {
			t.Errorf("Split(%d) error = %v, want ErrInvalidAllocation", n, err)
		}
	}
}

func TestPropertyAllocate(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		a := New(genMinor().Draw(t, "minor"), genCurrency().Draw(t, "cur"))
		weight := rapid.OneOf(rapid.Int64Range(0, 10), rapid.Int64Range(0, math.MaxInt64))
		weights := rapid.SliceOfN(weight, 1, 20).Draw(t, "weights")
		total := new(big.Int)
		for _, w := range weights {
			total.Add(total, big.NewInt(w))
		}
		parts, err := Allocate(a, weights...)
		if total.Sign() == 0 {
			if !errors.Is(err, ErrInvalidAllocation) {
				t.Fatalf("zero weights: error = %v", err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(parts) != len(weights) {
			t.Fatalf("got %d parts for %d weights", len(parts), len(weights))
		}
		sum := new(big.Int)
		for i, p := range parts {
			if p.Currency() != a.Currency() {
				t.Fatalf("part %d has currency %s", i, p.Currency())
			}
			sum.Add(sum, big.NewInt(p.Minor()))
			// |part - a*w/W| < 1, i.e. |part*W - a*w| < W.
			exact := new(big.Int).Mul(big.NewInt(a.Minor()), big.NewInt(weights[i]))
			dev := new(big.Int).Mul(big.NewInt(p.Minor()), total)
			dev.Sub(dev, exact).Abs(dev)
			if dev.Cmp(total) >= 0 {
				t.Fatalf("part %d = %d is a unit or more from %s/%s", i, p.Minor(), exact, total)
			}
			if weights[i] == 0 && !p.IsZero() {
				t.Fatalf("part %d has weight 0 but got %d", i, p.Minor())
			}
			if !p.IsZero() && p.Sign() != a.Sign() {
				t.Fatalf("part %d = %d has the wrong sign for %d", i, p.Minor(), a.Minor())
			}
		}
		if sum.Cmp(big.NewInt(a.Minor())) != 0 {
			t.Fatalf("parts sum to %s, want %d", sum, a.Minor())
		}
	})
}

func TestPropertySplit(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		a := New(genMinor().Draw(t, "minor"), CNY)
		n := rapid.IntRange(1, 50).Draw(t, "n")
		parts, err := Split(a, n)
		if err != nil {
			t.Fatal(err)
		}
		var sum int64
		for i, p := range parts {
			sum += p.Minor() // wraps only if the parts are wrong
			if i > 0 {
				// Earlier parts are never smaller in magnitude, by at most one unit.
				d := new(big.Int).Sub(big.NewInt(parts[i-1].Minor()), big.NewInt(p.Minor()))
				d.Mul(d, big.NewInt(int64(a.Sign())))
				if d.Sign() < 0 || d.Cmp(big.NewInt(1)) > 0 {
					t.Fatalf("parts %d and %d: %d, %d", i-1, i, parts[i-1].Minor(), p.Minor())
				}
			}
		}
		if sum != a.Minor() {
			t.Fatalf("parts sum to %d, want %d", sum, a.Minor())
		}
	})
}
