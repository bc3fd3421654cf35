package ui

import "strings"

// NormalizeCardNumber removes the spaces, no-break spaces and dashes people
// type in card numbers.
func NormalizeCardNumber(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '\u00a0' {
			return -1
		}
		return r
	}, s)
}

// ValidPAN reports whether s is a card number: 13–19 digits with a good
// Luhn check digit.
func ValidPAN(s string) bool {
	if len(s) < 13 || len(s) > 19 || !AllDigits(s) {
		return false
	}
	sum := 0
	for i := range len(s) {
		d := int(s[len(s)-1-i] - '0')
		if i%2 == 1 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

// ValidPIN reports whether s is a card PIN: 4–12 digits.
func ValidPIN(s string) bool { return len(s) >= 4 && len(s) <= 12 && AllDigits(s) }

// AllDigits reports whether s is not empty and only ASCII digits.
func AllDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
