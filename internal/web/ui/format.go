package ui

import (
	"time"

	"paygate/internal/money"
)

// ChinaTime is China Standard Time, UTC+8, where the payers most likely
// are.
var ChinaTime = time.FixedZone("UTC+8", 8*3600)

// symbols are the currency signs shown before amounts.
var symbols = map[money.Currency]string{"CNY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "JP¥", "HKD": "HK$"}

// FormatAmount is a as payers read it: the currency's sign and thousands
// separated, "¥10,000.00", "-¥5.00"; a currency without a sign is named
// after the number, "1,000.00 CHF".
func FormatAmount(a money.Amount) string { return formatAmount(a, false) }

// FormatSignedAmount is [FormatAmount] with "+" before a positive amount,
// for money in and out: "+¥88.00", "-¥5.00", "¥0.00".
func FormatSignedAmount(a money.Amount) string { return formatAmount(a, true) }

func formatAmount(a money.Amount, signed bool) string {
	s := a.String()
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	intPart, frac := s, ""
	for i := range len(s) {
		if s[i] == '.' {
			intPart, frac = s[:i], s[i:]
			break
		}
	}
	var b []byte
	for i := range len(intPart) {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, intPart[i])
	}
	out := string(b) + frac
	if sym, ok := symbols[a.Currency()]; ok {
		out = sym + out
	} else {
		out += " " + string(a.Currency())
	}
	switch {
	case neg:
		out = "-" + out
	case signed && a.Minor() > 0:
		out = "+" + out
	}
	return out
}

// FormatTime shows t in loc, to the second: "2026-03-31 14:05:09".
func FormatTime(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("2006-01-02 15:04:05")
}
