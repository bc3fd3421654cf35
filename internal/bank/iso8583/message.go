package iso8583

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"

	moov "github.com/moov-io/iso8583"
	"github.com/moov-io/iso8583/field"
)

// Message is one ISO 8583 message of a [Dialect]. Values are validated and
// normalized when set (see [Message.Set]). A Message is not safe for
// concurrent use.
type Message struct {
	d *Dialect
	c *compiled
	m *moov.Message
}

// NewMessage returns an empty message of dialect d. It panics if d is not
// valid; dialects from [Lookup] and [ParseDialect] always are.
func NewMessage(d *Dialect) *Message {
	c, err := d.compile()
	if err != nil {
		panic(err) // a programming error, as for moov-io's NewMessage
	}
	return &Message{d: d, c: c, m: moov.NewMessage(c.spec)}
}

// Dialect returns the dialect of the message.
func (m *Message) Dialect() *Dialect { return m.d }

// Moov returns the underlying moov-io message, for code that needs the
// moov-io API (for example iso8583-connection). Values set through it
// bypass validation until [Pack].
func (m *Message) Moov() *moov.Message { return m.m }

// SetMTI sets the message type indicator, four digits such as [MTIPurchase].
func (m *Message) SetMTI(mti string) error {
	if err := checkMTI(mti); err != nil {
		return err
	}
	m.m.MTI(mti)
	return nil
}

// MTI returns the message type indicator, or "" if it is not set.
func (m *Message) MTI() string {
	f, ok := m.m.GetFields()[0]
	if !ok {
		return ""
	}
	s, _ := f.String()
	return s
}

// Set sets field id from its text form. The value is checked against the
// field's type and length (errors wrap [ErrInvalidValue] or
// [ErrUnknownField]) and normalized: fixed n fields are left-padded with
// zeros to full width, trailing spaces of space-padded fields are removed,
// 'D' in z fields becomes '='. For b fields the value is hex.
func (m *Message) Set(id int, value string) error {
	fs, err := m.fieldSpec(id)
	if err != nil {
		return err
	}
	if fs.Type == TypeB {
		b, err := hex.DecodeString(value)
		if err != nil {
			return fmt.Errorf("%w: field %d (%s): want hex", ErrInvalidValue, id, fs.Name)
		}
		return m.SetBytes(id, b)
	}
	v, err := m.c.normalize(fs, value)
	if err != nil {
		return err
	}
	return m.m.Field(id, v)
}

// SetBytes sets field id from raw bytes: the content of a b field, or the
// characters of any other field (then as [Message.Set]).
func (m *Message) SetBytes(id int, value []byte) error {
	fs, err := m.fieldSpec(id)
	if err != nil {
		return err
	}
	if fs.Type != TypeB {
		return m.Set(id, string(value))
	}
	if err := checkBinary(fs, value); err != nil {
		return err
	}
	return m.m.BinaryField(id, bytes.Clone(value))
}

// Get returns the value of field id in text form (upper-case hex for b
// fields), or "" if the field is absent.
func (m *Message) Get(id int) string {
	f := m.present(id)
	if f == nil {
		return ""
	}
	s, _ := f.String()
	return s
}

// Bytes returns a copy of the raw value of field id (the characters for
// text fields), or nil if the field is absent.
func (m *Message) Bytes(id int) []byte {
	f := m.present(id)
	if f == nil {
		return nil
	}
	b, _ := f.Bytes()
	return bytes.Clone(b)
}

// Has reports whether field id is present.
func (m *Message) Has(id int) bool { return m.present(id) != nil }

// Unset removes field id.
func (m *Message) Unset(id int) {
	if id >= 2 {
		m.m.UnsetField(id)
	}
}

