package wire

import (
	"errors"
	"fmt"

	"paygate/internal/bank/hsm"
	"paygate/internal/bank/iso8583"
)

// ErrNoMAC is returned by [VerifyMAC] for a message that carries no MAC
// field (64 or 128) as its last field.
var ErrNoMAC = errors.New("wire: message has no MAC")

// Seal MACs m under zak with alg and packs it ([iso8583.Seal]).
func Seal(m *iso8583.Message, alg hsm.MACAlgorithm, zak hsm.Key) ([]byte, error) {
	return iso8583.Seal(m, func(mab []byte) ([]byte, error) { return alg.Compute(zak, mab) })
}

// VerifyMAC checks the MAC of a received message: m is raw unpacked, and
// its last field must be 64 or 128 (the MAC is then the last 8 bytes of
// raw, and everything before is the MAC input block). It returns nil, an
// error wrapping [ErrNoMAC], or hsm.ErrMACMismatch.
func VerifyMAC(m *iso8583.Message, raw []byte, alg hsm.MACAlgorithm, zak hsm.Key) error {
	ids := m.Fields()
	if len(ids) == 0 {
		return ErrNoMAC
	}
	last := ids[len(ids)-1]
	if (last != iso8583.FieldMAC && last != iso8583.FieldMAC2) || len(raw) < hsm.MACSize {
		return ErrNoMAC
	}
	n := len(raw) - hsm.MACSize
	if err := alg.Verify(zak, raw[:n:n], raw[n:]); err != nil {
		return fmt.Errorf("wire: verify MAC: %w", err)
	}
	return nil
}
