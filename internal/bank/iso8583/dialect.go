package iso8583

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Encoding names how a part of the message is represented on the wire.
type Encoding string

// Encodings. Which ones are allowed depends on the part: see [Dialect].
const (
	// EncodingASCII is one ASCII character per digit or character.
	EncodingASCII Encoding = "ascii"
	// EncodingBCD is packed BCD, two digits per byte, right-aligned: an odd
	// number of digits gets a leading 0 nibble.
	EncodingBCD Encoding = "bcd"
	// EncodingBinary is raw bytes (bitmaps), or a big-endian unsigned
	// integer (length prefixes: 1 byte for LLVAR, 2 bytes for LLLVAR).
	EncodingBinary Encoding = "binary"
	// EncodingHex is upper-case hex ASCII, two characters per byte (bitmaps).
	EncodingHex Encoding = "hex"
)

// FieldType is the ISO 8583 content type of a data element.
type FieldType string

// Field types.
const (
	// TypeN is numeric digits 0–9, encoded as the dialect's numeric encoding.
	TypeN FieldType = "n"
	// TypeAN is letters, digits and space, always ASCII.
	TypeAN FieldType = "an"
	// TypeANS is printable ASCII (0x20–0x7E), always ASCII.
	TypeANS FieldType = "ans"
	// TypeB is raw bytes; Length counts bytes (b64 in ISO notation = 8).
	TypeB FieldType = "b"
	// TypeZ is track-2 data: digits and the separator '='. In ASCII it is one
	// character per byte; in BCD the separator is nibble D, the data is
	// left-aligned and an odd length gets a trailing 0 nibble. A 'D' given as
	// separator is normalized to '='.
	TypeZ FieldType = "z"
)

// LengthType says whether a data element is fixed or variable length.
type LengthType string

// Length types.
const (
	// Fixed fields always occupy Length units and carry no prefix.
	Fixed LengthType = "fixed"
	// LLVAR fields carry a 2-digit length prefix (max 99).
	LLVAR LengthType = "llvar"
	// LLLVAR fields carry a 3-digit length prefix (max 999).
	LLLVAR LengthType = "lllvar"
)

// Padding says how a fixed field shorter than its length is filled.
type Padding string

// Paddings. The empty value means the default for the type: [PadZerosLeft]
// for fixed n fields, [PadSpacesRight] for fixed an/ans fields and
// [PadNone] for everything else.
const (
	// PadNone requires values of exactly the fixed length.
	PadNone Padding = "none"
	// PadZerosLeft right-justifies with leading '0's. The zeros are part of
	// the value: "000000" reads back as "000000".
	PadZerosLeft Padding = "zeros_left"
	// PadSpacesRight left-justifies with trailing spaces, which are removed
	// when the value is set or unpacked.
	PadSpacesRight Padding = "spaces_right"
)

// Mask says how a field is shown by [Describe], [Message.String] and
// [Message.LogValue]. The empty value means the default: [MaskPAN] for field
// 2, [MaskTrack2] for 35, [MaskKeys] for 48, [MaskHidden] for 52, 64 and 128,
// [MaskNone] for the rest. Those six fields accept only their default or
// [MaskHidden], so configuration can mask more but never less.
type Mask string

// Masks.
const (
	// MaskNone shows the value.
	MaskNone Mask = "none"
	// MaskPAN keeps the first 6 and last 4 digits.
	MaskPAN Mask = "pan"
	// MaskTrack2 masks the PAN part like [MaskPAN] and hides everything after
	// the separator.
	MaskTrack2 Mask = "track2"
	// MaskKeys hides every run of 8 or more hex digits (cryptograms, check
	// values, anything PAN-like) and shows the rest.
	MaskKeys Mask = "keys"
	// MaskHidden shows only the length.
	MaskHidden Mask = "hidden"
)

// Currency is an ISO 4217 currency accepted in field 49 by a dialect.
type Currency struct {
	// Numeric is the 3-digit code sent in field 49, e.g. "840".
	Numeric string `json:"numeric"`
	// Alpha is the 3-letter code, e.g. "USD".
	Alpha string `json:"alpha"`
	// MinorUnits is the exponent: field 4 carries amount × 10^MinorUnits.
	MinorUnits int `json:"minor_units"`
}

