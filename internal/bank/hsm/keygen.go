package hsm

import (
	"bytes"
	crand "crypto/rand"
	"crypto/subtle"
	"fmt"
	"io"
	"math/bits"
)

// NewKey returns a random key of the given kind read from rand (nil means
// crypto/rand). DES-family keys get odd parity in every byte, and their
// 8-byte parts must all differ (equal parts would collapse TDES to single
// DES); a reader that produces equal parts yields an [ErrInvalidKey] error
// rather than a weak key.
func NewKey(kind Kind, rand io.Reader) (Key, error) {
	if !kind.valid() {
		return Key{}, fmt.Errorf("%w: invalid kind", ErrInvalidKey)
	}
	if rand == nil {
		rand = cryptoRand
	}
	b := make([]byte, kind.Size())
	if _, err := io.ReadFull(rand, b); err != nil {
		return Key{}, fmt.Errorf("hsm: reading random key: %w", err)
	}
	if kind.isDESFamily() {
		setOddParity(b)
		for i := 8; i < len(b); i += 8 {
			if bytes.Equal(b[i:i+8], b[i-8:i]) || bytes.Equal(b[i:i+8], b[:8]) {
				clear(b)
				return Key{}, fmt.Errorf("%w: random %s key has equal parts", ErrInvalidKey, kind)
			}
		}
	}
	return Key{&keyMaterial{kind: kind, b: b}}, nil
}

var cryptoRand = crand.Reader

// setOddParity sets the low bit of every byte so that it has an odd number of
// one bits, as DES keys conventionally do.
func setOddParity(b []byte) {
	for i, c := range b {
		c &^= 1
		if bits.OnesCount8(c)%2 == 0 {
			c |= 1
		}
		b[i] = c
	}
}

// XORComponents combines two or more clear key components of the same kind
// into a key by XOR, as HSMs form a ZMK from components held by different
// custodians (PROTOCOLS.md §2.8). The parity of the result is left as the XOR
// produced it (DES ignores parity bits, so the KCV is unaffected). Check
// every component's and the result's KCV against the custodians' forms.
func XORComponents(components ...Key) (Key, error) {
	if len(components) < 2 {
		return Key{}, fmt.Errorf("%w: need at least 2 components, got %d", ErrInvalidKey, len(components))
	}
	first := components[0]
	if !first.Valid() {
		return Key{}, fmt.Errorf("%w: component 1 is empty", ErrInvalidKey)
	}
	out := make([]byte, first.Kind().Size())
	for i, c := range components {
		if !c.Valid() {
			return Key{}, fmt.Errorf("%w: component %d is empty", ErrInvalidKey, i+1)
		}
		if c.Kind() != first.Kind() {
			return Key{}, fmt.Errorf("%w: component %d is %s, component 1 is %s", ErrInvalidKey, i+1, c.Kind(), first.Kind())
		}
		subtle.XORBytes(out, out, c.m.b)
	}
	return Key{&keyMaterial{kind: first.Kind(), b: out}}, nil
}
