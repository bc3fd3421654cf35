package iso8583

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// This file renders a dialect as the Markdown of docs/dialects.md: the
// encodings, the complete field table and annotated worked examples. The
// output is the golden file testdata/<dialect>.golden.md, and the doc must
// contain it verbatim (TestGolden, TestDocsInSync).

func renderDialect(t *testing.T, d *Dialect) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", d.Description)
	b.WriteString("| part | encoding |\n|---|---|\n")
	fmt.Fprintf(&b, "| MTI | %s |\n", mtiText(d))
	fmt.Fprintf(&b, "| bitmaps | %s |\n", bitmapText(d))
	fmt.Fprintf(&b, "| n fields | %s |\n", numericText(d))
	fmt.Fprintf(&b, "| z fields | %s |\n", dataText(d, TypeZ))
	b.WriteString("| an, ans fields | ASCII, one byte per character |\n")
	b.WriteString("| b fields | raw bytes |\n")
	fmt.Fprintf(&b, "| LLVAR / LLLVAR prefixes | %s |\n\n", prefixText(d))

	b.WriteString("| DE | name | type | max/fixed length | length type | data encoding | length prefix | bytes on the wire | padding | in logs |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
	for i := range d.Fields {
		f := &d.Fields[i]
		fmt.Fprintf(&b, "| %d | %s | %s | %d %s | %s | %s | %s | %s | %s | %s |\n",
			f.Number, f.Name, f.Type, f.Length, unit(f.Type), lengthTypeText(f.LengthType), dataText(d, f.Type),
			fieldPrefixText(d, f), wireText(d, f), paddingText(f), maskText(f))
	}

	var curs []string
	for _, c := range d.Currencies {
		curs = append(curs, fmt.Sprintf("%s %s (%d)", c.Numeric, c.Alpha, c.MinorUnits))
	}
	fmt.Fprintf(&b, "\nField 49 accepts: %s — numeric code, alphabetic code (minor units); field 4 carries the amount in those minor units.\n",
		strings.Join(curs, ", "))

	for _, ex := range examples(d.Name) {
		b.WriteString(renderExample(t, d, ex))
	}
	return b.String()
}

func renderExample(t *testing.T, d *Dialect, ex example) string {
	t.Helper()
	m := mustBuild(t, d, ex)
	packed := mustPack(t, m)
	var b strings.Builder
	fmt.Fprintf(&b, "\n#### %s: %s\n\n", d.Name, ex.title)
	fmt.Fprintf(&b, "Packed, %d bytes (the TCP frame prepends the 2-byte length `%04X`); lines break every 32 bytes:\n\n```\n",
		len(packed), len(packed))
	h := fmt.Sprintf("%X", packed)
	for len(h) > 64 {
		b.WriteString(h[:64] + "\n")
		h = h[64:]
	}
	b.WriteString(h + "\n```\n\n| element | prefix (hex) | data (hex) | value |\n|---|---|---|---|\n")

	mm := m.Moov()
	var parts []string
	emit := func(name string, pref, data []byte, value string) {
		fmt.Fprintf(&b, "| %s | %X | %X | `%s` |\n", name, pref, data, value)
		parts = append(parts, fmt.Sprintf("%X%X", pref, data))
	}
	mtiBytes, err := mm.GetField(0).Pack()
	if err != nil {
		t.Fatal(err)
	}
	emit("MTI", nil, mtiBytes, m.MTI())
	bitmap, err := mm.Bitmap().Pack()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, id := range m.Fields() {
		ids = append(ids, strconv.Itoa(id))
	}
	bitmapValue := "fields " + strings.Join(ids, " ")
	if d.BitmapEncoding == EncodingHex {
		bitmapValue = string(bitmap) + " = " + bitmapValue
	}
	emit("bitmap", nil, bitmap, bitmapValue)
	for _, id := range m.Fields() {
		raw, err := mm.GetFields()[id].Pack()
		if err != nil {
			t.Fatal(err)
		}
		n := prefixBytes(d, d.compiledFields()[id])
		emit(fmt.Sprintf("DE%d", id), raw[:n], raw[n:], m.Get(id))
	}
	if got := strings.Join(parts, ""); got != fmt.Sprintf("%X", packed) {
		t.Fatalf("%s %s: the annotated parts do not add up to the packed message", d.Name, ex.name)
	}
	return b.String()
}

func (d *Dialect) compiledFields() map[int]*FieldSpec {
	c, err := d.compile()
	if err != nil {
		panic(err)
	}
	return c.fields
}

