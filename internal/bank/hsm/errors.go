package hsm

import "errors"

// Sentinel errors. Functions wrap them with context that never includes key
// material, PINs or PANs; test with [errors.Is].
var (
	// ErrInvalidKey reports a key that is not hex or has an unsupported length.
	ErrInvalidKey = errors.New("hsm: invalid key")
	// ErrKeyKind reports a valid key used by an operation of another family,
	// e.g. an AES key for a format 0 PIN block.
	ErrKeyKind = errors.New("hsm: wrong key kind for operation")
	// ErrKCVMismatch reports that an unwrapped key's check value differs from
	// the one announced with it: the cryptogram is corrupt or the ZMK differs.
	ErrKCVMismatch = errors.New("hsm: key check value mismatch")
	// ErrInvalidPIN reports a PIN that is not 4 to 12 decimal digits.
	ErrInvalidPIN = errors.New("hsm: PIN must be 4 to 12 digits")
	// ErrInvalidPAN reports a PAN that is not 12 to 19 decimal digits.
	ErrInvalidPAN = errors.New("hsm: PAN must be 12 to 19 digits")
	// ErrBadPINBlock reports a PIN block that does not decrypt to a well-formed
	// block: wrong key, wrong PAN, wrong format or corrupt data.
	ErrBadPINBlock = errors.New("hsm: bad PIN block")
	// ErrMACMismatch reports a MAC that does not verify.
	ErrMACMismatch = errors.New("hsm: MAC mismatch")
)
