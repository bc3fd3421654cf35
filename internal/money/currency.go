package money

import (
	"fmt"
	"slices"
)

// Currency is an ISO 4217 alphabetic code such as "CNY".
//
// Any string converts to a Currency, so values from outside the process
// (requests, files, database rows) should go through [ParseCurrency], which
// accepts only codes in the table. Methods on a code that is not in the
// table return zero values.
type Currency string

// Currencies paygate handles every day. Every other code in the table is
// reached through [ParseCurrency] or [CurrencyByNumeric].
const (
	CNY Currency = "CNY" // Chinese yuan renminbi, 2 decimals (fen).
	HKD Currency = "HKD" // Hong Kong dollar, 2 decimals.
	USD Currency = "USD" // US dollar, 2 decimals.
	EUR Currency = "EUR" // Euro, 2 decimals.
	GBP Currency = "GBP" // Pound sterling, 2 decimals.
	JPY Currency = "JPY" // Japanese yen, 0 decimals.
)

// currencyInfo is one row of the ISO 4217 table.
type currencyInfo struct {
	numeric  string // three digits, zero-padded
	exponent int    // digits of the minor unit
}

// byNumeric maps numeric codes back to alphabetic ones. It is derived once
// from the table and never written afterwards.
var byNumeric = func() map[string]Currency {
	m := make(map[string]Currency, len(currencyTable))
	for c, info := range currencyTable {
		m[info.numeric] = c
	}
	return m
}()

// ParseCurrency returns the currency with alphabetic code s. The match is
// exact and case-sensitive: "cny" is rejected. An unknown code returns an
// error of type *[UnknownCurrencyError].
func ParseCurrency(s string) (Currency, error) {
	if _, ok := currencyTable[Currency(s)]; !ok {
		return "", &UnknownCurrencyError{Code: s}
	}
	return Currency(s), nil
}

// CurrencyByNumeric returns the currency with the three-digit ISO 4217
// numeric code n, such as "156" for [CNY] (ISO 8583 field 49). An unknown
// code returns an error of type *[UnknownCurrencyError].
func CurrencyByNumeric(n string) (Currency, error) {
	c, ok := byNumeric[n]
	if !ok {
		return "", &UnknownCurrencyError{Code: n}
	}
	return c, nil
}

// Currencies returns every currency in the table, sorted by code.
func Currencies() []Currency {
	cs := make([]Currency, 0, len(currencyTable))
	for c := range currencyTable {
		cs = append(cs, c)
	}
	slices.Sort(cs)
	return cs
}

// Exponent returns the number of minor-unit digits of c: 2 for [CNY]
// (1 yuan = 100 fen), 0 for [JPY], 3 for KWD, 4 for CLF. It returns 0 for a
// code that is not in the table.
func (c Currency) Exponent() int {
	return currencyTable[c].exponent
}

// Numeric returns the three-digit ISO 4217 numeric code of c, such as "156"
// for [CNY]. It returns "" for a code that is not in the table.
func (c Currency) Numeric() string {
	return currencyTable[c].numeric
}

// String returns the alphabetic code.
func (c Currency) String() string {
	return string(c)
}

// lookup returns the table row for c, or an error for an unknown code.
func (c Currency) lookup() (currencyInfo, error) {
	info, ok := currencyTable[c]
	if !ok {
		return currencyInfo{}, &UnknownCurrencyError{Code: string(c)}
	}
	return info, nil
}

// check reports an error unless c is in the table. op names the caller.
func (c Currency) check(op string) error {
	if _, err := c.lookup(); err != nil {
		return fmt.Errorf("money: %s: %w", op, err)
	}
	return nil
}
