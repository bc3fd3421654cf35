package money

import (
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"

	"github.com/bojanz/currency"
	"pgregory.net/rapid"
)

// tester is the part of testing.TB that *rapid.T also has.
type tester interface {
	Helper()
	Fatalf(format string, args ...any)
}

func mustParseRate(t tester, s string) Rate {
	t.Helper()
	r, err := ParseRate(s)
	if err != nil {
		t.Fatalf("ParseRate(%q): %v", s, err)
	}
	return r
}

func TestParseRate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
	}{
		{"7.1234", "7.1234"},
		{"7.10", "7.1"},
		{"150.5", "150.5"},
		{"1", "1"},
		{"1.000000000000", "1"},
		{"0.000000000001", "0.000000000001"},
		{"0.5", "0.5"},
		{"9223372036854775807", "9223372036854775807"},
		{"9223372.036854775807", "9223372.036854775807"},
	}
	for _, tc := range tests {
		r := mustParseRate(t, tc.in)
		if got := r.String(); got != tc.want {
			t.Errorf("ParseRate(%q).String() = %q, want %q", tc.in, got, tc.want)
		}
		if r != mustParseRate(t, tc.want) {
			t.Errorf("ParseRate(%q) != ParseRate(%q)", tc.in, tc.want)
		}
	}
}

func TestParseRateErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want error
	}{
		{"", ErrSyntax}, {"-1", ErrSyntax}, {"+1", ErrSyntax}, {".5", ErrSyntax},
		{"5.", ErrSyntax}, {"1e3", ErrSyntax}, {"01.5", ErrSyntax}, {"1/2", ErrSyntax},
		{"7,1", ErrSyntax}, {" 7.1", ErrSyntax},
		{"0", ErrInvalidRate}, {"0.000", ErrInvalidRate}, {"-0", ErrSyntax},
		{"1.0000000000001", ErrPrecision},
		{"9223372036854775808", ErrOverflow},
		{"92233720.36854775808", ErrOverflow},
	}
	for _, tc := range tests {
		if r, err := ParseRate(tc.in); !errors.Is(err, tc.want) {
			t.Errorf("ParseRate(%q) = %v, %v; want %v", tc.in, r, err, tc.want)
		}
	}
}

func TestConvert(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, amount string
		from, to     Currency
		rate, want   string
	}{
		{"USDToCNY", "12.34", USD, CNY, "7.1", "87.61"},
		{"USDToJPYTieToEven", "1.00", USD, JPY, "150.5", "150"},
		{"USDToJPYTieToEvenUp", "1.00", USD, JPY, "151.5", "152"},
		{"JPYToCNY", "1000", JPY, CNY, "0.0482", "48.20"},
		{"JPYToCNYRounded", "1", JPY, CNY, "0.04825", "0.05"},
		{"CNYToKWD", "100.00", CNY, "KWD", "0.0428", "4.280"},
		{"KWDToCLF", "1.000", "KWD", "CLF", "0.08765432", "0.0877"},
		{"Negative", "-12.34", USD, CNY, "7.1", "-87.61"},
		{"NegativeTie", "-1.00", USD, JPY, "150.5", "-150"},
		{"SameCurrencyFee", "10.75", CNY, CNY, "0.006", "0.06"},
		{"Zero", "0.00", USD, CNY, "7.1", "0.00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, err := Parse(tc.amount, tc.from)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Convert(a, tc.to, mustParseRate(t, tc.rate))
			if err != nil {
				t.Fatal(err)
			}
			if got.Currency() != tc.to || got.String() != tc.want {
				t.Errorf("Convert(%s, %s, %s) = %s, want %s %s", a.Format(), tc.to, tc.rate, got.Format(), tc.want, tc.to)
			}
		})
	}
}

func TestConvertErrors(t *testing.T) {
	t.Parallel()
	r := mustParseRate(t, "7.1")
	var ue *UnknownCurrencyError
	if _, err := Convert(New(1, "XYZ"), CNY, r); !errors.As(err, &ue) || ue.Code != "XYZ" {
		t.Errorf("unknown source: error = %v", err)
	}
	if _, err := Convert(New(1, USD), "cny", r); !errors.As(err, &ue) || ue.Code != "cny" {
		t.Errorf("unknown target: error = %v", err)
	}
	if _, err := Convert(New(1, USD), CNY, Rate{}); !errors.Is(err, ErrInvalidRate) {
		t.Errorf("zero rate: error = %v, want ErrInvalidRate", err)
	}
	if _, err := Convert(New(math.MaxInt64, USD), CNY, r); !errors.Is(err, ErrOverflow) {
		t.Errorf("overflow: error = %v, want ErrOverflow", err)
	}
	if _, err := Convert(New(math.MaxInt64/100, JPY), "CLF", mustParseRate(t, "1")); !errors.Is(err, ErrOverflow) {
		t.Errorf("exponent overflow: error = %v, want ErrOverflow", err)
	}
}

