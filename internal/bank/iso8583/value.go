package iso8583

import (
	"fmt"
	"strings"
)

// normalize checks a text value (any type but b) against its field and
// returns the canonical form stored in the message: fixed numerics padded to
// full width, trailing pad spaces removed, track-2 'D' separators turned
// into '='. Errors wrap ErrInvalidValue and never quote the value.
func (c *compiled) normalize(fs *FieldSpec, v string) (string, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: field %d (%s): %s", ErrInvalidValue, fs.Number, fs.Name, fmt.Sprintf(format, args...))
	}
	if fs.Type == TypeZ {
		v = strings.ReplaceAll(v, "D", "=")
	}
	if i := firstInvalid(fs.Type, v); i >= 0 {
		return "", bad("character %d is not allowed in a %s field", i+1, fs.Type)
	}
	if fs.LengthType == Fixed {
		switch fs.padding() {
		case PadZerosLeft:
			if len(v) < fs.Length {
				v = strings.Repeat("0", fs.Length-len(v)) + v
			}
		case PadSpacesRight:
			v = strings.TrimRight(v, " ")
			if len(v) > fs.Length {
				return "", bad("length %d exceeds %d", len(v), fs.Length)
			}
			return v, c.checkCurrency(fs, v)
		}
		if len(v) != fs.Length {
			return "", bad("length %d, want exactly %d", len(v), fs.Length)
		}
	} else if len(v) > fs.Length {
		return "", bad("length %d exceeds %d", len(v), fs.Length)
	}
	return v, c.checkCurrency(fs, v)
}

func (c *compiled) checkCurrency(fs *FieldSpec, v string) error {
	if fs.Number != FieldCurrency || len(c.currencies) == 0 {
		return nil
	}
	if cur, ok := c.currencies[v]; !ok || cur.Numeric != v {
		return fmt.Errorf("%w: field 49: currency not accepted by this dialect", ErrInvalidValue)
	}
	return nil
}

// checkBinary checks the length of a b value.
func checkBinary(fs *FieldSpec, b []byte) error {
	switch {
	case fs.LengthType == Fixed && len(b) != fs.Length:
		return fmt.Errorf("%w: field %d (%s): %d bytes, want exactly %d", ErrInvalidValue, fs.Number, fs.Name, len(b), fs.Length)
	case len(b) > fs.Length:
		return fmt.Errorf("%w: field %d (%s): %d bytes, want at most %d", ErrInvalidValue, fs.Number, fs.Name, len(b), fs.Length)
	}
	return nil
}

// firstInvalid returns the index of the first byte of v not allowed in a
// field of type t, or -1.
func firstInvalid(t FieldType, v string) int {
	for i := 0; i < len(v); i++ {
		ch := v[i]
		ok := false
		switch t {
		case TypeN:
			ok = isDigit(ch)
		case TypeZ:
			ok = isDigit(ch) || ch == '='
		case TypeAN:
			ok = isDigit(ch) || ch == ' ' || (ch|0x20 >= 'a' && ch|0x20 <= 'z')
		case TypeANS:
			ok = ch >= 0x20 && ch <= 0x7E
		default:
			ok = true
		}
		if !ok {
			return i
		}
	}
	return -1
}

func isDigit(ch byte) bool { return ch >= '0' && ch <= '9' }

func isDigits(s string) bool { return firstInvalid(TypeN, s) < 0 }

func isUpperLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// checkMTI checks that mti is four digits.
func checkMTI(mti string) error {
	if len(mti) != 4 || !isDigits(mti) {
		return fmt.Errorf("%w: MTI must be 4 digits", ErrInvalidValue)
	}
	return nil
}
