package batchrefund

import (
	"errors"
	"fmt"
	"strings"

	"paygate/internal/money"
)

// normalizeAmount checks an amount as written in a sheet — yuan (major
// units) such as "12.34", "1,234.50" or "12", optionally with "¥" before or
// "元" after — and returns it in the grammar of [money.Parse]. It rejects
// anything else, formulas and exponents included, with the problem code
// amount_malformed, and a negative amount with amount_not_positive. The
// number of decimals is checked later, against the payment's currency, by
// [parseAmount].
func normalizeAmount(s string) (dec, problem, message string) {
	if s == "" {
		return "", ProblemAmountMalformed, "The refund amount is empty."
	}
	t := strings.TrimPrefix(s, "'") // a spreadsheet's "this is text" mark
	neg := false
	for _, p := range []string{"-", "－", "−"} {
		if rest, ok := strings.CutPrefix(t, p); ok {
			neg, t = true, rest
			break
		}
	}
	for _, p := range []string{"¥", "￥"} {
		t = strings.TrimPrefix(t, p)
	}
	if !neg {
		if rest, ok := strings.CutPrefix(t, "-"); ok { // ¥-12.34
			neg, t = true, rest
		}
	}
	t = strings.TrimSuffix(t, "元")
	intPart, frac, hasPoint := strings.Cut(t, ".")
	if strings.Contains(intPart, ",") {
		var ok bool
		if intPart, ok = ungroup(intPart); !ok {
			return "", ProblemAmountMalformed, fmt.Sprintf("%q is not an amount: group thousands as 1,234.50.", shorten(s))
		}
	}
	dec = intPart
	if hasPoint {
		dec += "." + frac
	}
	if strings.HasPrefix(dec, "-") { // money.Parse takes a sign; we took it already
		return "", ProblemAmountMalformed, fmt.Sprintf("%q is not an amount: write yuan as 12.34 or 1,234.50.", shorten(s))
	}
	if _, err := money.Parse(dec, decimalProbe); err != nil && !errors.Is(err, money.ErrPrecision) {
		if errors.Is(err, money.ErrOverflow) {
			return "", ProblemAmountMalformed, fmt.Sprintf("%q is too large an amount.", shorten(s))
		}
		return "", ProblemAmountMalformed, fmt.Sprintf("%q is not an amount: write yuan as 12.34 or 1,234.50.", shorten(s))
	}
	if neg {
		return "", ProblemAmountNotPositive, "The refund amount must be more than zero."
	}
	return dec, "", ""
}

// decimalProbe is a currency with the most decimals money knows, so that
// parsing in it checks an amount's grammar whatever its currency.
const decimalProbe = money.Currency("CLF") // 4 decimals

// ungroup removes thousands separators from the integer part of an
// amount: "1,234,567" → "1234567"; ok is false for "12,34" or ",123".
func ungroup(s string) (string, bool) {
	groups := strings.Split(s, ",")
	if len(groups[0]) < 1 || len(groups[0]) > 3 {
		return "", false
	}
	for _, g := range groups[1:] {
		if len(g) != 3 {
			return "", false
		}
	}
	return strings.Join(groups, ""), true
}

// parseAmount reads a normalized amount in cur.
func parseAmount(dec string, cur money.Currency) (a money.Amount, problem, message string) {
	a, err := money.Parse(dec, cur)
	switch {
	case errors.Is(err, money.ErrPrecision):
		msg := fmt.Sprintf("%s has more decimal places than %s allows (%d).", shorten(dec), cur, cur.Exponent())
		if len(strings.TrimLeft(strings.ReplaceAll(dec, ".", ""), "0")) >= 15 {
			msg += fmt.Sprintf(" It looks like a formula's result: round it with =ROUND(…, %d), or type the amount.", cur.Exponent())
		}
		return money.Amount{}, ProblemAmountMalformed, msg
	case err != nil:
		return money.Amount{}, ProblemAmountMalformed, fmt.Sprintf("%q is not an amount in %s.", shorten(dec), cur)
	case a.Sign() <= 0:
		return money.Amount{}, ProblemAmountNotPositive, "The refund amount must be more than zero."
	}
	return a, "", ""
}

// shorten cuts text quoted in a message to a readable length.
func shorten(s string) string {
	const n = 40
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