// genRate draws a valid rate as its canonical string.
func genRate() *rapid.Generator[string] {
	return rapid.Custom(func(t *rapid.T) string {
		mant := rapid.OneOf(rapid.Int64Range(1, 1_000_000_000), rapid.Int64Range(1, math.MaxInt64)).Draw(t, "mant")
		scale := rapid.IntRange(0, MaxRateDigits).Draw(t, "scale")
		s := formatMinor(mant, scale)
		if strings.Contains(s, ".") {
			s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
		}
		return s
	})
}

func TestPropertyRateRoundTrip(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		s := genRate().Draw(t, "rate")
		r, err := ParseRate(s)
		if err != nil {
			t.Fatalf("ParseRate(%q): %v", s, err)
		}
		if r.String() != s {
			t.Fatalf("ParseRate(%q).String() = %q", s, r.String())
		}
	})
}

// TestPropertyConvertMatchesRat checks Convert against an exact big.Rat
// computation in major units, rounded by the independent reference.
func TestPropertyConvertMatchesRat(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		from, to := genCurrency().Draw(t, "from"), genCurrency().Draw(t, "to")
		a := New(genMinor().Draw(t, "minor"), from)
		rs := genRate().Draw(t, "rate")
		got, err := Convert(a, to, mustParseRate(t, rs))

		rate, _ := new(big.Rat).SetString(rs)
		major := new(big.Rat).SetFrac(big.NewInt(a.Minor()), pow10(from.Exponent()))
		target := new(big.Rat).Mul(major, rate)
		target.Mul(target, new(big.Rat).SetInt(pow10(to.Exponent())))
		checkAgainstBig(t, "Convert", got, err, refHalfEven(target))
		if err == nil && got.Currency() != to {
			t.Fatalf("Convert returned currency %s, want %s", got.Currency(), to)
		}
	})
}

// TestPropertyConvertMatchesBojanz cross-checks Convert against
// github.com/bojanz/currency (apd decimals, RoundHalfEven). Operands are
// kept small enough that bojanz's 19-digit context multiplies exactly.
func TestPropertyConvertMatchesBojanz(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		from, to := genCurrency().Draw(t, "from"), genCurrency().Draw(t, "to")
		minor := rapid.Int64Range(-1_000_000_000, 1_000_000_000).Draw(t, "minor")
		mant := rapid.Int64Range(1, 100_000_000).Draw(t, "mant")
		rs := formatMinor(mant, rapid.IntRange(0, 8).Draw(t, "scale"))

		got, err := Convert(New(minor, from), to, mustParseRate(t, rs))
		if err != nil {
			t.Fatal(err)
		}
		ba, err := currency.NewAmountFromInt64(minor, string(from))
		if err != nil {
			t.Fatal(err)
		}
		bc, err := ba.Convert(string(to), rs)
		if err != nil {
			t.Fatal(err)
		}
		want, err := bc.RoundTo(uint8(to.Exponent()), currency.RoundHalfEven).Int64()
		if err != nil {
			t.Fatal(err)
		}
		if got.Minor() != want {
			t.Fatalf("Convert(%d %s → %s at %s) = %d, bojanz says %d", minor, from, to, rs, got.Minor(), want)
		}
	})
}

func FuzzRate(f *testing.F) {
	for _, s := range []string{"7.1234", "150.5", "1", "0", "0.000000000001", "1.0000000000001",
		"9223372036854775807", "9223372036854775808", "-1", ".5", "5.", "01", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRate(s)
		if err != nil {
			return
		}
		if r.IsZero() {
			t.Fatalf("ParseRate(%q) succeeded with the zero rate", s)
		}
		back, err := ParseRate(r.String())
		if err != nil || back != r {
			t.Fatalf("ParseRate(%q).String() = %q does not round-trip: %v", s, r.String(), err)
		}
	})
}
