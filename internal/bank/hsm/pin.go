package hsm

import "fmt"

// checkPIN validates a PIN of 4 to 12 decimal digits. The error never
// contains the PIN.
func checkPIN(pin string) error {
	if len(pin) < 4 || len(pin) > 12 || !allDigits(pin) {
		return ErrInvalidPIN
	}
	return nil
}

// checkPAN validates a PAN of 12 to 19 decimal digits (ISO/IEC 7812 allows
// up to 19; format 0 needs 12 digits besides the check digit, padding the
// rare 12-digit PAN with a zero). The check digit is not verified: test
// cards need not pass Luhn. The error never contains the PAN.
func checkPAN(pan string) error {
	if len(pan) < 12 || len(pan) > 19 || !allDigits(pan) {
		return fmt.Errorf("%w (got %d characters)", ErrInvalidPAN, len(pan))
	}
	return nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// packNibbles packs 2·len(dst) nibbles (values 0–15) into dst.
func packNibbles(dst []byte, nib []byte) {
	for i := range dst {
		dst[i] = nib[2*i]<<4 | nib[2*i+1]
	}
}

// unpackNibbles splits src into 2·len(src) nibbles in dst.
func unpackNibbles(dst []byte, src []byte) {
	for i, c := range src {
		dst[2*i], dst[2*i+1] = c>>4, c&0x0f
	}
}

// pinField builds the first 8 bytes of an ISO 9564 PIN field: control
// nibble, length nibble, PIN digits, then fill nibbles. pin must be valid.
func pinField(control, fill byte, pin string) [8]byte {
	var nib [16]byte
	nib[0], nib[1] = control, byte(len(pin))
	for i := 2; i < 16; i++ {
		if i-2 < len(pin) {
			nib[i] = pin[i-2] - '0'
		} else {
			nib[i] = fill
		}
	}
	var out [8]byte
	packNibbles(out[:], nib[:])
	clear(nib[:])
	return out
}

// parsePINField is the inverse of pinField: it checks the control nibble,
// a length of 4–12, decimal digits and the fill, and returns the PIN. Every
// failure is the bare [ErrBadPINBlock], so that the error is no oracle on
// which check failed.
func parsePINField(control, fill byte, field []byte) (string, error) {
	var nib [16]byte
	defer clear(nib[:])
	unpackNibbles(nib[:], field[:8])
	n := int(nib[1])
	if nib[0] != control || n < 4 || n > 12 {
		return "", ErrBadPINBlock
	}
	pin := make([]byte, n)
	for i := range n {
		d := nib[2+i]
		if d > 9 {
			return "", ErrBadPINBlock
		}
		pin[i] = '0' + d
	}
	for _, f := range nib[2+n:] {
		if f != fill {
			return "", ErrBadPINBlock
		}
	}
	return string(pin), nil
}
