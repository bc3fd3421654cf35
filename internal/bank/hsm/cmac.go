package hsm

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
)

// CMAC returns the AES-CMAC (NIST SP 800-38B, RFC 4493) of data under an AES
// key (any length; [ErrKeyKind] otherwise). For field 64/128 use the
// leftmost 8 bytes, as [AlgAESCMAC] does.
func CMAC(key Key, data []byte) ([16]byte, error) {
	if err := key.need("AES-CMAC", Kind.isAES); err != nil {
		return [16]byte{}, err
	}
	return cmac(key.block(), data), nil
}

// cmac implements RFC 4493 §2.4 over a 16-byte block cipher.
func cmac(b cipher.Block, data []byte) [16]byte {
	const bs = aes.BlockSize
	var k1, k2 [bs]byte
	b.Encrypt(k1[:], k1[:]) // L = E(K, 0^128)
	k1 = dbl(k1)
	k2 = dbl(k1)

	n := (len(data) + bs - 1) / bs
	complete := n > 0 && len(data)%bs == 0
	if n == 0 {
		n = 1
	}
	var last [bs]byte
	if complete {
		subtle.XORBytes(last[:], data[(n-1)*bs:], k1[:])
	} else {
		rest := copy(last[:], data[(n-1)*bs:])
		last[rest] = 0x80
		subtle.XORBytes(last[:], last[:], k2[:])
	}

	var x [bs]byte
	for i := range n - 1 {
		subtle.XORBytes(x[:], x[:], data[i*bs:(i+1)*bs])
		b.Encrypt(x[:], x[:])
	}
	subtle.XORBytes(x[:], x[:], last[:])
	b.Encrypt(x[:], x[:])
	return x
}

// dbl is multiplication by x in GF(2^128) (RFC 4493 subkey generation):
// shift left one bit and, if the top bit was set, XOR Rb = 0x87.
func dbl(in [16]byte) [16]byte {
	var out [16]byte
	for i := range 15 {
		out[i] = in[i]<<1 | in[i+1]>>7
	}
	out[15] = in[15] << 1
	out[15] ^= byte(subtle.ConstantTimeSelect(int(in[0]>>7), 0x87, 0))
	return out
}
