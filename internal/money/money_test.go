package money

import (
	"errors"
	"math"
	"math/big"
	"testing"

	"pgregory.net/rapid"
)

func TestAccessors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a            Amount
		zero, neg    bool
		sign         int
		wantMinor    int64
		wantCurrency Currency
	}{
		{New(1234, CNY), false, false, 1, 1234, CNY},
		{New(-5, CNY), false, true, -1, -5, CNY},
		{Zero(JPY), true, false, 0, 0, JPY},
		{New(math.MinInt64, "KWD"), false, true, -1, math.MinInt64, "KWD"},
	}
	for _, tc := range tests {
		if tc.a.Minor() != tc.wantMinor || tc.a.Currency() != tc.wantCurrency ||
			tc.a.IsZero() != tc.zero || tc.a.IsNegative() != tc.neg || tc.a.Sign() != tc.sign {
			t.Errorf("%s: Minor %d Currency %s IsZero %v IsNegative %v Sign %d", tc.a.Format(),
				tc.a.Minor(), tc.a.Currency(), tc.a.IsZero(), tc.a.IsNegative(), tc.a.Sign())
		}
	}
}

func TestArithmetic(t *testing.T) {
	t.Parallel()
	const maxI, minI = math.MaxInt64, math.MinInt64
	cny := func(n int64) Amount { return New(n, CNY) }
	tests := []struct {
		name    string
		op      func() (Amount, error)
		want    Amount
		wantErr error
	}{
		{"Add", func() (Amount, error) { return cny(1234).Add(cny(-34)) }, cny(1200), nil},
		{"AddMax", func() (Amount, error) { return cny(maxI - 1).Add(cny(1)) }, cny(maxI), nil},
		{"AddOverflow", func() (Amount, error) { return cny(maxI).Add(cny(1)) }, Amount{}, ErrOverflow},
		{"AddUnderflow", func() (Amount, error) { return cny(minI).Add(cny(-1)) }, Amount{}, ErrOverflow},
		{"AddMinPlusMax", func() (Amount, error) { return cny(minI).Add(cny(maxI)) }, cny(-1), nil},
		{"AddMismatch", func() (Amount, error) { return cny(1).Add(New(1, USD)) }, Amount{}, ErrCurrencyMismatch},
		{"AddZeroValue", func() (Amount, error) { return cny(1).Add(Amount{}) }, Amount{}, ErrCurrencyMismatch},
		{"Sub", func() (Amount, error) { return cny(100).Sub(cny(250)) }, cny(-150), nil},
		{"SubToMin", func() (Amount, error) { return cny(-1).Sub(cny(maxI)) }, cny(minI), nil},
		{"SubOverflow", func() (Amount, error) { return cny(0).Sub(cny(minI)) }, Amount{}, ErrOverflow},
		{"SubUnderflow", func() (Amount, error) { return cny(-2).Sub(cny(maxI)) }, Amount{}, ErrOverflow},
		{"SubMismatch", func() (Amount, error) { return cny(1).Sub(New(1, JPY)) }, Amount{}, ErrCurrencyMismatch},
		{"Neg", func() (Amount, error) { return cny(5).Neg() }, cny(-5), nil},
		{"NegMax", func() (Amount, error) { return cny(maxI).Neg() }, cny(minI + 1), nil},
		{"NegMin", func() (Amount, error) { return cny(minI).Neg() }, Amount{}, ErrOverflow},
		{"MulInt", func() (Amount, error) { return cny(1999).MulInt(3) }, cny(5997), nil},
		{"MulIntNegative", func() (Amount, error) { return cny(-7).MulInt(-6) }, cny(42), nil},
		{"MulIntZero", func() (Amount, error) { return cny(minI).MulInt(0) }, cny(0), nil},
		{"MulIntMinByOne", func() (Amount, error) { return cny(minI).MulInt(1) }, cny(minI), nil},
		{"MulIntMinByMinusOne", func() (Amount, error) { return cny(minI).MulInt(-1) }, Amount{}, ErrOverflow},
		{"MulIntMinusOneByMin", func() (Amount, error) { return cny(-1).MulInt(minI) }, Amount{}, ErrOverflow},
		{"MulIntOverflow", func() (Amount, error) { return cny(1 << 32).MulInt(1 << 31) }, Amount{}, ErrOverflow},
		{"MulIntToMin", func() (Amount, error) { return cny(1 << 32).MulInt(-(1 << 31)) }, cny(minI), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.op()
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error = %v, want %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("got %d %s, want %d %s", got.Minor(), got.Currency(), tc.want.Minor(), tc.want.Currency())
			}
		})
	}
}

func TestCmp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b Amount
		want int
	}{
		{New(1, CNY), New(2, CNY), -1},
		{New(2, CNY), New(2, CNY), 0},
		{New(math.MaxInt64, CNY), New(math.MinInt64, CNY), 1},
	}
	for _, tc := range tests {
		got, err := tc.a.Cmp(tc.b)
		if err != nil || got != tc.want {
			t.Errorf("%s.Cmp(%s) = %d, %v; want %d", tc.a.Format(), tc.b.Format(), got, err, tc.want)
		}
	}
	if _, err := New(1, CNY).Cmp(New(1, HKD)); !errors.Is(err, ErrCurrencyMismatch) {
		t.Errorf("Cmp across currencies: error = %v, want ErrCurrencyMismatch", err)
	}
}

func TestErrorMessage(t *testing.T) {
	t.Parallel()
	_, err := New(1234, CNY).Add(New(5, USD))
	if got, want := err.Error(), "money: add 0.05 USD to 12.34 CNY: currency mismatch"; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
}

// checkAgainstBig checks an int64 operation against the exact big.Int
// result: it must succeed with that value when it fits, and fail with
// ErrOverflow exactly when it does not.
func checkAgainstBig(t *rapid.T, what string, got Amount, err error, exact *big.Int) {
	if !exact.IsInt64() {
		if !errors.Is(err, ErrOverflow) {
			t.Fatalf("%s: exact %s is out of range, got %d, %v", what, exact, got.Minor(), err)
		}
		return
	}
	if err != nil || got.Minor() != exact.Int64() {
		t.Fatalf("%s = %d, %v; want %s", what, got.Minor(), err, exact)
	}
}

func TestPropertyArithmeticMatchesBig(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		x, y := genMinor().Draw(t, "x"), genMinor().Draw(t, "y")
		a, b := New(x, CNY), New(y, CNY)
		bx, by := big.NewInt(x), big.NewInt(y)

		sum, err := a.Add(b)
		checkAgainstBig(t, "Add", sum, err, new(big.Int).Add(bx, by))
		diff, err := a.Sub(b)
		checkAgainstBig(t, "Sub", diff, err, new(big.Int).Sub(bx, by))
		neg, err := a.Neg()
		checkAgainstBig(t, "Neg", neg, err, new(big.Int).Neg(bx))
		prod, err := a.MulInt(y)
		checkAgainstBig(t, "MulInt", prod, err, new(big.Int).Mul(bx, by))

		c, err := a.Cmp(b)
		if err != nil || c != bx.Cmp(by) {
			t.Fatalf("Cmp = %d, %v; want %d", c, err, bx.Cmp(by))
		}
	})
}