// FieldSpec describes one data element of a [Dialect].
type FieldSpec struct {
	// Number is the data element number, 2–128 (1 is the secondary bitmap
	// and 65 the tertiary bitmap indicator; neither can be described).
	Number int `json:"number"`
	// Name is a short description, used by [Describe].
	Name string `json:"name"`
	// Type is the content type.
	Type FieldType `json:"type"`
	// Length is the fixed length, or the maximum for variable fields, in
	// digits (n, z), characters (an, ans) or bytes (b).
	Length int `json:"length"`
	// LengthType is fixed, llvar or lllvar.
	LengthType LengthType `json:"length_type"`
	// Padding is how a fixed field is filled; empty means the type default.
	Padding Padding `json:"padding,omitempty"`
	// Mask is how the field is shown in logs; empty means the default.
	Mask Mask `json:"mask,omitempty"`
}

// Dialect is one bank's ISO 8583 wire format, as data. Load one with
// [Lookup] or [ParseDialect]; a Dialect must not be modified once it has
// been used (its moov-io spec is built once and cached).
type Dialect struct {
	// Name identifies the dialect, e.g. "cmb".
	Name string `json:"name"`
	// Description is free text for humans.
	Description string `json:"description,omitempty"`
	// MTIEncoding is ascii (4 bytes) or bcd (2 bytes).
	MTIEncoding Encoding `json:"mti_encoding"`
	// BitmapEncoding is binary (8 bytes per bitmap) or hex (16 characters).
	BitmapEncoding Encoding `json:"bitmap_encoding"`
	// NumericEncoding is ascii or bcd; it applies to n and z fields.
	NumericEncoding Encoding `json:"numeric_encoding"`
	// PrefixEncoding is ascii ("16": 2/3 bytes), bcd (0x16: 1/2 bytes) or
	// binary (0x10: 1/2 bytes) for LLVAR/LLLVAR length prefixes. The prefix
	// counts digits for n and z, characters for an/ans, bytes for b.
	PrefixEncoding Encoding `json:"prefix_encoding"`
	// Currencies lists the currencies allowed in field 49. Empty allows any
	// 3-digit code.
	Currencies []Currency `json:"currencies,omitempty"`
	// Fields is the data element table.
	Fields []FieldSpec `json:"fields"`

	once     sync.Once
	compiled *compiled
	err      error
}

// ParseDialect decodes a dialect from JSON, normalizes the case of its enum
// values and validates it. Unknown JSON keys are an error.
func ParseDialect(data []byte) (*Dialect, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	d := new(Dialect)
	if err := dec.Decode(d); err != nil {
		return nil, fmt.Errorf("%w: decoding JSON: %w", ErrInvalidDialect, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the JSON object", ErrInvalidDialect)
	}
	d.normalize()
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return d, nil
}

func (d *Dialect) normalize() {
	lower := func(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
	d.MTIEncoding = Encoding(lower(string(d.MTIEncoding)))
	d.BitmapEncoding = Encoding(lower(string(d.BitmapEncoding)))
	d.NumericEncoding = Encoding(lower(string(d.NumericEncoding)))
	d.PrefixEncoding = Encoding(lower(string(d.PrefixEncoding)))
	for i := range d.Fields {
		f := &d.Fields[i]
		f.Type = FieldType(lower(string(f.Type)))
		f.LengthType = LengthType(lower(string(f.LengthType)))
		f.Padding = Padding(lower(string(f.Padding)))
		f.Mask = Mask(lower(string(f.Mask)))
	}
}

// Validate checks the dialect: known encodings for each part, field numbers
// 2–128 (not 65) without duplicates, lengths that fit the length type,
// paddings and masks allowed for the type, well-formed currencies. Errors
// wrap [ErrInvalidDialect].
func (d *Dialect) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w %q: %s", ErrInvalidDialect, d.Name, fmt.Sprintf(format, args...))
	}
	if d.Name == "" {
		return bad("name is empty")
	}
	for _, c := range []struct {
		part    string
		got     Encoding
		allowed []Encoding
	}{
		{"mti_encoding", d.MTIEncoding, []Encoding{EncodingASCII, EncodingBCD}},
		{"bitmap_encoding", d.BitmapEncoding, []Encoding{EncodingBinary, EncodingHex}},
		{"numeric_encoding", d.NumericEncoding, []Encoding{EncodingASCII, EncodingBCD}},
		{"prefix_encoding", d.PrefixEncoding, []Encoding{EncodingASCII, EncodingBCD, EncodingBinary}},
	} {
		if !slices.Contains(c.allowed, c.got) {
			return bad("%s %q is not one of %v", c.part, c.got, c.allowed)
		}
	}
	if len(d.Fields) == 0 {
		return bad("no fields")
	}
	seen := make(map[int]bool, len(d.Fields))
	for i := range d.Fields {
		f := &d.Fields[i]
		if seen[f.Number] {
			return bad("field %d defined twice", f.Number)
		}
		seen[f.Number] = true
		if err := f.validate(); err != nil {
			return bad("field %d: %v", f.Number, err)
		}
	}
	seenCur := make(map[string]bool, len(d.Currencies))
	for _, c := range d.Currencies {
		if len(c.Numeric) != 3 || !isDigits(c.Numeric) || len(c.Alpha) != 3 || !isUpperLetters(c.Alpha) ||
			c.MinorUnits < 0 || c.MinorUnits > 4 {
			return bad("currency %q/%q: want 3 digits, 3 upper-case letters and minor units 0–4", c.Numeric, c.Alpha)
		}
		if seenCur[c.Numeric] || seenCur[c.Alpha] {
			return bad("currency %s/%s listed twice", c.Numeric, c.Alpha)
		}
		seenCur[c.Numeric], seenCur[c.Alpha] = true, true
	}
	return nil
}