func prefixBytes(d *Dialect, f *FieldSpec) int {
	switch {
	case f.LengthType == Fixed:
		return 0
	case d.PrefixEncoding == EncodingASCII && f.LengthType == LLVAR:
		return 2
	case d.PrefixEncoding == EncodingASCII:
		return 3
	case f.LengthType == LLVAR:
		return 1
	default:
		return 2
	}
}

func mtiText(d *Dialect) string {
	if d.MTIEncoding == EncodingBCD {
		return "4 digits packed BCD, 2 bytes (`0200` → `02 00`)"
	}
	return "4 ASCII digits, 4 bytes (`0200` → `30 32 30 30`)"
}

func bitmapText(d *Dialect) string {
	what := "8 raw bytes per bitmap"
	if d.BitmapEncoding == EncodingHex {
		what = "16 upper-case hex ASCII characters per bitmap (lower case accepted when reading)"
	}
	return what + "; bit n is `byte[(n-1)/8] & (0x80 >> ((n-1)%8))`; bit 1 set = a secondary bitmap follows, " +
		"sent only when a field 65–128 is present; bit 65 (tertiary bitmap) is rejected"
}

func numericText(d *Dialect) string {
	if d.NumericEncoding == EncodingBCD {
		return "packed BCD, 2 digits per byte, right-aligned: an odd number of digits gets a leading 0 nibble (`051` → `00 51`)"
	}
	return "ASCII digits, one byte per digit"
}

func prefixText(d *Dialect) string {
	switch d.PrefixEncoding {
	case EncodingBCD:
		return "packed BCD: LLVAR 1 byte (`16` → `16`), LLLVAR 2 bytes (`082` → `00 82`)"
	case EncodingBinary:
		return "unsigned big-endian binary: LLVAR 1 byte (16 → `10`), LLLVAR 2 bytes (82 → `00 52`)"
	default:
		return "ASCII decimal: LLVAR 2 bytes (`16` → `31 36`), LLLVAR 3 bytes (`082` → `30 38 32`)"
	}
}

func unit(t FieldType) string {
	switch t {
	case TypeN:
		return "digits"
	case TypeB:
		return "bytes"
	default:
		return "chars"
	}
}

func lengthTypeText(lt LengthType) string {
	return map[LengthType]string{Fixed: "fixed", LLVAR: "LLVAR", LLLVAR: "LLLVAR"}[lt]
}

func dataText(d *Dialect, t FieldType) string {
	switch {
	case t == TypeB:
		return "raw bytes"
	case t == TypeN && d.NumericEncoding == EncodingBCD:
		return "BCD, right-aligned (odd: leading 0 nibble)"
	case t == TypeZ && d.NumericEncoding == EncodingBCD:
		return "BCD, `=` as nibble D, left-aligned (odd: trailing 0 nibble)"
	case t == TypeN:
		return "ASCII digits"
	case t == TypeZ:
		return "ASCII (`0`–`9`, `=`)"
	default:
		return "ASCII"
	}
}

func fieldPrefixText(d *Dialect, f *FieldSpec) string {
	if f.LengthType == Fixed {
		return "—"
	}
	n := prefixBytes(d, f)
	plural := map[bool]string{true: "s"}[n > 1]
	return fmt.Sprintf("%s %s, %d byte%s, counts %s", strings.ToUpper(string(d.PrefixEncoding)),
		strings.ToUpper(strings.TrimSuffix(string(f.LengthType), "var")), n, plural, unit(f.Type))
}

func wireText(d *Dialect, f *FieldSpec) string {
	packed := func(n int) int {
		if (f.Type == TypeN || f.Type == TypeZ) && d.NumericEncoding == EncodingBCD {
			return (n + 1) / 2
		}
		return n
	}
	if f.LengthType == Fixed {
		return strconv.Itoa(packed(f.Length))
	}
	return fmt.Sprintf("%d + data, ≤ %d", prefixBytes(d, f), prefixBytes(d, f)+packed(f.Length))
}

func paddingText(f *FieldSpec) string {
	switch f.padding() {
	case PadZerosLeft:
		return "left, `0`"
	case PadSpacesRight:
		return "right, space"
	default:
		return "—"
	}
}

func maskText(f *FieldSpec) string {
	switch f.mask() {
	case MaskPAN:
		return "first 6 / last 4"
	case MaskTrack2:
		return "PAN first 6 / last 4, rest starred"
	case MaskKeys:
		return "hex runs ≥ 8 starred"
	case MaskHidden:
		return "length only"
	default:
		return "clear"
	}
}
