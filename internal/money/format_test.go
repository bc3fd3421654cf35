package money

import (
	"errors"
	"math"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

func TestParseAndString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		in    string
		cur   Currency
		minor int64
		out   string // canonical String(); "" means same as in
	}{
		{"CNYTwoDecimals", "12.34", CNY, 1234, ""},
		{"CNYNegativeFen", "-0.05", CNY, -5, ""},
		{"CNYInteger", "12", CNY, 1200, "12.00"},
		{"CNYOneDecimal", "12.3", CNY, 1230, "12.30"},
		{"CNYHalf", "0.5", CNY, 50, "0.50"},
		{"CNYZero", "0", CNY, 0, "0.00"},
		{"CNYNegativeZero", "-0.00", CNY, 0, "0.00"},
		{"CNYMax", "92233720368547758.07", CNY, math.MaxInt64, ""},
		{"CNYMin", "-92233720368547758.08", CNY, math.MinInt64, ""},
		{"JPYInteger", "1234", JPY, 1234, ""},
		{"JPYNegative", "-1", JPY, -1, ""},
		{"JPYMax", "9223372036854775807", JPY, math.MaxInt64, ""},
		{"JPYMin", "-9223372036854775808", JPY, math.MinInt64, ""},
		{"KWDThreeDecimals", "1.234", "KWD", 1234, ""},
		{"KWDFils", "0.001", "KWD", 1, ""},
		{"KWDOneDecimal", "-7.5", "KWD", -7500, "-7.500"},
		{"CLFFourDecimals", "1.2345", "CLF", 12345, ""},
		{"CLFSmallest", "0.0001", "CLF", 1, ""},
		{"CLFMin", "-922337203685477.5808", "CLF", math.MinInt64, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, err := Parse(tc.in, tc.cur)
			if err != nil {
				t.Fatalf("Parse(%q, %s): %v", tc.in, tc.cur, err)
			}
			if want := New(tc.minor, tc.cur); a != want {
				t.Errorf("Parse(%q, %s) = %d %s, want %d %s", tc.in, tc.cur, a.Minor(), a.Currency(), want.Minor(), want.Currency())
			}
			out := tc.out
			if out == "" {
				out = tc.in
			}
			if got := a.String(); got != out {
				t.Errorf("String() = %q, want %q", got, out)
			}
			if got, want := a.Format(), out+" "+string(tc.cur); got != want {
				t.Errorf("Format() = %q, want %q", got, want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		cur  Currency
		want error
	}{
		{"", CNY, ErrSyntax},
		{"-", CNY, ErrSyntax},
		{"+", CNY, ErrSyntax},
		{"+1", CNY, ErrSyntax},
		{" 1", CNY, ErrSyntax},
		{"1 ", CNY, ErrSyntax},
		{"1,000", CNY, ErrSyntax},
		{"1_000", CNY, ErrSyntax},
		{"1e3", CNY, ErrSyntax},
		{"--1", CNY, ErrSyntax},
		{"-+1", CNY, ErrSyntax},
		{".5", CNY, ErrSyntax},
		{"5.", CNY, ErrSyntax},
		{"-.5", CNY, ErrSyntax},
		{".", CNY, ErrSyntax},
		{"1.2.3", CNY, ErrSyntax},
		{"01", CNY, ErrSyntax},
		{"00.10", CNY, ErrSyntax},
		{"-01", CNY, ErrSyntax},
		{"0x10", CNY, ErrSyntax},
		{"١٢", CNY, ErrSyntax}, // Arabic-Indic digits
		{"NaN", CNY, ErrSyntax},
		{"Inf", CNY, ErrSyntax},
		{"12.345", CNY, ErrPrecision},
		{"0.001", CNY, ErrPrecision},
		{"12.340", CNY, ErrPrecision},
		{"1.5", JPY, ErrPrecision},
		{"1.0", JPY, ErrPrecision},
		{"1.2345", "KWD", ErrPrecision},
		{"1.23456", "CLF", ErrPrecision},
		{"92233720368547758.08", CNY, ErrOverflow},
		{"-92233720368547758.09", CNY, ErrOverflow},
		{"9223372036854775808", JPY, ErrOverflow},
		{"-9223372036854775809", JPY, ErrOverflow},
		{"18446744073709551616", JPY, ErrOverflow},
		{"99999999999999999999999999999999", JPY, ErrOverflow},
	}
	for _, tc := range tests {
		a, err := Parse(tc.in, tc.cur)
		if !errors.Is(err, tc.want) {
			t.Errorf("Parse(%q, %s) = %v, %v; want error %v", tc.in, tc.cur, a, err, tc.want)
		}
	}
}

func TestParseUnknownCurrency(t *testing.T) {
	t.Parallel()
	for _, c := range []Currency{"", "cny", "XXX"} {
		_, err := Parse("1", c)
		var ue *UnknownCurrencyError
		if !errors.As(err, &ue) || ue.Code != string(c) {
			t.Errorf("Parse(\"1\", %q) error = %v, want *UnknownCurrencyError", c, err)
		}
	}
}

func TestStringZeroAmount(t *testing.T) {
	t.Parallel()
	if got := (Amount{}).String(); got != "0" {
		t.Errorf("Amount{}.String() = %q, want \"0\"", got)
	}
	if got := Zero(CNY).String(); got != "0.00" {
		t.Errorf("Zero(CNY).String() = %q, want \"0.00\"", got)
	}
}

// genMinor draws any int64, with the edges drawn often.
func genMinor() *rapid.Generator[int64] {
	return rapid.OneOf(
		rapid.Int64(),
		rapid.SampledFrom([]int64{0, 1, -1, 99, 100, -100, math.MaxInt64, math.MinInt64, math.MaxInt64 - 1, math.MinInt64 + 1}),
	)
}

func genCurrency() *rapid.Generator[Currency] {
	return rapid.SampledFrom(Currencies())
}

func TestPropertyParseStringRoundTrip(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		a := New(genMinor().Draw(t, "minor"), genCurrency().Draw(t, "cur"))
		s := a.String()
		got, err := Parse(s, a.Currency())
		if err != nil {
			t.Fatalf("Parse(%q, %s): %v", s, a.Currency(), err)
		}
		if got != a {
			t.Fatalf("Parse(%q, %s) = %d, want %d", s, a.Currency(), got.Minor(), a.Minor())
		}
		if e := a.Currency().Exponent(); e > 0 && !strings.Contains(s, ".") {
			t.Fatalf("String() = %q has no decimal point for exponent %d", s, e)
		}
	})
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"12.34", "-0.05", "12", "12.3", "0", "-0", "1.234", "1.2345",
		"92233720368547758.07", "-92233720368547758.08", "9223372036854775808", "",
		".5", "5.", "1e3", "+1", "--1", "01", "1,000", " 1", "0.000000000000000000001"} {
		for _, cur := range []uint8{0, 1, 2, 3} {
			f.Add(s, cur)
		}
	}
	curs := Currencies()
	fixed := []Currency{CNY, JPY, "KWD", "CLF"}
	f.Fuzz(func(t *testing.T, s string, pick uint8) {
		cur := curs[int(pick)%len(curs)]
		if pick < 4 {
			cur = fixed[pick]
		}
		a, err := Parse(s, cur)
		if err != nil {
			if a != (Amount{}) {
				t.Fatalf("Parse(%q, %s) failed but returned %#v", s, cur, a)
			}
			return
		}
		canon := a.String()
		b, err := Parse(canon, cur)
		if err != nil || b != a {
			t.Fatalf("Parse(%q, %s) = %d; String() = %q parses to %d, %v", s, cur, a.Minor(), canon, b.Minor(), err)
		}
		if b.String() != canon {
			t.Fatalf("String() not stable: %q then %q", canon, b.String())
		}
		// The canonical form is the input with trailing zeros appended, and
		// with the sign dropped from a negative zero.
		if got, want := strings.HasPrefix(canon, "-"), a.IsNegative(); got != want {
			t.Fatalf("String() = %q for %d has the wrong sign", canon, a.Minor())
		}
		if !strings.HasPrefix(strings.TrimPrefix(canon, "-"), strings.TrimPrefix(s, "-")) {
			t.Fatalf("String() = %q is not %q with zeros appended", canon, s)
		}
	})
}
