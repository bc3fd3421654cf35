package hsm

import (
	"fmt"
	"strings"
)

// Kind is a key's algorithm and length. The zero Kind is invalid.
type Kind uint8

// The supported key kinds.
const (
	// DES is a single-length (8-byte) DES key. Legacy: accepted only by
	// [MACX99] and the check values; [ParseKey] yields it only with an
	// explicit "des:" prefix.
	DES Kind = iota + 1
	// TDES2 is a double-length (16-byte) triple-DES key K1‖K2, used as K1,K2,K1.
	TDES2
	// TDES3 is a triple-length (24-byte) triple-DES key K1‖K2‖K3.
	TDES3
	// AES128 is a 16-byte AES key.
	AES128
	// AES192 is a 24-byte AES key.
	AES192
	// AES256 is a 32-byte AES key.
	AES256
)

var kindNames = [...]string{
	DES:    "des",
	TDES2:  "tdes2",
	TDES3:  "tdes3",
	AES128: "aes128",
	AES192: "aes192",
	AES256: "aes256",
}

var kindSizes = [...]int{DES: 8, TDES2: 16, TDES3: 24, AES128: 16, AES192: 24, AES256: 32}

// ParseKind parses a kind name as written by [Kind.String] ("tdes2",
// "aes128", …), ignoring case and surrounding space.
func ParseKind(s string) (Kind, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	for k := DES; k <= AES256; k++ {
		if kindNames[k] == s {
			return k, nil
		}
	}
	return 0, fmt.Errorf("%w: unknown key kind (want one of des, tdes2, tdes3, aes128, aes192, aes256)", ErrInvalidKey)
}

// String returns the kind's name: "des", "tdes2", "tdes3", "aes128",
// "aes192", "aes256", or "invalid".
func (k Kind) String() string {
	if !k.valid() {
		return "invalid"
	}
	return kindNames[k]
}

// MarshalText returns the kind's name; the invalid kind is an error.
func (k Kind) MarshalText() ([]byte, error) {
	if !k.valid() {
		return nil, fmt.Errorf("%w: invalid kind", ErrInvalidKey)
	}
	return []byte(k.String()), nil
}

// UnmarshalText parses a kind name with [ParseKind], for configuration.
func (k *Kind) UnmarshalText(text []byte) error {
	p, err := ParseKind(string(text))
	if err != nil {
		return err
	}
	*k = p
	return nil
}

// Size returns the key length in bytes, or 0 for an invalid kind.
func (k Kind) Size() int {
	if !k.valid() {
		return 0
	}
	return kindSizes[k]
}

func (k Kind) valid() bool { return k >= DES && k <= AES256 }

// isTDES reports a double- or triple-length TDES key (not single DES).
func (k Kind) isTDES() bool { return k == TDES2 || k == TDES3 }

func (k Kind) isAES() bool { return k == AES128 || k == AES192 || k == AES256 }

// isDESFamily reports the kinds whose bytes carry DES parity bits.
func (k Kind) isDESFamily() bool { return k == DES || k.isTDES() }
