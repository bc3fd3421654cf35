package hsm

import (
	"crypto/subtle"
	"fmt"
)

// PINBlockFormat0 returns the clear ISO 9564-1 format 0 (ANSI X9.8) PIN block
// (PROTOCOLS.md §2.7): the PIN field 0‖L‖PIN‖F… XOR the PAN field 0000‖the
// rightmost 12 PAN digits excluding the check digit. The PIN must be 4–12
// digits ([ErrInvalidPIN]) and the PAN 12–19 digits ([ErrInvalidPAN]).
func PINBlockFormat0(pin, pan string) ([8]byte, error) {
	if err := checkPIN(pin); err != nil {
		return [8]byte{}, err
	}
	if err := checkPAN(pan); err != nil {
		return [8]byte{}, err
	}
	block := pinField(0x0, 0xF, pin)
	pf := panField0(pan)
	subtle.XORBytes(block[:], block[:], pf[:])
	return block, nil
}

// EncryptPINBlock0 returns the format 0 PIN block for pin and pan encrypted
// with TDES-ECB under the zone PIN key, as carried in field 52. zpk must be
// [TDES2] or [TDES3] ([ErrKeyKind]).
func EncryptPINBlock0(zpk Key, pin, pan string) ([]byte, error) {
	if err := zpk.need("PIN block format 0", Kind.isTDES); err != nil {
		return nil, err
	}
	clearBlock, err := PINBlockFormat0(pin, pan)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 8)
	zpk.block().Encrypt(out, clearBlock[:])
	clear(clearBlock[:])
	return out, nil
}

// DecryptPINBlock0 decrypts a format 0 PIN block (8 bytes) under zpk and
// returns the PIN, after checking the block's structure: control nibble 0,
// length 4–12, decimal digits, F fill. A block that fails — almost surely a
// wrong ZPK or PAN, otherwise corrupt data — yields [ErrBadPINBlock]; the
// error never says more, so it is no oracle. The PAN must be valid
// ([ErrInvalidPAN]).
func DecryptPINBlock0(zpk Key, block []byte, pan string) (string, error) {
	if err := zpk.need("PIN block format 0", Kind.isTDES); err != nil {
		return "", err
	}
	if err := checkPAN(pan); err != nil {
		return "", err
	}
	if len(block) != 8 {
		return "", fmt.Errorf("%w: format 0 block must be 8 bytes, got %d", ErrBadPINBlock, len(block))
	}
	var clearBlock [8]byte
	defer clear(clearBlock[:])
	zpk.block().Decrypt(clearBlock[:], block)
	pf := panField0(pan)
	subtle.XORBytes(clearBlock[:], clearBlock[:], pf[:])
	return parsePINField(0x0, 0xF, clearBlock[:])
}

// panField0 is 0000 followed by the rightmost 12 PAN digits excluding the
// check digit, left-padded with zeros if there are fewer.
func panField0(pan string) [8]byte {
	var nib [16]byte
	digits := pan[:len(pan)-1]
	if len(digits) > 12 {
		digits = digits[len(digits)-12:]
	}
	off := 16 - len(digits)
	for i := range len(digits) {
		nib[off+i] = digits[i] - '0'
	}
	var out [8]byte
	packNibbles(out[:], nib[:])
	return out
}
