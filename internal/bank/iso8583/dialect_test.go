package iso8583

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNamesAndLookup(t *testing.T) {
	t.Parallel()
	if diff := cmp.Diff([]string{"cmb", "icbc", "intl"}, Names()); diff != "" {
		t.Fatalf("Names (-want +got):\n%s", diff)
	}
	for _, name := range []string{"", "nope", "../dialects/cmb", "cmb.json", "CMB"} {
		if _, err := Lookup(name); !errors.Is(err, ErrUnknownDialect) {
			t.Errorf("Lookup(%q) err = %v, want ErrUnknownDialect", name, err)
		}
	}
	a, b := mustLookup(t, "cmb"), mustLookup(t, "cmb")
	if a == b {
		t.Fatal("Lookup returned a shared dialect")
	}
}

// TestBuiltinFieldTable checks that every built-in dialect defines exactly
// the data elements of PROTOCOLS.md §2.3 with their 1987 formats.
func TestBuiltinFieldTable(t *testing.T) {
	t.Parallel()
	type row struct {
		Type   FieldType
		Length int
		LT     LengthType
	}
	want := map[int]row{
		2: {TypeN, 19, LLVAR}, 3: {TypeN, 6, Fixed}, 4: {TypeN, 12, Fixed}, 7: {TypeN, 10, Fixed},
		11: {TypeN, 6, Fixed}, 12: {TypeN, 6, Fixed}, 13: {TypeN, 4, Fixed}, 14: {TypeN, 4, Fixed},
		15: {TypeN, 4, Fixed}, 18: {TypeN, 4, Fixed}, 22: {TypeN, 3, Fixed}, 25: {TypeN, 2, Fixed},
		32: {TypeN, 11, LLVAR}, 35: {TypeZ, 37, LLVAR}, 37: {TypeAN, 12, Fixed}, 38: {TypeAN, 6, Fixed},
		39: {TypeAN, 2, Fixed}, 41: {TypeANS, 8, Fixed}, 42: {TypeANS, 15, Fixed}, 43: {TypeANS, 40, Fixed},
		48: {TypeANS, 999, LLLVAR}, 49: {TypeN, 3, Fixed}, 52: {TypeB, 8, Fixed}, 53: {TypeN, 16, Fixed},
		64: {TypeB, 8, Fixed}, 70: {TypeN, 3, Fixed}, 90: {TypeN, 42, Fixed}, 128: {TypeB, 8, Fixed},
	}
	for _, name := range Names() {
		d := mustLookup(t, name)
		got := map[int]row{}
		for _, f := range d.Fields {
			got[f.Number] = row{f.Type, f.Length, f.LengthType}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s field table (-want +got):\n%s", name, diff)
		}
	}
}

// TestSpecEncodings checks how each dialect maps onto moov-io.
func TestSpecEncodings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		dialect                      string
		mti, bitmap, pan, de48, de52 string // prefixer Inspect() names
	}{
		{"icbc", "BCD.Fixed", "Binary.Fixed", "BCD.LL", "BCD.LLL", "Binary.Fixed"},
		{"cmb", "ASCII.Fixed", "Binary.Fixed", "ASCII.LL", "ASCII.LLL", "Binary.Fixed"},
		{"intl", "ASCII.Fixed", "Hex.Fixed", "ASCII.LL", "ASCII.LLL", "Binary.Fixed"},
	}
	for _, tt := range tests {
		t.Run(tt.dialect, func(t *testing.T) {
			t.Parallel()
			spec, err := mustLookup(t, tt.dialect).Spec()
			if err != nil {
				t.Fatal(err)
			}
			got := []string{
				spec.Fields[0].Spec().Pref.Inspect(), spec.Fields[1].Spec().Pref.Inspect(),
				spec.Fields[2].Spec().Pref.Inspect(), spec.Fields[48].Spec().Pref.Inspect(),
				spec.Fields[52].Spec().Pref.Inspect(),
			}
			want := []string{tt.mti, tt.bitmap, tt.pan, tt.de48, tt.de52}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
			if spec.Name != tt.dialect || len(spec.Fields) != 30 {
				t.Fatalf("spec %q has %d fields", spec.Name, len(spec.Fields))
			}
		})
	}
}

