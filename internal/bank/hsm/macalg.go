package hsm

import (
	"crypto/subtle"
	"encoding"
	"errors"
	"strings"
)

// MACSize is the length of the MAC carried in field 64 or 128 (b64).
const MACSize = 8

// MACAlgorithm selects how a bank link computes the field 64/128 MAC. The
// zero MACAlgorithm is invalid. It reads from and writes to configuration as
// its name ([ParseMACAlgorithm]).
type MACAlgorithm uint8

// The MAC algorithms of the bank link (PROTOCOLS.md §2.9).
const (
	// AlgX919 ("x919") is [MACX919] with [PaddingMethod1] under a TDES ZAK.
	AlgX919 MACAlgorithm = iota + 1
	// AlgAESCMAC ("aes-cmac") is the leftmost 8 bytes of [CMAC] under an AES ZAK.
	AlgAESCMAC
)

var (
	_ encoding.TextMarshaler   = AlgX919
	_ encoding.TextUnmarshaler = (*MACAlgorithm)(nil)
)

var macAlgNames = [...]string{AlgX919: "x919", AlgAESCMAC: "aes-cmac"}

// ParseMACAlgorithm parses a configuration name, "x919" or "aes-cmac",
// ignoring case and surrounding space.
func ParseMACAlgorithm(s string) (MACAlgorithm, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	for a := AlgX919; a <= AlgAESCMAC; a++ {
		if macAlgNames[a] == s {
			return a, nil
		}
	}
	return 0, errors.New("hsm: unknown MAC algorithm (want x919 or aes-cmac)")
}

// String returns the configuration name, or "invalid".
func (a MACAlgorithm) String() string {
	if a < AlgX919 || a > AlgAESCMAC {
		return "invalid"
	}
	return macAlgNames[a]
}

// MarshalText returns the configuration name.
func (a MACAlgorithm) MarshalText() ([]byte, error) {
	if a.String() == "invalid" {
		return nil, errors.New("hsm: invalid MAC algorithm")
	}
	return []byte(a.String()), nil
}

// UnmarshalText parses a configuration name with [ParseMACAlgorithm].
func (a *MACAlgorithm) UnmarshalText(text []byte) error {
	p, err := ParseMACAlgorithm(string(text))
	if err != nil {
		return err
	}
	*a = p
	return nil
}

// CheckKey reports whether key suits the algorithm — a TDES key for
// [AlgX919], an AES key for [AlgAESCMAC] — so a misconfigured ZAK is caught
// at start-up or key exchange rather than on the first message.
func (a MACAlgorithm) CheckKey(key Key) error {
	_, err := a.Compute(key, nil)
	return err
}

// Compute returns the [MACSize]-byte MAC of data (the MAB: the message from
// the MTI up to, not including, the MAC field) under key. Errors wrap
// [ErrInvalidKey] or [ErrKeyKind].
func (a MACAlgorithm) Compute(key Key, data []byte) ([]byte, error) {
	switch a {
	case AlgX919:
		m, err := MACX919(key, data, PaddingMethod1)
		if err != nil {
			return nil, err
		}
		return m[:], nil
	case AlgAESCMAC:
		m, err := CMAC(key, data)
		if err != nil {
			return nil, err
		}
		return m[:MACSize], nil
	}
	return nil, errors.New("hsm: invalid MAC algorithm")
}

// Verify recomputes the MAC of data under key and compares it with mac in
// constant time, returning nil on a match and [ErrMACMismatch] otherwise
// (including a mac of the wrong length). Key errors are as for Compute.
func (a MACAlgorithm) Verify(key Key, data, mac []byte) error {
	want, err := a.Compute(key, data)
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare(want, mac) != 1 {
		return ErrMACMismatch
	}
	return nil
}
