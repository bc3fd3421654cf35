package hsm

import (
	"crypto/subtle"
	"fmt"
	"io"
)

// EncryptPINBlock4 returns the ISO 9564-1 format 4 PIN block (16 bytes) for
// pin and pan under the AES zone PIN key (PROTOCOLS.md §2.7): the PIN field
// 4‖L‖PIN‖A… plus 8 random bytes read from rand (nil means crypto/rand) is
// enciphered, XORed with the PAN field M‖PAN‖0…, and enciphered again. zpk
// must be an AES key ([ErrKeyKind]); the PIN must be 4–12 digits
// ([ErrInvalidPIN]) and the PAN 12–19 digits ([ErrInvalidPAN]).
func EncryptPINBlock4(zpk Key, pin, pan string, rand io.Reader) ([]byte, error) {
	if err := zpk.need("PIN block format 4", Kind.isAES); err != nil {
		return nil, err
	}
	if err := checkPIN(pin); err != nil {
		return nil, err
	}
	if err := checkPAN(pan); err != nil {
		return nil, err
	}
	if rand == nil {
		rand = cryptoRand
	}
	var random [8]byte
	if _, err := io.ReadFull(rand, random[:]); err != nil {
		return nil, fmt.Errorf("hsm: reading PIN block fill: %w", err)
	}
	pf := pinField4(pin, random)
	defer clear(pf[:])
	panF := panField4(pan)
	b := zpk.block()
	out := make([]byte, 16)
	b.Encrypt(out, pf[:])
	subtle.XORBytes(out, out, panF[:])
	b.Encrypt(out, out)
	return out, nil
}

// DecryptPINBlock4 deciphers a format 4 PIN block (16 bytes) under the AES
// zpk and returns the PIN, after checking control nibble 4, length 4–12,
// decimal digits and A fill. A block that fails — almost surely a wrong ZPK
// or PAN — yields [ErrBadPINBlock] and nothing more.
func DecryptPINBlock4(zpk Key, block []byte, pan string) (string, error) {
	if err := zpk.need("PIN block format 4", Kind.isAES); err != nil {
		return "", err
	}
	if err := checkPAN(pan); err != nil {
		return "", err
	}
	if len(block) != 16 {
		return "", fmt.Errorf("%w: format 4 block must be 16 bytes, got %d", ErrBadPINBlock, len(block))
	}
	var buf [16]byte
	defer clear(buf[:])
	b := zpk.block()
	b.Decrypt(buf[:], block)
	panF := panField4(pan)
	subtle.XORBytes(buf[:], buf[:], panF[:])
	b.Decrypt(buf[:], buf[:])
	return parsePINField(0x4, 0xA, buf[:8])
}

// pinField4 is 4‖L‖PIN‖A fill to 16 nibbles, then the 8 random bytes.
func pinField4(pin string, random [8]byte) [16]byte {
	var out [16]byte
	head := pinField(0x4, 0xA, pin)
	copy(out[:8], head[:])
	copy(out[8:], random[:])
	clear(head[:])
	return out
}

// panField4 is M = len(PAN)−12 (0 when shorter, the PAN then left-padded
// with zeros to 12 digits), the PAN digits, and 0 padding to 32 nibbles.
// checkPAN admits 12–19 digits; the short-PAN rule is kept because it is the
// standard's encoding (and its published vector is tested).
func panField4(pan string) [16]byte {
	var nib [32]byte
	digits := pan
	if len(pan) >= 12 {
		nib[0] = byte(len(pan) - 12)
	} else {
		digits = "000000000000"[len(pan):] + pan
	}
	for i := range len(digits) {
		nib[1+i] = digits[i] - '0'
	}
	var out [16]byte
	packNibbles(out[:], nib[:])
	return out
}