// Fields returns the numbers of the data elements present, ascending.
func (m *Message) Fields() []int {
	var ids []int
	for id := range m.m.GetFields() {
		if id >= 2 {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// present returns the field if it is set. moov-io's GetString/GetField
// would create an absent field (and so add it to the next Pack), hence the
// lookup in a copy of the field map.
func (m *Message) present(id int) field.Field {
	if id < 2 {
		return nil
	}
	return m.m.GetFields()[id]
}

func (m *Message) fieldSpec(id int) (*FieldSpec, error) {
	fs, ok := m.c.fields[id]
	if !ok {
		return nil, fmt.Errorf("%w: field %d in dialect %q", ErrUnknownField, id, m.d.Name)
	}
	return fs, nil
}

// Pack encodes the message. The MTI must be set; values set through
// [Message.Moov] are validated here as by [Message.Set]. The secondary
// bitmap is emitted only when a field 65–128 is present.
func Pack(m *Message) ([]byte, error) {
	if err := checkMTI(m.MTI()); err != nil {
		return nil, err
	}
	for id, f := range m.m.GetFields() {
		if id < 2 {
			continue
		}
		if err := m.revalidate(id, f); err != nil {
			return nil, err
		}
	}
	b, err := m.m.Pack()
	if err != nil {
		return nil, fmt.Errorf("iso8583: pack %s message: %w", m.d.Name, err)
	}
	return b, nil
}

// revalidate checks a field already in the message and stores its
// normalized form.
func (m *Message) revalidate(id int, f field.Field) error {
	fs, err := m.fieldSpec(id)
	if err != nil {
		return err
	}
	raw, err := f.Bytes()
	if err != nil {
		return fmt.Errorf("%w: field %d (%s): %w", ErrInvalidValue, id, fs.Name, err)
	}
	if fs.Type == TypeB {
		return checkBinary(fs, raw)
	}
	v, err := m.c.normalize(fs, string(raw))
	if err != nil {
		return err
	}
	if v != string(raw) {
		return f.SetBytes([]byte(v))
	}
	return nil
}

// Unpack decodes exactly one message of dialect d from data (no length
// header). Every problem with data — truncation, trailing bytes, more than
// two bitmaps, a bit for a field the dialect does not define, a value of the
// wrong character class or currency, or a panic inside moov-io — is
// returned as a [*MalformedError] matching [ErrMalformed]. An invalid
// dialect returns an error wrapping [ErrInvalidDialect].
func Unpack(d *Dialect, data []byte) (msg *Message, err error) {
	c, err := d.compile()
	if err != nil {
		return nil, err
	}
	m := &Message{d: d, c: c, m: moov.NewMessage(c.spec)}
	id, off := 0, 0
	malformed := func(cause error) (*Message, error) {
		return nil, &MalformedError{Field: id, Offset: off, Err: cause}
	}
	defer func() {
		if r := recover(); r != nil {
			msg, err = malformed(fmt.Errorf("codec panic: %v", r))
		}
	}()

	// This is moov-io's Message.Unpack loop, done here on the message's
	// own (live) fields so that the bytes consumed are known.
	mti := m.m.GetField(0)
	n, err := mti.Unpack(data)
	if err != nil {
		return malformed(err)
	}
	if err := checkMTI(m.MTI()); err != nil {
		return malformed(err)
	}
	off, id = off+n, 1
	bm := m.m.Bitmap()
	if n, err = bm.Unpack(data[off:]); err != nil {
		return malformed(err)
	}
	if bm.Len() > 128 {
		return malformed(errors.New("more than two bitmaps"))
	}
	off += n
	for id = 2; id <= bm.Len(); id++ {
		if bm.IsBitmapPresenceBit(id) || !bm.IsSet(id) {
			continue
		}
		if _, ok := c.fields[id]; !ok {
			return malformed(fmt.Errorf("bit %d is set but dialect %q has no field %d", id, d.Name, id))
		}
		f := m.m.GetField(id)
		if n, err = f.Unpack(data[off:]); err != nil {
			return malformed(err)
		}
		if err := m.revalidate(id, f); err != nil {
			return malformed(err)
		}
		off += n
	}
	if off != len(data) {
		id = -1
		return malformed(fmt.Errorf("%w: %d", ErrTrailingBytes, len(data)-off))
	}
	return m, nil
}