func (f *FieldSpec) validate() error {
	if f.Number < 2 || f.Number > 128 {
		return fmt.Errorf("number must be 2–128")
	}
	if f.Number == 65 {
		return fmt.Errorf("bit 65 announces a tertiary bitmap and cannot be a field")
	}
	if !slices.Contains([]FieldType{TypeN, TypeAN, TypeANS, TypeB, TypeZ}, f.Type) {
		return fmt.Errorf("type %q is not one of n, an, ans, b, z", f.Type)
	}
	maxLen := map[LengthType]int{Fixed: 999, LLVAR: 99, LLLVAR: 999}[f.LengthType]
	if maxLen == 0 {
		return fmt.Errorf("length_type %q is not one of fixed, llvar, lllvar", f.LengthType)
	}
	if f.Length < 1 || f.Length > maxLen {
		return fmt.Errorf("length %d must be 1–%d for %s", f.Length, maxLen, f.LengthType)
	}
	if !slices.Contains(allowedPaddings(f), f.padding()) {
		return fmt.Errorf("padding %q not allowed for a %s %s field", f.Padding, f.LengthType, f.Type)
	}
	if !slices.Contains([]Mask{"", MaskNone, MaskPAN, MaskTrack2, MaskKeys, MaskHidden}, f.Mask) {
		return fmt.Errorf("mask %q is not one of none, pan, track2, keys, hidden", f.Mask)
	}
	if def := defaultMask(f.Number); f.Mask != "" && def != MaskNone && f.Mask != def && f.Mask != MaskHidden {
		return fmt.Errorf("field %d is always masked: mask must be %s or hidden", f.Number, def)
	}
	return nil
}

func allowedPaddings(f *FieldSpec) []Padding {
	if f.LengthType != Fixed {
		return []Padding{PadNone}
	}
	switch f.Type {
	case TypeN:
		return []Padding{PadNone, PadZerosLeft}
	case TypeAN, TypeANS:
		return []Padding{PadNone, PadZerosLeft, PadSpacesRight}
	default:
		return []Padding{PadNone}
	}
}

// padding returns the effective padding, resolving the empty default.
func (f *FieldSpec) padding() Padding {
	if f.Padding != "" {
		return f.Padding
	}
	if f.LengthType != Fixed {
		return PadNone
	}
	switch f.Type {
	case TypeN:
		return PadZerosLeft
	case TypeAN, TypeANS:
		return PadSpacesRight
	default:
		return PadNone
	}
}

// mask returns the effective mask, resolving the empty default.
func (f *FieldSpec) mask() Mask {
	if f.Mask != "" {
		return f.Mask
	}
	return defaultMask(f.Number)
}

func defaultMask(number int) Mask {
	switch number {
	case FieldPAN:
		return MaskPAN
	case FieldTrack2:
		return MaskTrack2
	case FieldAdditionalData:
		return MaskKeys
	case FieldPINBlock, FieldMAC, FieldMAC2:
		return MaskHidden
	default:
		return MaskNone
	}
}
