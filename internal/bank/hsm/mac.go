package hsm

import (
	"crypto/cipher"
	"crypto/des"
	"fmt"
)

// Padding is an ISO/IEC 9797-1 padding method for the DES MACs.
type Padding uint8

// The padding methods. The zero Padding is invalid.
const (
	// PaddingMethod1 appends zero bytes up to a multiple of 8; data already
	// aligned is not padded, and empty data becomes one zero block.
	PaddingMethod1 Padding = 1
	// PaddingMethod2 appends 0x80 and then zero bytes up to a multiple of 8,
	// always adding at least one byte.
	PaddingMethod2 Padding = 2
)

// pad returns data padded to a multiple of 8 bytes by method p.
func (p Padding) pad(data []byte) ([]byte, error) {
	switch p {
	case PaddingMethod1:
		n := max(8, (len(data)+7)/8*8)
		out := make([]byte, n)
		copy(out, data)
		return out, nil
	case PaddingMethod2:
		out := make([]byte, (len(data)+8)/8*8)
		copy(out, data)
		out[len(data)] = 0x80
		return out, nil
	}
	return nil, fmt.Errorf("hsm: unknown MAC padding method %d", p)
}

// MACX919 returns the ANSI X9.19 retail MAC, ISO/IEC 9797-1 MAC algorithm 3
// (PROTOCOLS.md §2.9), of data under a TDES zone authentication key
// ([TDES2] or [TDES3]; [ErrKeyKind] otherwise): pad by method pad, CBC-MAC
// with single DES under K1 (IV 0), and the final block under the full TDES
// key — for a double-length key E(K1, D(K2, ·)) of the last CBC output, the
// standard; for a triple-length key E(K3, D(K2, ·)), our generalization.
func MACX919(zak Key, data []byte, pad Padding) ([8]byte, error) {
	if err := zak.need("X9.19 MAC", Kind.isTDES); err != nil {
		return [8]byte{}, err
	}
	m, err := pad.pad(data)
	if err != nil {
		return [8]byte{}, err
	}
	k1, _ := des.NewCipher(zak.m.b[:8]) // 8 bytes: cannot fail
	y := cbcMAC(k1, m[:len(m)-8])
	for i := range 8 {
		y[i] ^= m[len(m)-8+i]
	}
	zak.block().Encrypt(y[:], y[:]) // E_K1 then the TDES unwinding D_K2, E_K3
	return y, nil
}

// MACX99 returns the legacy ANSI X9.9 MAC, ISO/IEC 9797-1 MAC algorithm 1
// with single DES: the last block of a CBC encryption (IV 0) of the padded
// data. The key must be single-length [DES] ([ErrKeyKind] otherwise); prefer
// [MACX919] or [CMAC] for anything new.
func MACX99(key Key, data []byte, pad Padding) ([8]byte, error) {
	if err := key.need("X9.9 MAC", func(k Kind) bool { return k == DES }); err != nil {
		return [8]byte{}, err
	}
	m, err := pad.pad(data)
	if err != nil {
		return [8]byte{}, err
	}
	return cbcMAC(key.block(), m), nil
}

// cbcMAC returns the last block of the CBC encryption (IV 0) of the
// 8-byte-aligned m; zeros for empty m.
func cbcMAC(b cipher.Block, m []byte) [8]byte {
	var y [8]byte
	for i := 0; i < len(m); i += 8 {
		for j := range 8 {
			y[j] ^= m[i+j]
		}
		b.Encrypt(y[:], y[:])
	}
	return y
}
