package iso8583

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// propertyDialects are the built-in dialects plus variants that exercise
// the remaining encodings (binary length prefixes, hex bitmap with BCD).
func propertyDialects(t *testing.T) []*Dialect {
	t.Helper()
	var ds []*Dialect
	for _, name := range Names() {
		ds = append(ds, mustLookup(t, name))
	}
	v := mustLookup(t, "icbc")
	v.Name, v.PrefixEncoding, v.BitmapEncoding = "icbc-binary-prefix-hex-bitmap", EncodingBinary, EncodingHex
	v.MTIEncoding = EncodingASCII
	ds = append(ds, v)
	w := mustLookup(t, "cmb")
	w.Name, w.PrefixEncoding, w.Currencies = "cmb-bcd-prefix-any-currency", EncodingBCD, nil
	return append(ds, w)
}

// TestRoundTripProperty sets random valid values on a random subset of the
// fields, packs, unpacks and expects the same values; it also expects every
// strict prefix and every extension of the packed bytes to be rejected.
func TestRoundTripProperty(t *testing.T) {
	t.Parallel()
	for _, d := range propertyDialects(t) {
		t.Run(d.Name, func(t *testing.T) {
			t.Parallel()
			rapid.Check(t, func(rt *rapid.T) {
				m := NewMessage(d)
				if err := m.SetMTI(rapid.StringMatching(`[0-9]{4}`).Draw(rt, "mti")); err != nil {
					rt.Fatal(err)
				}
				for i := range d.Fields {
					fs := &d.Fields[i]
					if !rapid.Bool().Draw(rt, fmt.Sprint("has", fs.Number)) {
						continue
					}
					v := valueGen(d, fs).Draw(rt, fmt.Sprint("de", fs.Number))
					if err := m.Set(fs.Number, v); err != nil {
						rt.Fatalf("Set(%d, %q): %v", fs.Number, v, err)
					}
					if got, want := m.Get(fs.Number), normalized(fs, v); got != want {
						rt.Fatalf("Get(%d) after Set(%q) = %q, want %q", fs.Number, v, got, want)
					}
				}
				packed, err := Pack(m)
				if err != nil {
					rt.Fatalf("Pack: %v", err)
				}
				got, err := Unpack(d, packed)
				if err != nil {
					rt.Fatalf("Unpack(%X): %v", packed, err)
				}
				if diff := cmp.Diff(values(m), values(got)); diff != "" {
					rt.Fatalf("round trip (-set +unpacked):\n%s", diff)
				}
				repacked, err := Pack(got)
				if err != nil || string(repacked) != string(packed) {
					rt.Fatalf("repack differs: %X vs %X (%v)", repacked, packed, err)
				}

				cut := rapid.IntRange(0, len(packed)-1).Draw(rt, "cut")
				if _, err := Unpack(d, packed[:cut]); !errors.Is(err, ErrMalformed) {
					rt.Fatalf("Unpack of the first %d of %d bytes: err = %v, want ErrMalformed", cut, len(packed), err)
				}
				extra := rapid.SliceOfN(rapid.Byte(), 1, 16).Draw(rt, "extra")
				_, err = Unpack(d, append(packed[:len(packed):len(packed)], extra...))
				if !errors.Is(err, ErrMalformed) {
					rt.Fatalf("Unpack with %d extra bytes: err = %v, want ErrMalformed", len(extra), err)
				}
			})
		})
	}
}

// valueGen generates valid Set input for a field: fixed fields may be
// shorter than their length (they are padded), z separators may be 'D'.
func valueGen(d *Dialect, fs *FieldSpec) *rapid.Generator[string] {
	if fs.Number == FieldCurrency && len(d.Currencies) > 0 {
		var codes []string
		for _, c := range d.Currencies {
			codes = append(codes, c.Numeric)
		}
		return rapid.SampledFrom(codes)
	}
	minLen := 0
	if fs.LengthType == Fixed && fs.padding() == PadNone {
		minLen = fs.Length
	}
	var chars string
	switch fs.Type {
	case TypeB:
		return rapid.Map(rapid.SliceOfN(rapid.Byte(), minLen, fs.Length), hex.EncodeToString)
	case TypeN:
		chars = "0123456789"
	case TypeZ:
		chars = "0123456789=D"
	case TypeAN:
		chars = "0123456789ABCXYZabcxyz "
	default:
		chars = " !\"#09:;<=>?@AZ[\\]^_`az{|}~"
	}
	return rapid.StringOfN(rapid.RuneFrom([]rune(chars)), minLen, fs.Length, -1)
}

// normalized is what Get must return after Set(v), written independently
// of the code under test.
func normalized(fs *FieldSpec, v string) string {
	switch {
	case fs.Type == TypeB:
		return strings.ToUpper(v)
	case fs.Type == TypeZ:
		return strings.ReplaceAll(v, "D", "=")
	case fs.LengthType != Fixed:
		return v
	case fs.padding() == PadZerosLeft:
		return strings.Repeat("0", fs.Length-len(v)) + v
	case fs.padding() == PadSpacesRight:
		return strings.TrimRight(v, " ")
	default:
		return v
	}
}
