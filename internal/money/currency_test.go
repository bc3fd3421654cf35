package money

import (
	"errors"
	"slices"
	"testing"

	"github.com/bojanz/currency"
	"github.com/google/go-cmp/cmp"
)

// TestCurrencyTableMatchesBojanz proves every row of the table (numeric code
// and exponent) against github.com/bojanz/currency, which is generated from
// the ISO 4217 list published by SIX, and checks that both hold the same
// set of codes.
func TestCurrencyTableMatchesBojanz(t *testing.T) {
	t.Parallel()
	for _, c := range Currencies() {
		digits, ok := currency.GetDigits(string(c))
		if !ok {
			t.Errorf("%s: not an ISO 4217 currency according to bojanz/currency", c)
			continue
		}
		if got, want := c.Exponent(), int(digits); got != want {
			t.Errorf("%s: Exponent() = %d, ISO 4217 says %d", c, got, want)
		}
		numeric, _ := currency.GetNumericCode(string(c))
		if got := c.Numeric(); got != numeric {
			t.Errorf("%s: Numeric() = %q, ISO 4217 says %q", c, got, numeric)
		}
	}
	iso := currency.GetCurrencyCodes()
	slices.Sort(iso)
	var ours []string
	for _, c := range Currencies() {
		ours = append(ours, string(c))
	}
	if diff := cmp.Diff(iso, ours); diff != "" {
		t.Errorf("currency codes differ from ISO 4217 (-iso +ours):\n%s", diff)
	}
}

func TestCurrencyTableRequired(t *testing.T) {
	t.Parallel()
	tests := []struct {
		exponent int
		codes    []Currency
	}{
		{0, []Currency{"JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF", "XPF", "PYG", "BIF", "DJF", "GNF", "KMF", "RWF", "VUV", "UYI"}},
		{2, []Currency{"CNY", "HKD", "USD", "EUR", "GBP", "SGD", "TWD", "MOP"}},
		{3, []Currency{"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"}},
		{4, []Currency{"CLF", "UYW"}},
	}
	for _, tc := range tests {
		for _, c := range tc.codes {
			if _, err := ParseCurrency(string(c)); err != nil {
				t.Errorf("ParseCurrency(%q): %v", c, err)
			}
			if got := c.Exponent(); got != tc.exponent {
				t.Errorf("%s.Exponent() = %d, want %d", c, got, tc.exponent)
			}
		}
	}
	if n := len(Currencies()); n < 60 {
		t.Errorf("table has %d currencies, want at least 60", n)
	}
}

func TestCurrencyNumeric(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cur     Currency
		numeric string
	}{
		{CNY, "156"}, {USD, "840"}, {EUR, "978"}, {JPY, "392"}, {HKD, "344"},
		{GBP, "826"}, {"ALL", "008"}, {"DZD", "012"}, {"SBD", "090"},
	}
	for _, tc := range tests {
		if got := tc.cur.Numeric(); got != tc.numeric {
			t.Errorf("%s.Numeric() = %q, want %q", tc.cur, got, tc.numeric)
		}
		got, err := CurrencyByNumeric(tc.numeric)
		if err != nil || got != tc.cur {
			t.Errorf("CurrencyByNumeric(%q) = %q, %v; want %q", tc.numeric, got, err, tc.cur)
		}
	}
}

func TestCurrencyByNumericRoundTrip(t *testing.T) {
	t.Parallel()
	for _, c := range Currencies() {
		n := c.Numeric()
		if len(n) != 3 || !isDigits(n) {
			t.Errorf("%s.Numeric() = %q, want three digits", c, n)
		}
		got, err := CurrencyByNumeric(n)
		if err != nil || got != c {
			t.Errorf("CurrencyByNumeric(%q) = %q, %v; want %q", n, got, err, c)
		}
	}
}

func TestParseCurrencyErrors(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "cny", "Cny", "CN", "CNYY", " CNY", "XXX", "XAU", "XDR", "ABC", "156"} {
		c, err := ParseCurrency(s)
		var ue *UnknownCurrencyError
		if !errors.As(err, &ue) || ue.Code != s {
			t.Errorf("ParseCurrency(%q) = %q, %v; want *UnknownCurrencyError{%q}", s, c, err, s)
		}
	}
	for _, n := range []string{"", "0", "156 ", "999", "CNY", "56"} {
		c, err := CurrencyByNumeric(n)
		var ue *UnknownCurrencyError
		if !errors.As(err, &ue) || ue.Code != n {
			t.Errorf("CurrencyByNumeric(%q) = %q, %v; want *UnknownCurrencyError{%q}", n, c, err, n)
		}
	}
}

func TestUnknownCurrencyMethods(t *testing.T) {
	t.Parallel()
	c := Currency("XYZ")
	if c.Exponent() != 0 || c.Numeric() != "" {
		t.Errorf("XYZ: Exponent() = %d, Numeric() = %q; want 0, \"\"", c.Exponent(), c.Numeric())
	}
}
