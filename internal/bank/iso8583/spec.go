package iso8583

import (
	"fmt"

	moov "github.com/moov-io/iso8583"
	"github.com/moov-io/iso8583/encoding"
	"github.com/moov-io/iso8583/field"
	"github.com/moov-io/iso8583/padding"
	"github.com/moov-io/iso8583/prefix"
)

// compiled is what a Dialect turns into once: the moov spec plus lookups.
type compiled struct {
	spec       *moov.MessageSpec
	fields     map[int]*FieldSpec
	currencies map[string]Currency // by numeric and by alpha code
	filters    []moov.FieldFilter
}

// Spec returns the moov-io message spec of the dialect, building it on
// first use. It fails (wrapping [ErrInvalidDialect]) when the dialect does
// not pass [Dialect.Validate]. The spec is shared: do not modify it.
func (d *Dialect) Spec() (*moov.MessageSpec, error) {
	c, err := d.compile()
	if err != nil {
		return nil, err
	}
	return c.spec, nil
}

func (d *Dialect) compile() (*compiled, error) {
	d.once.Do(func() { d.compiled, d.err = d.build() })
	return d.compiled, d.err
}

func (d *Dialect) build() (*compiled, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	c := &compiled{
		spec:       &moov.MessageSpec{Name: d.Name, Fields: make(map[int]field.Field, len(d.Fields)+2)},
		fields:     make(map[int]*FieldSpec, len(d.Fields)),
		currencies: make(map[string]Currency, 2*len(d.Currencies)),
	}
	c.spec.Fields[0] = d.mtiField()
	c.spec.Fields[1] = d.bitmapField()
	for i := range d.Fields {
		fs := &d.Fields[i]
		c.fields[fs.Number] = fs
		c.spec.Fields[fs.Number] = d.dataField(fs)
		c.filters = append(c.filters, moov.FilterField(fmt.Sprint(fs.Number), maskFilter(fs)))
	}
	for _, cur := range d.Currencies {
		c.currencies[cur.Numeric] = cur
		c.currencies[cur.Alpha] = cur
	}
	if err := c.spec.Validate(); err != nil {
		return nil, fmt.Errorf("%w %q: %w", ErrInvalidDialect, d.Name, err)
	}
	return c, nil
}

func (d *Dialect) mtiField() field.Field {
	spec := &field.Spec{Length: 4, Description: "Message Type Indicator", Enc: encoding.ASCII, Pref: prefix.ASCII.Fixed}
	if d.MTIEncoding == EncodingBCD {
		spec.Enc, spec.Pref = encoding.BCD, prefix.BCD.Fixed
	}
	return field.NewString(spec)
}

// bitmapField is one 8-byte bitmap that moov-io expands to a secondary
// bitmap when bit 1 is set (and only then: Pack emits it only when a field
// 65–128 is present).
func (d *Dialect) bitmapField() field.Field {
	spec := &field.Spec{Length: 8, Description: "Bitmap", Enc: encoding.Binary, Pref: prefix.Binary.Fixed}
	if d.BitmapEncoding == EncodingHex {
		spec.Enc, spec.Pref = encoding.BytesToASCIIHex, prefix.Hex.Fixed
	}
	return field.NewBitmap(spec)
}

func (d *Dialect) dataField(fs *FieldSpec) field.Field {
	spec := &field.Spec{Length: fs.Length, Description: fs.Name}
	bcd := d.NumericEncoding == EncodingBCD
	switch fs.Type {
	case TypeN:
		spec.Enc = encoding.ASCII
		if bcd {
			spec.Enc = encoding.BCD
		}
	case TypeZ:
		spec.Enc = encoding.ASCII
		if bcd {
			spec.Enc = track2BCD{}
		}
	case TypeAN, TypeANS:
		spec.Enc = encoding.ASCII
	case TypeB:
		spec.Enc = encoding.Binary
	}
	spec.Pref = d.prefixer(fs)
	switch fs.padding() {
	case PadZerosLeft:
		spec.Pad = zerosLeft{}
	case PadSpacesRight:
		spec.Pad = padding.Right(' ')
	}
	if fs.Type == TypeB {
		return field.NewBinary(spec)
	}
	return field.NewString(spec)
}

