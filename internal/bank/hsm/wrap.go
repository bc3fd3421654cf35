package hsm

import (
	"crypto/subtle"
	"fmt"
	"strings"
)

// WrapKey encrypts a working key (ZPK, ZAK) under the zone master key for the
// sign-on key exchange, in the legacy scheme of PROTOCOLS.md §2.8: ECB of
// each cipher block of the clear key under the ZMK, with the working key's
// KCV to send alongside. The working key must be of the ZMK's family:
//
//   - TDES ZMK ([TDES2], [TDES3]): TDES working key, TDES-ECB of each 8-byte
//     part; the cryptogram is 16 or 24 bytes.
//   - AES ZMK: AES-128 or AES-256 working key, AES-ECB of each 16-byte block;
//     AES-192 keys (24 bytes, not whole blocks) cannot be wrapped this way.
//
// Anything else fails with [ErrKeyKind]. The cryptogram carries no integrity
// check of its own; the receiver relies on the KCV ([UnwrapKey]). TR-31 key
// blocks are not implemented.
func WrapKey(zmk, working Key) (cryptogram []byte, kcv string, err error) {
	if err := zmk.need("key wrapping ZMK", wrapFamily); err != nil {
		return nil, "", err
	}
	if err := working.need("key wrapping", func(k Kind) bool { return wrappable(zmk.Kind(), k) }); err != nil {
		return nil, "", err
	}
	b := zmk.block()
	n := b.BlockSize()
	out := make([]byte, len(working.m.b))
	for i := 0; i < len(out); i += n {
		b.Encrypt(out[i:i+n], working.m.b[i:i+n])
	}
	return out, working.KCV(), nil
}

// UnwrapKey decrypts a cryptogram made by [WrapKey] and checks the clear
// key's KCV against expectedKCV (6 hex digits, either case). The working
// key's kind follows from the ZMK's family and the cryptogram's length (TDES
// ZMK: 16 → [TDES2], 24 → [TDES3]; AES ZMK: 16 → [AES128], 32 → [AES256]).
//
// A KCV that differs — corrupt cryptogram, different ZMK — or is malformed
// yields an error wrapping [ErrKCVMismatch]; a cryptogram of the wrong length
// wraps [ErrInvalidKey]. The clear key is never part of an error.
func UnwrapKey(zmk Key, cryptogram []byte, expectedKCV string) (Key, error) {
	if err := zmk.need("key unwrapping ZMK", wrapFamily); err != nil {
		return Key{}, err
	}
	var kind Kind
	for _, k := range []Kind{TDES2, TDES3, AES128, AES256} {
		if k.Size() == len(cryptogram) && wrappable(zmk.Kind(), k) {
			kind = k
		}
	}
	if kind == 0 {
		return Key{}, fmt.Errorf("%w: cryptogram of %d bytes under a %s ZMK", ErrInvalidKey, len(cryptogram), zmk.Kind())
	}
	want := strings.ToUpper(expectedKCV)
	if len(want) != 6 || strings.IndexFunc(want, func(r rune) bool { return r > 0x7f || !isHexDigit(byte(r)) }) >= 0 {
		return Key{}, fmt.Errorf("%w: announced KCV is not 6 hex digits", ErrKCVMismatch)
	}
	b := zmk.block()
	n := b.BlockSize()
	clearKey := make([]byte, len(cryptogram))
	for i := 0; i < len(cryptogram); i += n {
		b.Decrypt(clearKey[i:i+n], cryptogram[i:i+n])
	}
	k := Key{&keyMaterial{kind: kind, b: clearKey}}
	if got := k.KCV(); subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		clear(clearKey)
		return Key{}, fmt.Errorf("%w: computed %s, announced %s", ErrKCVMismatch, got, want)
	}
	return k, nil
}

// wrapFamily reports the kinds that may act as a ZMK.
func wrapFamily(k Kind) bool { return k.isTDES() || k.isAES() }

// wrappable reports whether a working key of kind w can be wrapped under a
// ZMK of kind zmk: same family, whole cipher blocks.
func wrappable(zmk, w Kind) bool {
	switch {
	case zmk.isTDES():
		return w.isTDES()
	case zmk.isAES():
		return w == AES128 || w == AES256
	}
	return false
}
