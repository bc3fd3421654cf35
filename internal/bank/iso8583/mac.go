package iso8583

import (
	"fmt"
	"slices"
)

// MACFunc computes a MAC (for example ANSI X9.19 under the ZAK) over the
// MAC input block. It must return 8 bytes and must not keep mab.
type MACFunc func(mab []byte) ([]byte, error)

// MACField returns the field that carries the MAC of m: 128 when a field
// 65–127 is present (the message has a secondary bitmap), 64 otherwise.
func MACField(m *Message) int {
	for _, id := range m.Fields() {
		if id > FieldMAC && id < FieldMAC2 {
			return FieldMAC2
		}
	}
	return FieldMAC
}

// Seal MACs and packs m. It picks the MAC field ([MACField]), removes the
// other one, sets the MAC field to 8 zero bytes so that its bitmap bit is
// set, packs, calls mac on everything but the last 8 bytes — the MTI,
// bitmap(s) and all fields before the MAC, which is always the last field —
// and then writes the MAC both into the packed bytes and into m.
func Seal(m *Message, mac MACFunc) ([]byte, error) {
	id := MACField(m)
	if err := checkMACField(m.c, id); err != nil {
		return nil, err
	}
	m.Unset(FieldMAC + FieldMAC2 - id)
	if err := m.SetBytes(id, make([]byte, macLength)); err != nil {
		return nil, err
	}
	packed, err := Pack(m)
	if err != nil {
		return nil, err
	}
	n := len(packed) - macLength
	sum, err := mac(packed[:n:n])
	if err != nil {
		return nil, fmt.Errorf("iso8583: computing MAC: %w", err)
	}
	if len(sum) != macLength {
		return nil, fmt.Errorf("iso8583: MAC function returned %d bytes, want %d", len(sum), macLength)
	}
	copy(packed[n:], sum)
	if err := m.SetBytes(id, sum); err != nil {
		return nil, err
	}
	return packed, nil
}

// MAB splits a received packed message into its MAC input block and the
// MAC it carries. The message must unpack cleanly in dialect d (else the
// error matches [ErrMalformed]) and carry field 128, or field 64 with no
// field above it (else [ErrNoMAC]). mab and mac are copies.
func MAB(d *Dialect, packed []byte) (mab, mac []byte, err error) {
	m, err := Unpack(d, packed)
	if err != nil {
		return nil, nil, err
	}
	ids := m.Fields()
	if len(ids) == 0 || (ids[len(ids)-1] != FieldMAC && ids[len(ids)-1] != FieldMAC2) {
		return nil, nil, fmt.Errorf("%w: the last field is not 64 or 128", ErrNoMAC)
	}
	if err := checkMACField(m.c, ids[len(ids)-1]); err != nil {
		return nil, nil, err
	}
	n := len(packed) - macLength
	return slices.Clone(packed[:n]), slices.Clone(packed[n:]), nil
}

// checkMACField makes sure the field is raw, fixed and 8 bytes long, which
// is what makes "the MAC is the last 8 bytes" true.
func checkMACField(c *compiled, id int) error {
	fs, ok := c.fields[id]
	if !ok || fs.Type != TypeB || fs.LengthType != Fixed || fs.Length != macLength {
		return fmt.Errorf("%w: field %d is not a fixed 8-byte binary field in this dialect", ErrNoMAC, id)
	}
	return nil
}