// TestParseDialectErrors edits a valid dialect one way at a time.
func TestParseDialectErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(m map[string]any)
		want string
	}{
		{"MTIEncoding", func(m map[string]any) { m["mti_encoding"] = "ebcdic" }, "mti_encoding"},
		{"MTIHex", func(m map[string]any) { m["mti_encoding"] = "hex" }, "mti_encoding"},
		{"BitmapEncoding", func(m map[string]any) { m["bitmap_encoding"] = "bcd" }, "bitmap_encoding"},
		{"NumericEncoding", func(m map[string]any) { m["numeric_encoding"] = "binary" }, "numeric_encoding"},
		{"PrefixEncoding", func(m map[string]any) { m["prefix_encoding"] = "hex" }, "prefix_encoding"},
		{"NoName", func(m map[string]any) { m["name"] = "" }, "name"},
		{"NoFields", func(m map[string]any) { m["fields"] = []any{} }, "no fields"},
		{"UnknownKey", func(m map[string]any) { m["bitmap"] = "binary" }, "unknown field"},
		{"FieldType", editField(0, "type", "x"), "type"},
		{"FieldNumber1", editField(0, "number", 1), "2–128"},
		{"FieldNumber65", editField(0, "number", 65), "tertiary"},
		{"FieldNumber129", editField(0, "number", 129), "2–128"},
		{"Duplicate", editField(1, "number", 2), "twice"},
		{"LengthType", editField(0, "length_type", "lvar"), "length_type"},
		{"LLVARTooLong", editField(0, "length", 100), "1–99"},
		{"ZeroLength", editField(1, "length", 0), "length 0"},
		{"PaddingVar", editField(0, "padding", "zeros_left"), "padding"},
		{"PaddingSpacesNumeric", editField(1, "padding", "spaces_right"), "padding"},
		{"PaddingUnknown", editField(1, "padding", "left"), "padding"},
		{"Mask", editField(1, "mask", "blur"), "mask"},
		{"UnmaskedPAN", editField(0, "mask", "none"), "always masked"},
		{"WeakerPAN", editField(0, "mask", "keys"), "always masked"},
		{"Currency", func(m map[string]any) { m["currencies"] = []any{map[string]any{"numeric": "15", "alpha": "CNY"}} }, "currency"},
		{"CurrencyTwice", func(m map[string]any) {
			c := map[string]any{"numeric": "156", "alpha": "CNY", "minor_units": 2}
			m["currencies"] = []any{c, c}
		}, "twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			base, err := builtin.ReadFile("dialects/cmb.json")
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal(base, &m); err != nil {
				t.Fatal(err)
			}
			tt.edit(m)
			data, _ := json.Marshal(m)
			_, err = ParseDialect(data)
			if !errors.Is(err, ErrInvalidDialect) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ErrInvalidDialect mentioning %q", err, tt.want)
			}
		})
	}
}

// editField returns an edit that sets key of the i-th field (cmb: 0 is DE2,
// 1 is DE3).
func editField(i int, key string, v any) func(map[string]any) {
	return func(m map[string]any) { m["fields"].([]any)[i].(map[string]any)[key] = v }
}

func TestParseDialectNormalizesCase(t *testing.T) {
	t.Parallel()
	data := `{"name":"x","mti_encoding":"ASCII","bitmap_encoding":"Hex","numeric_encoding":"BCD","prefix_encoding":"Binary",
		"fields":[{"number":2,"name":"PAN","type":"N","length":19,"length_type":"LLVAR"}]}`
	d, err := ParseDialect([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if d.NumericEncoding != EncodingBCD || d.Fields[0].LengthType != LLVAR || d.Fields[0].Type != TypeN {
		t.Fatalf("not normalized: %+v", d)
	}
	if _, err := ParseDialect([]byte(data + "{}")); !errors.Is(err, ErrInvalidDialect) {
		t.Fatalf("trailing JSON: err = %v", err)
	}
}

func TestInvalidDialectIsReported(t *testing.T) {
	t.Parallel()
	d := &Dialect{Name: "broken", MTIEncoding: "ebcdic"}
	if _, err := d.Spec(); !errors.Is(err, ErrInvalidDialect) {
		t.Fatalf("Spec err = %v", err)
	}
	if _, err := Unpack(d, []byte("0800")); !errors.Is(err, ErrInvalidDialect) || errors.Is(err, ErrMalformed) {
		t.Fatalf("Unpack err = %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("NewMessage did not panic on an invalid dialect")
		}
	}()
	NewMessage(d)
}
