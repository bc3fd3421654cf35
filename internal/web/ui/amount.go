package ui

import (
	"errors"
	"strings"

	"paygate/internal/money"
)

// Problems with a typed amount ([ParseAmount]); each error's text is the
// message key a page shows for it.
var (
	ErrAmountMalformed = errors.New("bad_amount")
	ErrAmountZero      = errors.New("amount_zero")
	ErrAmountTooBig    = errors.New("amount_big")
)

// ParseAmount reads an amount as people type it in major units of cur:
// digits with optional thousands separators in the right places
// ("1,000.50"), at most the currency's fraction digits, surrounding spaces
// ignored; no sign, no exponent, no other characters. It must be positive
// and have at most maxDigits integer digits. Errors: [ErrAmountMalformed],
// [ErrAmountZero], [ErrAmountTooBig].
func ParseAmount(s string, cur money.Currency, maxDigits int) (money.Amount, error) {
	s = strings.TrimSpace(s)
	intPart, frac, hasFrac := strings.Cut(s, ".")
	if hasFrac && frac == "" {
		return money.Amount{}, ErrAmountMalformed
	}
	if strings.Contains(intPart, ",") {
		groups := strings.Split(intPart, ",")
		if len(groups[0]) < 1 || len(groups[0]) > 3 {
			return money.Amount{}, ErrAmountMalformed
		}
		for _, g := range groups[1:] {
			if len(g) != 3 {
				return money.Amount{}, ErrAmountMalformed
			}
		}
		intPart = strings.Join(groups, "")
	}
	if intPart == "" || !AllDigits(intPart) || hasFrac && !AllDigits(frac) {
		return money.Amount{}, ErrAmountMalformed
	}
	if intPart = strings.TrimLeft(intPart, "0"); intPart == "" {
		intPart = "0"
	}
	if len(intPart) > maxDigits {
		return money.Amount{}, ErrAmountTooBig
	}
	norm := intPart
	if hasFrac {
		norm += "." + frac
	}
	a, err := money.Parse(norm, cur)
	if err != nil { // too many fraction digits, or an unknown currency
		return money.Amount{}, ErrAmountMalformed
	}
	if a.Minor() <= 0 {
		return money.Amount{}, ErrAmountZero
	}
	return a, nil
}

// MaxAmount is the largest whole amount of maxDigits digits in cur
// (999,999,999 for 9), for the message of [ErrAmountTooBig].
func MaxAmount(cur money.Currency, maxDigits int) money.Amount {
	a, _ := money.Parse(strings.Repeat("9", maxDigits), cur)
	return a
}

// SafeCell keeps a spreadsheet from reading a text cell as a formula: one
// that starts with = + - @ or a control character gets a leading quote.
func SafeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