// prefixer maps the length type to a moov-io prefixer. moov-io counts
// ASCII and BCD prefixes in digits but binary prefixes in bytes, so
// LLVAR/LLLVAR become Binary.L/Binary.LL (1 and 2 bytes). Fixed fields
// have no prefix; the Fixed prefixer named after the data encoding is used.
func (d *Dialect) prefixer(fs *FieldSpec) prefix.Prefixer {
	if fs.LengthType == Fixed {
		switch {
		case fs.Type == TypeB:
			return prefix.Binary.Fixed
		case (fs.Type == TypeN || fs.Type == TypeZ) && d.NumericEncoding == EncodingBCD:
			return prefix.BCD.Fixed
		default:
			return prefix.ASCII.Fixed
		}
	}
	ll := fs.LengthType == LLVAR
	switch d.PrefixEncoding {
	case EncodingBCD:
		return pick(ll, prefix.BCD.LL, prefix.BCD.LLL)
	case EncodingBinary:
		return pick(ll, prefix.Binary.L, prefix.Binary.LL)
	default:
		return pick(ll, prefix.ASCII.LL, prefix.ASCII.LLL)
	}
}

func pick(cond bool, a, b prefix.Prefixer) prefix.Prefixer {
	if cond {
		return a
	}
	return b
}

// zerosLeft pads with leading '0's on Pack and, unlike moov-io's
// padding.Left, keeps them on Unpack: the zeros of "000000" or "001" are
// significant, and moov-io's Unpad would turn them into "".
type zerosLeft struct{}

var _ padding.Padder = zerosLeft{}

// Pad implements padding.Padder.
func (zerosLeft) Pad(data []byte, length int) []byte {
	if len(data) >= length {
		return data
	}
	out := make([]byte, length)
	n := length - len(data)
	for i := range n {
		out[i] = '0'
	}
	copy(out[n:], data)
	return out
}

// Unpad implements padding.Padder; it keeps the zeros.
func (zerosLeft) Unpad(data []byte) []byte { return data }

// Inspect implements padding.Padder.
func (zerosLeft) Inspect() []byte { return []byte("0") }

// track2BCD packs track-2 characters two per byte: '0'–'9' as themselves,
// the separator '=' (or 'D') as nibble D, left-aligned, an odd count
// followed by a 0 nibble. The length passed to Decode counts characters.
type track2BCD struct{}

var _ encoding.Encoder = track2BCD{}

// Encode implements encoding.Encoder.
func (track2BCD) Encode(src []byte) ([]byte, error) {
	out := make([]byte, (len(src)+1)/2)
	for i, ch := range src {
		var nib byte
		switch {
		case ch >= '0' && ch <= '9':
			nib = ch - '0'
		case ch == '=' || ch == 'D':
			nib = 0xD
		default:
			return nil, fmt.Errorf("track 2 BCD: invalid character at position %d", i)
		}
		if i%2 == 0 {
			out[i/2] = nib << 4
		} else {
			out[i/2] |= nib
		}
	}
	return out, nil
}

// Decode implements encoding.Encoder; length counts characters.
func (track2BCD) Decode(src []byte, length int) ([]byte, int, error) {
	if length < 0 {
		return nil, 0, fmt.Errorf("track 2 BCD: negative length %d", length)
	}
	n := (length + 1) / 2
	if len(src) < n {
		return nil, 0, fmt.Errorf("track 2 BCD: not enough data: want %d bytes, have %d", n, len(src))
	}
	out := make([]byte, length)
	for i := range out {
		nib := src[i/2] >> 4
		if i%2 == 1 {
			nib = src[i/2] & 0x0F
		}
		switch {
		case nib <= 9:
			out[i] = '0' + nib
		case nib == 0xD:
			out[i] = '='
		default:
			return nil, 0, fmt.Errorf("track 2 BCD: invalid nibble at position %d", i)
		}
	}
	return out, n, nil
}
